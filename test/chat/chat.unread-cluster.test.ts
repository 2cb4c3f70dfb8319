// Unread events across app processes (the Redis streams adapter, as with REDIS_URL): a message's chat:unread
// skips every socket in the chat's room, on whichever process that socket is connected, and still reaches the
// members' sockets outside it. Skipped when no Redis answers.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { it } from "node:test";
import type { Socket } from "socket.io-client";
import { loggedInAgent, newCredentials } from "../helpers/agent";
import { useCluster } from "./cluster";
import { ask, closeAll, collect, connect, createGroup, next, type MessageLike } from "./helpers";

const cluster = useCluster();
const { startNode } = cluster;

type Unread = { chatId?: number; messageId?: number; delta?: number; unread?: number; total?: number; text?: string };

it("sends chat:unread only to member sockets outside the chat room, on both processes", async (t) => {
  if (cluster.redisDown()) return t.skip(cluster.skipMessage());
  const { app: A } = await startNode();
  const { app: B } = await startNode();
  const a = await loggedInAgent(A, newCredentials("clu"));
  const b = await loggedInAgent(B, newCredentials("clu"));
  const c = await loggedInAgent(A, newCredentials("clu"));
  const group = await createGroup(a.agent, "Across servers", [b.creds.username, c.creds.username]);
  // The sender on A; b's tabs on B (one with the chat open), c's tabs on A (the same).
  const [sa, bOpen, bElsewhere, cOpen, cElsewhere] = await Promise.all([
    connect(A, a.agent), connect(B, b.agent), connect(B, b.agent), connect(A, c.agent), connect(A, c.agent),
  ]);
  for (const s of [sa, bOpen, cOpen]) assert.deepEqual(await ask(s, "chat:join", { chatId: group }), { ok: true });
  const watched = { bOpen, bElsewhere, cOpen, cElsewhere };
  const got = Object.fromEntries(Object.entries(watched).map(([name, s]) => {
    const messages = collect<MessageLike>(s, "chat:message");
    const unread = collect<Unread>(s, "chat:unread");
    return [name, { messages: () => messages.filter((m) => m.chatId === group), unread: () => unread.filter((e) => e.chatId === group) }];
  })) as Record<keyof typeof watched, { messages: () => MessageLike[]; unread: () => Unread[] }>;

  const texts = ["over the stream 1", "over the stream 2"];
  const last = texts.at(-1)!;
  const lastMessage = (s: Socket) => next<MessageLike>(s, "chat:message", (m) => m.chatId === group && m.text === last);
  const lastDelta = (s: Socket) => next<Unread>(s, "chat:unread", (e) => e.chatId === group && e.text === last);
  const arrived = Promise.all([lastMessage(bOpen), lastMessage(cOpen), lastDelta(bElsewhere), lastDelta(cElsewhere)]);
  for (const text of texts) assert.equal((await ask(sa, "chat:message", { chatId: group, text, clientId: crypto.randomUUID() })).ok, true);
  await arrived;

  // Reading is the fence: its chat:unread goes out after everything above reached the reader's process.
  for (const [reader, tab] of [[bElsewhere, bOpen], [cElsewhere, cOpen]]) {
    const cleared = [reader, tab].map((s) => next<Unread>(s, "chat:unread", (e) => e.chatId === group && e.unread === 0));
    assert.equal((await ask(reader, "chat:read", { chatId: group, messageId: 2147483000 })).total, 0);
    await Promise.all(cleared);
  }
  for (const name of ["bOpen", "cOpen"] as const) {
    assert.deepEqual(got[name].messages().map((m) => m.text), texts, `${name}: every message once`);
    assert.deepEqual(got[name].unread().map((e) => e.unread), [0], `${name}: no chat:unread for the messages, only the read`);
  }
  for (const name of ["bElsewhere", "cElsewhere"] as const) {
    assert.deepEqual(got[name].messages(), [], `${name}: not in the room`);
    assert.deepEqual(got[name].unread().map((e) => e.delta ?? `read, total ${e.total}`), [1, 1, "read, total 0"], name);
  }
  closeAll(sa, ...Object.values(watched));
});
