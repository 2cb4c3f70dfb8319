// S4: chat fan-out over socket.io. (a) 1,000 member sockets in one chat and one sender at a steady rate:
// delivery latency from the sender's emit to each receiver's event, and messages lost (acknowledged to the
// sender but never delivered to a member; must be 0). (b) 200 chats x 5 members, all talking at once.
// Client API (src/chat/chat.socket.ts): emit "chat:join" {chatId} and "chat:message" {chatId, text, clientId},
// both with an ack; the server emits "chat:message" (a DTO carrying our clientId) to the room chat:<id>.
import crypto from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { io, type Socket } from "socket.io-client";
import { percentiles } from "../lib/load";
import type { ProbeStats } from "../lib/proc";
import { fmt, type Outcome, type Row } from "../lib/report";
import type { Ctx } from "./context";

export const SEND_RATE = 10; // messages per second from the one sender in (a)
const SMALL_RATE = 1; // messages per second from one member of each small chat in (b)

export interface Ack {
  ok: boolean;
  error?: string;
  code?: string;
}

export function connect(url: string, cookie: string, timeoutMs: number): Promise<Socket> {
  const s = io(url, { transports: ["websocket"], extraHeaders: { cookie }, forceNew: true, reconnection: false, timeout: timeoutMs });
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", (err) => {
      s.close();
      reject(err);
    });
  });
}

export async function inBatches<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        try {
          out[i] = { status: "fulfilled", value: await fn(items[i], i) };
        } catch (reason) {
          out[i] = { status: "rejected", reason };
        }
      }
    }),
  );
  return out;
}

/** Tracks one phase's messages: when each was sent, whether it was acknowledged, who received it when. */
export class Tracker {
  sentAt = new Map<string, number>();
  acked = new Set<string>();
  ackMs: number[] = [];
  ackErrors: string[] = [];
  deliveries: number[] = [];
  /** Per message: the latency of its first and of its last copy to arrive here. */
  firstLast = new Map<string, [number, number]>();
  duplicates = 0;
  received = new Map<string, Set<number>>();
  /** receiver index -> the clientIds it must get (its chat's acknowledged messages). */
  expected = 0;

  onMessage(receiver: number, m: { clientId?: string | null }) {
    const id = m?.clientId;
    if (!id) return;
    const at = this.sentAt.get(id);
    if (at === undefined) return;
    let got = this.received.get(id);
    if (!got) this.received.set(id, (got = new Set()));
    if (got.has(receiver)) {
      this.duplicates++;
      return;
    }
    got.add(receiver);
    const ms = performance.now() - at;
    this.deliveries.push(ms);
    const fl = this.firstLast.get(id);
    if (fl) fl[1] = ms;
    else this.firstLast.set(id, [ms, ms]);
  }

  async send(socket: Socket, chatId: number, text: string): Promise<void> {
    const clientId = crypto.randomUUID();
    const t0 = performance.now();
    this.sentAt.set(clientId, t0);
    try {
      const ack: Ack = await socket.timeout(10_000).emitWithAck("chat:message", { chatId, text, clientId });
      if (ack?.ok) {
        this.acked.add(clientId);
        this.ackMs.push(performance.now() - t0);
      } else this.ackErrors.push(ack?.code ?? ack?.error ?? "refused");
    } catch (err) {
      this.ackErrors.push(String((err as Error).message ?? err));
    }
  }
}

/** Sends at `rate` per second for `seconds`, on schedule (open loop), and waits for every ack. */
export async function steady(rate: number, seconds: number, send: (i: number) => Promise<void>): Promise<void> {
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  const total = Math.max(1, Math.round(rate * seconds));
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(i));
  }
  await Promise.all(pending);
}

/** Waits until the server's event loop is mostly idle (under 15% busy over half a second), or the deadline. */
export async function waitIdle(ctx: Ctx, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await ctx.app.reset();
    await new Promise((r) => setTimeout(r, 500));
    if ((await ctx.app.stats()).elu < 0.15) return true;
  }
  return false;
}

/** Waits until `done()` or the deadline. */
export async function until(done: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return done();
}

