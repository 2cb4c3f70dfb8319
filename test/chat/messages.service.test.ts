// MessageService.postMessage under real concurrency. Two service instances stand in for two app processes
// (each stores one chat's messages one at a time, but the two race each other in Postgres).
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials } from "../helpers/agent";
import { ImagesService } from "../../src/gallery/images.service";
import { messageBudget } from "../../src/chat/message-budget";
import { MessageService } from "../../src/chat/messages.service";
import { openDirect } from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

it("hands out ids in commit order, each message naming its exact predecessor, when processes race", async () => {
  const a = await loggedInAgent(app, newCredentials("race"));
  const b = await loggedInAgent(app, newCredentials("race"));
  const chatId = await openDirect(a.agent, b.userId);
  const one = new MessageService(app.io, messageBudget(app.config), app.config.chatEditWindowMs, new ImagesService(app.deps));
  const two = new MessageService(app.io, messageBudget(app.config), app.config.chatEditWindowMs, new ImagesService(app.deps));
  const sends = [];
  for (let i = 0; i < 40; i++) {
    const [svc, who] = i % 2 ? [one, a.userId] : [two, b.userId];
    sends.push(svc.postMessage(who, chatId, `m${i}`, crypto.randomUUID()));
  }
  const stored = (await Promise.all(sends)).map((r) => r.message).sort((x, y) => x.id - y.id);
  assert.equal(stored[0].prevId, 0, "the first message has no predecessor");
  for (let i = 1; i < stored.length; i++) assert.equal(stored[i].prevId, stored[i - 1].id, `message ${stored[i].id}`);
  const [chat] = await app.sql<{ last_message_id: number; n: number }>(
    "SELECT last_message_id, (SELECT count(*)::int FROM messages WHERE chat_id = $1) AS n FROM chats WHERE id = $1",
    [chatId],
  );
  assert.deepEqual(chat, { last_message_id: stored.at(-1)!.id, n: 40 });
  // The senders' read positions moved past their own messages, never backwards.
  const members = await app.sql<{ user_id: number; last_read_message_id: number }>(
    "SELECT user_id, last_read_message_id FROM chat_members WHERE chat_id = $1",
    [chatId],
  );
  for (const m of members) {
    const own = stored.filter((x) => x.userId === m.user_id).at(-1)!;
    assert.equal(m.last_read_message_id, own.id);
  }
});

it("stores a message retried through another process once", async () => {
  const a = await loggedInAgent(app, newCredentials("race"));
  const b = await loggedInAgent(app, newCredentials("race"));
  const chatId = await openDirect(a.agent, b.userId);
  const clientId = crypto.randomUUID();
  const results = await Promise.all(
    [0, 1, 2, 3].map((i) => new MessageService(app.io, messageBudget(app.config), app.config.chatEditWindowMs, new ImagesService(app.deps)).postMessage(a.userId, chatId, `try ${i}`, clientId)),
  );
  assert.equal(new Set(results.map((r) => r.message.id)).size, 1);
  assert.equal(results.filter((r) => r.created).length, 1, "one of them stored it");
  const rows = await app.sql("SELECT id FROM messages WHERE client_id = $1", [clientId]);
  assert.equal(rows.length, 1);
});
