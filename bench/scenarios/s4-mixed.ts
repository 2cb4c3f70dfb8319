// S4M: the S4 fan-out (1,000 member sockets in one chat, one sender at 10 messages/s) with everyday changes mixed
// into the traffic (#17): members react to the newest messages (10 reactions/s, each a real change) and the
// sender edits its own recent messages (2 edits/s). Every change is broadcast to the whole room: an edit as
// "chat:changed" (the message), a reaction as "chat:reacted" (the change alone).
// Reported: message delivery p50/p99 and lost (as S4), change delivery p50/p99 and changes lost (acknowledged
// but never delivered to a member), and the server's CPU per operation.
import crypto from "node:crypto";
import type { Socket } from "socket.io-client";
import { percentiles } from "../lib/load";
import { fmt, type Outcome } from "../lib/report";
import type { Ctx } from "./context";
import { type Ack, connect, inBatches, SEND_RATE, steady, Tracker, until, waitIdle } from "./s4-chat";

const REACT_RATE = 10;
const EDIT_RATE = 2;
const EMOJI = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

interface Changed {
  id: number;
  version: number;
  chatId: number;
}

/** Changes acknowledged to their senders and the copies the members received, matched by (message, version). */
class ChangeTracker {
  sentAt = new Map<string, number>();
  acked = 0;
  errors: string[] = [];
  /** key -> receiver -> time received */
  received = new Map<string, Map<number, number>>();

  onChanged(receiver: number, m: Changed) {
    const key = `${m.id}:${m.version}`;
    let got = this.received.get(key);
    if (!got) this.received.set(key, (got = new Map()));
    if (!got.has(receiver)) got.set(receiver, performance.now());
  }

  async send(socket: Socket, event: string, payload: object): Promise<void> {
    const t0 = performance.now();
    try {
      const ack = (await socket.timeout(10_000).emitWithAck(event, payload)) as Ack & { message?: Changed; reaction?: Changed };
      // A reaction is answered (and broadcast) as the change alone, an edit as the whole message.
      const changed = ack?.reaction ?? ack?.message;
      if (ack?.ok && changed) {
        this.acked++;
        this.sentAt.set(`${changed.id}:${changed.version}`, t0);
      } else this.errors.push(ack?.code ?? "refused");
    } catch (err) {
      this.errors.push(String((err as Error).message ?? err));
    }
  }
}