export async function runS4(ctx: Ctx): Promise<Outcome> {
  const out: Outcome = { id: "S4", title: "chat fan-out", status: "ok", rows: [], targets: [], data: {} };
  const notes: string[] = [];
  out.data.notes = notes;
  const { seed } = ctx;
  const url = ctx.app.url;

  // Does the server speak the chat API yet?
  let sender: Socket;
  try {
    sender = await connect(url, ctx.sender.cookie, 5000);
  } catch (err) {
    return { ...out, status: "skipped", reason: `socket.io connection refused: ${String(err)}` };
  }
  const sockets: Socket[] = [sender];
  const closeAll = async () => {
    for (const s of sockets) s.close();
    // Let the server process the disconnects before the next scenario measures anything.
    await new Promise((r) => setTimeout(r, 1000));
  };
  try {
    let first: Ack | undefined;
    try {
      first = await sender.timeout(3000).emitWithAck("chat:join", { chatId: seed.fanoutChatId });
    } catch {
      return { ...out, status: "skipped", reason: 'no ack to "chat:join" within 3 s (chat socket events not built yet?)' };
    }
    if (!first?.ok) return { ...out, status: "failed", reason: `"chat:join" refused for a member: ${JSON.stringify(first)}` };
    if (seed.members.length < 1000) notes.push(`${seed.members.length} chat members, not 1,000 (--quick or --members): the 1,000-socket targets are not evaluated`);

    // (a) connect every member, then join the big chat.
    const members = seed.members;
    const fan = new Tracker();
    let small: Tracker | undefined;
    let presenceEvents = 0;
    let presenceEntries = 0;
    const c0 = performance.now();
    const open = async (i: number) => {
      const s = await connect(url, ctx.memberCookies.get(members[i].id)!, 20_000);
      sockets.push(s);
      s.on("chat:message", (msg: { chatId?: number; clientId?: string }) => {
        if (msg?.chatId === seed.fanoutChatId) fan.onMessage(i, msg);
        else small?.onMessage(i, msg);
      });
      s.on("chat:presence", (p: { users?: unknown[] }) => {
        presenceEvents++;
        presenceEntries += p?.users?.length ?? 0;
      });
      return s;
    };
    // Connecting and joining have time budgets, so a slow server cannot stretch the run past its 5 minutes:
    // whatever is connected and joined by then is what the fan-out is measured with (and the row says so).
    const connectBudgetMs = ctx.quick ? 15_000 : 30_000;
    const connectDeadline = Date.now() + connectBudgetMs;
    const live: (Socket | null)[] = new Array(members.length).fill(null);
    await inBatches(members, 50, async (_m, i) => {
      if (Date.now() < connectDeadline) live[i] = await open(i);
    });
    const connectS = (performance.now() - c0) / 1000;
    const connectFailures = live.filter((s) => !s).length;
    out.data.connect = { sockets: members.length, seconds: connectS, failures: connectFailures, budgetS: connectBudgetMs / 1000 };

    // Acks that arrive late still count: the socket is in the room. A join sent but not acknowledged by the
    // time the measurement starts is ambiguous, so that socket is closed and left out.
    const joinBudgetMs = ctx.quick ? 10_000 : 20_000;
    const j0 = performance.now();
    const joinedIdx = new Set<number>();
    const pendingJoins = new Set<number>();
    let joinRefused = 0;
    const joinDeadline = Date.now() + joinBudgetMs;
    await inBatches(live, 20, async (s, i) => {
      if (!s || Date.now() > joinDeadline) return;
      pendingJoins.add(i);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, joinDeadline - Date.now()));
        s.emit("chat:join", { chatId: seed.fanoutChatId }, (a: Ack) => {
          pendingJoins.delete(i);
          if (a?.ok) joinedIdx.add(i);
          else joinRefused++;
          clearTimeout(timer);
          resolve();
        });
      });
    });
    const joinS = (performance.now() - j0) / 1000;
    const joined = joinedIdx.size;
    out.data.join = { joined, refused: joinRefused, unanswered: pendingJoins.size, seconds: joinS, budgetS: joinBudgetMs / 1000, presenceEventsReceived: presenceEvents, presenceEntriesReceived: presenceEntries };
    out.rows.push({
      scenario: "S4",
      name: `connect + join ${members.length} sockets to one chat`,
      rate: joined / Math.max(0.001, joinS),
      unit: "joins/s",
      errors: members.length - joined,
      note: `connect ${fmt.n(connectS, 1)} s (${members.length - connectFailures} connected), join ${fmt.n(joinS, 1)} s (${joined} joined, ${joinRefused} refused, ` +
        `${pendingJoins.size} unanswered); meanwhile the members received ${fmt.n(presenceEvents)} "chat:presence" events listing ${fmt.n(presenceEntries)} users`,
    });
    if (joined < members.length) {
      notes.push(
        `only ${joined} of ${members.length} sockets connected and joined within the budgets (${connectBudgetMs / 1000} s, ${joinBudgetMs / 1000} s); ` +
          `the fan-out below goes to those ${joined}`,
      );
      out.status = "failed";
      out.reason = `only ${joined}/${members.length} sockets connected and joined the chat in time`;
      for (const i of pendingJoins) live[i]?.close();
      for (const i of pendingJoins) live[i] = null;
    }
    // Let the joins' presence traffic drain before measuring.
    const idle = await waitIdle(ctx, ctx.quick ? 5_000 : 8_000);
    if (!idle) notes.push("the server was still busy from the joins when the fan-out measurement started");

    await ctx.app.reset();
    // The load generator receives every copy on its one core: its CPU and event-loop delay say how much of the
    // delivery latency is its own queue rather than the server's.
    const genDelay = monitorEventLoopDelay({ resolution: 1 });
    genDelay.enable();
    const genCpu0 = process.cpuUsage();
    const genT0 = performance.now();
    await steady(SEND_RATE, ctx.d.chatS, (i) => fan.send(sender, seed.fanoutChatId, `bench round ${ctx.round} message ${i}`));
    const deliveredTo = (id: string) => {
      let n = 0;
      for (const r of fan.received.get(id) ?? []) if (joinedIdx.has(r)) n++;
      return n;
    };
    const expected = fan.acked.size * joined;
    await until(() => [...fan.acked].every((id) => deliveredTo(id) >= joined), 5_000);
    const server: ProbeStats = await ctx.app.stats();
    const genCpu = process.cpuUsage(genCpu0);
    const loadGen = { cpu: (genCpu.user + genCpu.system) / 1000 / (performance.now() - genT0), delayP99: genDelay.percentile(99) / 1e6 };
    genDelay.disable();
    const firstCopy = percentiles([...fan.firstLast.values()].map(([f]) => f));
    const lastCopy = percentiles([...fan.firstLast.values()].map(([, l]) => l));
    let delivered = 0;
    for (const id of fan.acked) delivered += deliveredTo(id);
    const lost = expected - delivered;
    const lat = percentiles(fan.deliveries);
    const ack = percentiles(fan.ackMs);
    out.data.fanout = { receivers: joined, rate: SEND_RATE, sent: fan.sentAt.size, acked: fan.acked.size, ackErrors: fan.ackErrors.slice(0, 10), expected, delivered, lost, duplicates: fan.duplicates, latency: lat, ack, server, firstCopy, lastCopy, loadGen };
    out.rows.push({
      scenario: "S4",
      name: `1 sender at ${SEND_RATE}/s -> ${joined} sockets`,
      rate: delivered / ctx.d.chatS,
      unit: "deliveries/s",
      p50: lat.p50,
      p99: lat.p99,
      errors: lost + fan.ackErrors.length,
      note: `${fan.acked.size}/${fan.sentAt.size} acked (ack p99 ${fmt.ms(ack.p99)} ms), ${fmt.n(delivered)}/${fmt.n(expected)} delivered, lost ${lost}, duplicates ${fan.duplicates}; ` +
        `server ELU ${fmt.pct(server.elu)}, ${fmt.n((server.cpuMs * 1000) / Math.max(1, fan.acked.size))} µs CPU/message, loop delay p99 ${fmt.ms(server.eld.p99)} ms; ` +
        `per message, first copy p50/p99 ${fmt.ms(firstCopy.p50)}/${fmt.ms(firstCopy.p99)} ms, last copy ${fmt.ms(lastCopy.p50)}/${fmt.ms(lastCopy.p99)} ms; ` +
        `loadgen CPU ${fmt.pct(loadGen.cpu)}, its loop delay p99 ${fmt.ms(loadGen.delayP99)} ms`,
    });
    const all = joined === members.length;
    // The targets are for 1,000 sockets; a smaller (quick) run reports its numbers without a verdict.
    const full = members.length >= 1000;
    out.targets.push({
      scenario: "S4", what: `${fmt.n(members.length)} sockets: delivery p99`, target: "< 50 ms",
      actual: `${fmt.ms(lat.p99)} ms (p50 ${fmt.ms(lat.p50)})${all ? "" : `, to only ${joined} sockets`}`, met: !full ? null : all && lost === 0 && lat.p99 < 50,
    });
    out.targets.push({
      scenario: "S4", what: `${fmt.n(members.length)} sockets: messages lost`, target: "0",
      actual: `${lost} of ${fmt.n(expected)}${fan.ackErrors.length ? `, ${fan.ackErrors.length} sends refused (${[...new Set(fan.ackErrors)].slice(0, 2).join("; ")})` : ""}${all ? "" : `, to only ${joined} sockets`}`,
      met: !full || !all ? null : lost === 0 && fan.ackErrors.length === 0 && fan.acked.size > 0,
    });

    const mem = await ctx.app.gcStats();
    out.data.rssWith1000Sockets = mem.rss;
    out.rows.push({ scenario: "S4", name: `app memory, ${members.length + 1} sockets open`, note: `RSS ${fmt.mb(mem.rss)}, heap used ${fmt.mb(mem.heapUsed)} (after a full GC)` });

    // (b) the same sockets, grouped five by five into small chats, one member of each sending at once
    // (a chat some of whose members never connected is left out).
    small = new Tracker();
    const memberIndex = new Map(members.map((m, i) => [m.id, i]));
    const candidates = seed.smallChats.filter((g) => g.memberIds.every((id) => live[memberIndex.get(id)!]?.connected));
    const smallDeadline = Date.now() + (ctx.quick ? 10_000 : 15_000);
    const failedGroups = new Set<number>();
    await inBatches(candidates.flatMap((g) => g.memberIds.map((id) => ({ g, i: memberIndex.get(id)! }))), 50, async ({ g, i }) => {
      if (Date.now() > smallDeadline) return void failedGroups.add(g.id);
      try {
        const a: Ack = await live[i]!.timeout(Math.max(1000, smallDeadline - Date.now())).emitWithAck("chat:join", { chatId: g.id });
        if (!a?.ok) failedGroups.add(g.id);
      } catch {
        failedGroups.add(g.id);
      }
    });
    const groups = candidates.filter((g) => !failedGroups.has(g.id));
    const smallJoinFailures = seed.smallChats.length - groups.length;
    const smallTracker = small;
    const recvOf = new Map<string, number>(); // clientId -> number of receivers expected (the chat's other members)
    await ctx.app.reset();
    const s0 = performance.now();
    await Promise.all(
      groups.map(async (g, gi) => {
        // Staggered starts so 200 senders do not fire in lockstep.
        await new Promise((r) => setTimeout(r, (gi * 1000) / SMALL_RATE / groups.length));
        const s = live[memberIndex.get(g.memberIds[0])!]!;
        await steady(SMALL_RATE, ctx.d.chatS, async (i) => {
          await smallTracker.send(s, g.id, `bench round ${ctx.round} chat ${gi} message ${i}`);
        });
      }),
    );
    for (const id of smallTracker.sentAt.keys()) recvOf.set(id, 5);
    const smallExpected = [...smallTracker.acked].reduce((n, id) => n + (recvOf.get(id) ?? 0), 0);
    await until(() => [...smallTracker.acked].every((id) => (smallTracker.received.get(id)?.size ?? 0) >= 5), 5_000);
    const smallSeconds = (performance.now() - s0) / 1000;
    const smallServer = await ctx.app.stats();
    let smallDelivered = 0;
    for (const id of smallTracker.acked) smallDelivered += smallTracker.received.get(id)?.size ?? 0;
    const smallLost = smallExpected - smallDelivered;
    const sl = percentiles(smallTracker.deliveries);
    const sa = percentiles(smallTracker.ackMs);
    out.data.smallChats = {
      chats: groups.length, of: seed.smallChats.length, rate: SMALL_RATE, chatsLeftOut: smallJoinFailures, sent: smallTracker.sentAt.size, acked: smallTracker.acked.size,
      ackErrors: smallTracker.ackErrors.slice(0, 10), expected: smallExpected, delivered: smallDelivered, lost: smallLost, latency: sl, ack: sa, server: smallServer, seconds: smallSeconds,
    };
    const row: Row = {
      scenario: "S4",
      name: `${groups.length}${groups.length < seed.smallChats.length ? ` of ${seed.smallChats.length}` : ""} chats x 5, each ${SMALL_RATE} msg/s`,
      rate: smallTracker.acked.size / ctx.d.chatS,
      unit: "msg/s",
      p50: sl.p50,
      p99: sl.p99,
      errors: smallLost + smallTracker.ackErrors.length + smallJoinFailures,
      note: `delivery latency to all 5 members (sender's own socket included); ack p50/p99 ${fmt.ms(sa.p50)}/${fmt.ms(sa.p99)} ms; ` +
        `${fmt.n(smallDelivered)}/${fmt.n(smallExpected)} delivered, lost ${smallLost}; server ELU ${fmt.pct(smallServer.elu)}, ` +
        `${fmt.n((smallServer.cpuMs * 1000) / Math.max(1, smallTracker.acked.size))} µs CPU/message, loop delay p99 ${fmt.ms(smallServer.eld.p99)} ms`,
    };
    out.rows.push(row);
    out.targets.push({
      scenario: "S4", what: `${seed.smallChats.length} chats x 5: messages lost`, target: "0",
      actual: `${smallLost} of ${fmt.n(smallExpected)}${smallTracker.ackErrors.length ? `, ${smallTracker.ackErrors.length} sends refused` : ""}` +
        `${smallJoinFailures ? `, ${smallJoinFailures} chats left out (members not connected/joined in time)` : ""}`,
      met: smallLost === 0 && smallTracker.ackErrors.length === 0 && smallTracker.acked.size > 0 && smallJoinFailures === 0,
    });
    return out;
  } finally {
    await closeAll();
  }
}
