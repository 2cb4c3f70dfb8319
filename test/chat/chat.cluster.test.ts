// Membership and the flood limit across app processes (the Redis streams adapter and Redis counters, as with
// REDIS_URL): a removed member's socket recovered on another process gets nothing of the group back, and one
// person's message budget is one over every process. Skipped when no Redis answers.
import assert from "node:assert/strict";
import { it } from "node:test";
import { chatRoom } from "../../src/chat/chat.events";
import { loggedInAgent, newCredentials } from "../helpers/agent";
import { redisKeysMatching } from "../production/server-process";
import { ask, closeAll, connect, createGroup, next, openDirect } from "./helpers";
import { useCluster } from "./cluster";
import { chatEventsOf, dropTransport, joinedWithOffset, reconnect, refusesEverything, removeMember, send } from "./removal";

const LIMIT = 5;
const cluster = useCluster({ CHAT_MESSAGES_PER_10S: String(LIMIT) });

it("a member removed while disconnected gets nothing of the group back when recovered on another process", async (t) => {
  if (cluster.redisDown()) return t.skip(cluster.skipMessage());
  const { app: A } = await cluster.startNode();
  const { app: B } = await cluster.startNode();
  const [a, b, c] = await Promise.all(["rma", "rmb", "rmc"].map((p) => loggedInAgent(A, newCredentials(p))));
  const group = await createGroup(a.agent, "Across servers", [b.creds.username, c.creds.username]);
  const direct = await openDirect(a.agent, b.userId);
  const [sa, sc] = await Promise.all([connect(B, a.agent), connect(A, c.agent)]);
  await ask(sc, "chat:join", { chatId: group });
  const lb = await cluster.balancer(A);
  const sb = await joinedWithOffset(lb.url, b.agent, group);
  const seen = chatEventsOf(sb, group);

  await dropTransport(sb, lb.drop);
  lb.route(B);
  await removeMember(a.agent, group, b.userId);
  assert.equal((await send(sa, group, "posted on B after the removal")).ok, true);
  assert.equal((await send(sc, group, "posted on A after the removal")).ok, true);
  const told = next(sb, "chat:removed");
  await reconnect(sb);
  assert.equal(sb.recovered, true, "the session persisted by A was recovered by B");
  assert.deepEqual(await told, { chatId: group, reason: "removed" });
  for (const app of [A, B]) {
    const inRoom = await app.io.in(chatRoom(group)).fetchSockets();
    assert.ok(!inRoom.some((s) => s.id === sb.id), "not back in the group's room, as seen from either process");
  }
  await refusesEverything(sb, group);
  assert.equal((await send(sc, group, "still nothing for b")).ok, true);
  const fence = next(sb, "chat:unread", (e: { chatId?: number }) => e.chatId === direct);
  assert.equal((await send(sa, direct, "fence")).ok, true);
  await fence;
  assert.deepEqual(seen.map(([event]) => event), ["chat:removed"], "of the group, only the removal notice arrived");
  const fromB = await A.sql("SELECT id FROM messages WHERE chat_id = $1 AND user_id = $2", [group, b.userId]);
  assert.deepEqual(fromB, []);
  closeAll(sa, sb, sc);
});

it("one person's message budget is shared by their sockets on two processes", async (t) => {
  if (cluster.redisDown()) return t.skip(cluster.skipMessage());
  const { app: A } = await cluster.startNode();
  const { app: B } = await cluster.startNode();
  const a = await loggedInAgent(A, newCredentials("fla"));
  const b = await loggedInAgent(A, newCredentials("flb"));
  const chatId = await openDirect(a.agent, b.userId);
  const [onA, onB] = await Promise.all([connect(A, a.agent), connect(B, a.agent)]);
  for (let i = 0; i < LIMIT; i++) assert.equal((await send(i < 3 ? onA : onB, chatId, `ok ${i}`)).ok, true, `message ${i}`);
  assert.equal((await send(onB, chatId, "over on B")).code, "rate_limited", "B counts A's messages");
  assert.equal((await send(onA, chatId, "over on A")).code, "rate_limited");
  const stored = await A.sql<{ message: string }>("SELECT message FROM messages WHERE chat_id = $1 ORDER BY id", [chatId]);
  assert.deepEqual(stored.map((r) => r.message), ["ok 0", "ok 1", "ok 2", "ok 3", "ok 4"]);
  const keys = await redisKeysMatching(`${cluster.prefix}:rl:chat-messages:${a.userId}`);
  assert.equal(keys.length, 1, "one counter in Redis, keyed by the person");
  closeAll(onA, onB);
});