export async function runS4Mixed(ctx: Ctx): Promise<Outcome> {
  const out: Outcome = { id: "S4M", title: "chat fan-out with reactions and edits mixed in", status: "ok", rows: [], targets: [], data: {} };
  const notes: string[] = [];
  out.data.notes = notes;
  const { seed } = ctx;
  const url = ctx.app.url;
  let sender: Socket;
  try {
    sender = await connect(url, ctx.sender.cookie, 5000);
  } catch (err) {
    return { ...out, status: "skipped", reason: `socket.io connection refused: ${String(err)}` };
  }
  const sockets: Socket[] = [sender];
  try {
    const first: Ack = await sender.timeout(3000).emitWithAck("chat:join", { chatId: seed.fanoutChatId });
    if (!first?.ok) return { ...out, status: "failed", reason: `"chat:join" refused: ${JSON.stringify(first)}` };
    const members = seed.members;
    const fan = new Tracker();
    const changes = new ChangeTracker();
    const live: (Socket | null)[] = new Array(members.length).fill(null);
    const deadline = Date.now() + (ctx.quick ? 15_000 : 30_000);
    await inBatches(members, 50, async (m, i) => {
      if (Date.now() > deadline) return;
      const s = await connect(url, ctx.memberCookies.get(m.id)!, 20_000);
      sockets.push(s);
      s.on("chat:message", (msg: { chatId?: number; clientId?: string }) => {
        if (msg?.chatId === seed.fanoutChatId) fan.onMessage(i, msg);
      });
      s.on("chat:changed", (msg: Changed) => {
        if (msg?.chatId === seed.fanoutChatId) changes.onChanged(i, msg);
      });
      s.on("chat:reacted", (change: Changed) => {
        if (change?.chatId === seed.fanoutChatId) changes.onChanged(i, change);
      });
      live[i] = s;
    });
    const joinedIdx = new Set<number>();
    await inBatches(live, 20, async (s, i) => {
      if (!s) return;
      const a: Ack = await s.timeout(20_000).emitWithAck("chat:join", { chatId: seed.fanoutChatId }).catch(() => ({ ok: false }) as Ack);
      if (a?.ok) joinedIdx.add(i);
    });
    const joined = joinedIdx.size;
    if (joined < members.length) {
      out.status = "failed";
      out.reason = `only ${joined}/${members.length} sockets connected and joined the chat in time`;
    }
    if (!(await waitIdle(ctx, ctx.quick ? 5_000 : 8_000))) notes.push("the server was still busy from the joins when the measurement started");

    // The sender's acknowledged messages, newest last: what the reactions and edits act on.
    const stored: number[] = [];
    const sendMessage = async (i: number) => {
      const clientId = crypto.randomUUID();
      const t0 = performance.now();
      fan.sentAt.set(clientId, t0);
      try {
        const ack = (await sender.timeout(10_000).emitWithAck("chat:message", {
          chatId: seed.fanoutChatId, text: `bench round ${ctx.round} mixed message ${i}`, clientId,
        })) as Ack & { message?: { id: number } };
        if (ack?.ok) {
          fan.acked.add(clientId);
          fan.ackMs.push(performance.now() - t0);
          if (ack.message) stored.push(ack.message.id);
        } else fan.ackErrors.push(ack?.code ?? "refused");
      } catch (err) {
        fan.ackErrors.push(String((err as Error).message ?? err));
      }
    };
    const joinedList = [...joinedIdx];
    await ctx.app.reset();
    const t0 = performance.now();
    await Promise.all([
      steady(SEND_RATE, ctx.d.chatS, sendMessage),
      // Each reaction is a new (message, member, emoji): a real change, broadcast to the room.
      steady(REACT_RATE, ctx.d.chatS, async (i) => {
        const target = stored.at(-1 - (i % 3));
        const s = live[joinedList[i % joinedList.length]];
        if (target === undefined || !s) return;
        await changes.send(s, "chat:react", {
          chatId: seed.fanoutChatId, messageId: target, emoji: EMOJI[i % EMOJI.length], on: true, clientId: crypto.randomUUID(),
        });
      }),
      steady(EDIT_RATE, ctx.d.chatS, async (i) => {
        const target = stored.at(-1 - (i % 5));
        if (target === undefined) return;
        await changes.send(sender, "chat:edit", {
          chatId: seed.fanoutChatId, messageId: target, text: `bench round ${ctx.round} edited ${i}`, clientId: crypto.randomUUID(),
        });
      }),
    ]);
    const seconds = (performance.now() - t0) / 1000;
    const deliveredTo = (id: string) => [...(fan.received.get(id) ?? [])].filter((r) => joinedIdx.has(r)).length;
    const changeDeliveredTo = (key: string) => [...(changes.received.get(key)?.keys() ?? [])].filter((r) => joinedIdx.has(r)).length;
    await until(
      () => [...fan.acked].every((id) => deliveredTo(id) >= joined) && [...changes.sentAt.keys()].every((k) => changeDeliveredTo(k) >= joined),
      5_000,
    );
    const server = await ctx.app.stats();
    let delivered = 0;
    for (const id of fan.acked) delivered += deliveredTo(id);
    const expected = fan.acked.size * joined;
    const lost = expected - delivered;
    const lat = percentiles(fan.deliveries);
    const changeLat: number[] = [];
    let changeDelivered = 0;
    for (const [key, at] of changes.sentAt) {
      for (const [r, when] of changes.received.get(key) ?? []) {
        if (!joinedIdx.has(r)) continue;
        changeDelivered++;
        changeLat.push(when - at);
      }
    }
    const changeExpected = changes.sentAt.size * joined;
    const changeLost = changeExpected - changeDelivered;
    const cl = percentiles(changeLat);
    const ops = fan.acked.size + changes.acked;
    out.data.mixed = {
      receivers: joined, seconds, messages: { sent: fan.sentAt.size, acked: fan.acked.size, errors: fan.ackErrors.slice(0, 10), expected, delivered, lost, latency: lat },
      changes: { acked: changes.acked, errors: changes.errors.slice(0, 10), expected: changeExpected, delivered: changeDelivered, lost: changeLost, latency: cl },
      server,
    };
    out.rows.push({
      scenario: "S4M",
      name: `messages at ${SEND_RATE}/s -> ${joined} sockets, with reactions and edits`,
      rate: delivered / ctx.d.chatS,
      unit: "deliveries/s",
      p50: lat.p50,
      p99: lat.p99,
      errors: lost + fan.ackErrors.length,
      note: `${fan.acked.size}/${fan.sentAt.size} acked, ${fmt.n(delivered)}/${fmt.n(expected)} delivered, lost ${lost}, duplicates ${fan.duplicates}`,
    });
    out.rows.push({
      scenario: "S4M",
      name: `changes (${REACT_RATE} reactions/s + ${EDIT_RATE} edits/s) -> ${joined} sockets`,
      rate: changeDelivered / ctx.d.chatS,
      unit: "deliveries/s",
      p50: cl.p50,
      p99: cl.p99,
      errors: changeLost + changes.errors.length,
      note: `${changes.acked} changes acked (${changes.errors.length} refused${changes.errors.length ? `: ${[...new Set(changes.errors)].slice(0, 2).join("; ")}` : ""}), ` +
        `${fmt.n(changeDelivered)}/${fmt.n(changeExpected)} delivered, lost ${changeLost}; server ELU ${fmt.pct(server.elu)}, ` +
        `${fmt.n((server.cpuMs * 1000) / Math.max(1, ops))} µs CPU/operation, loop delay p99 ${fmt.ms(server.eld.p99)} ms`,
    });
    const full = members.length >= 1000 && joined === members.length;
    out.targets.push({
      scenario: "S4M", what: `${fmt.n(members.length)} sockets with changes mixed in: message delivery p99`, target: "< 50 ms",
      actual: `${fmt.ms(lat.p99)} ms (p50 ${fmt.ms(lat.p50)}); changes p99 ${fmt.ms(cl.p99)} ms`, met: !full ? null : lost === 0 && lat.p99 < 50,
    });
    out.targets.push({
      scenario: "S4M", what: `${fmt.n(members.length)} sockets with changes mixed in: lost`, target: "0",
      actual: `${lost} messages of ${fmt.n(expected)}, ${changeLost} changes of ${fmt.n(changeExpected)}`,
      met: !full ? null : lost === 0 && changeLost === 0 && fan.ackErrors.length === 0 && changes.errors.length === 0,
    });
    return out;
  } finally {
    for (const s of sockets) s.close();
    await new Promise((r) => setTimeout(r, 1000));
  }
}
