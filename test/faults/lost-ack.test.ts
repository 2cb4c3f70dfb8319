// Promise: "nothing acknowledged is lost" — and nothing is stored twice. A message is sent, the server is held
// inside its INSERT by a row lock this test takes on the chat (a real Postgres lock, no mock), and the sender's
// connection is cut while it waits: the message is stored and broadcast, but its acknowledgement (or the form's
// response) can never arrive. The client retries with the same client id, as chat.js (and the form's hidden
// client_id) do: the retry is answered with the very same message, it is stored once, and broadcast once.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { Client } from "pg";
import { startTestApp, type TestApp } from "../helpers/app";
import { ask, collect, connect, createGroup, type MessageLike } from "../chat/helpers";
import { person, tokenOf, type Person } from "../security/helpers";

let app: TestApp;
let a: Person;
let b: Person;
let chatId: number;
before(async () => {
  app = await startTestApp();
  [a, b] = await Promise.all([person(app, "la"), person(app, "lb")]);
  chatId = await createGroup(a.agent, "lost acks", [b.username]);
});
after(() => app.close());

/** Another database session holding the chat's row lock, which every message INSERT of that chat waits for. */
async function lockChat(): Promise<{ release(): Promise<void> }> {
  const c = new Client({ connectionString: app.db.url });
  await c.connect();
  await c.query("BEGIN");
  await c.query("SELECT id FROM chats WHERE id = $1 FOR UPDATE", [chatId]);
  return {
    release: async () => {
      await c.query("COMMIT");
      await c.end();
    },
  };
}

/** Resolves once a statement of the app is waiting for a lock (the message INSERT has reached the database). */
async function untilBlocked() {
  for (let i = 0; i < 500; i++) {
    const rows = await app.sql("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO messages%'");
    if (rows.length) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the message INSERT never reached the lock");
}

async function untilStored(clientId: string) {
  for (let i = 0; i < 500; i++) {
    if ((await app.sql("SELECT 1 FROM messages WHERE client_id = $1", [clientId])).length) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the message was never stored");
}

const storedWith = (clientId: string) => app.sql<{ id: number; message: string; user_id: number }>("SELECT id, message, user_id FROM messages WHERE client_id = $1", [clientId]);

/** Everything `s` receives for the chat until (and including) the message with `text`. */
function receivedUntil(s: ReturnType<typeof collect<MessageLike>>, text: string) {
  return (async () => {
    for (let i = 0; i < 500 && !s.some((m) => m.text === text); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(s.some((m) => m.text === text), `received "${text}"`);
    return s;
  })();
}

describe("a chat message whose acknowledgement is lost", () => {
  it("over the socket: the retry with the same client id gets the same message, stored once and broadcast once", async () => {
    const sb = await connect(app, b.agent);
    assert.deepEqual(await ask(sb, "chat:join", { chatId }), { ok: true });
    const atB = collect<MessageLike>(sb, "chat:message");
    const clientId = crypto.randomUUID();

    let sa = await connect(app, a.agent);
    const lock = await lockChat();
    let acked = false;
    sa.emit("chat:message", { chatId, text: "did this arrive?", clientId }, () => (acked = true));
    await untilBlocked();
    sa.disconnect(); // the connection is gone while the server waits: its ack has nowhere to go
    await lock.release();
    await untilStored(clientId);
    assert.equal(acked, false, "the sender never heard back");

    // The client comes back and retries what it had not seen acknowledged.
    sa = await connect(app, a.agent);
    const retry = await ask(sa, "chat:message", { chatId, text: "did this arrive?", clientId });
    assert.equal(retry.ok, true);
    const stored = await storedWith(clientId);
    assert.equal(stored.length, 1, "stored once");
    assert.deepEqual([retry.message!.id, retry.message!.userId, retry.message!.text], [stored[0].id, a.userId, "did this arrive?"], "the retry is answered with the stored message");

    await ask(sa, "chat:message", { chatId, text: "marker", clientId: crypto.randomUUID() });
    const got = await receivedUntil(atB, "marker");
    assert.deepEqual(got.map((m) => m.text), ["did this arrive?", "marker"], "the other member saw it exactly once");
    sa.disconnect();
    sb.disconnect();
  });

  it("over the HTML form: a resubmission after a lost response stores the message once", async () => {
    const clientId = crypto.randomUUID();
    const token = await tokenOf(a);
    const body = new URLSearchParams({ text: "sent without JavaScript", client_id: clientId, _csrf: token }).toString();
    const { hostname, port } = new URL(app.url);
    const lock = await lockChat();
    const req = http.request({ host: hostname, port, method: "POST", path: `/chats/${chatId}/messages`, agent: false, headers: {
      cookie: a.cookie, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body),
    } });
    const lost = new Promise<string>((resolve) => {
      req.on("response", () => resolve("response"));
      req.on("error", () => resolve("lost"));
      req.on("close", () => resolve("lost"));
    });
    req.end(body);
    await untilBlocked();
    req.destroy(); // the browser gave up (a tunnel, a closed lid): the response will never be read
    assert.equal(await lost, "lost");
    await lock.release();
    await untilStored(clientId);

    // The person presses Send again: the page still carries the same client_id.
    const again = await a.agent.post(`/chats/${chatId}/messages`).type("form").send({ text: "sent without JavaScript", client_id: clientId, _csrf: token });
    assert.equal(again.status, 303);
    assert.equal((await storedWith(clientId)).length, 1, "stored once");
    const page = await a.agent.get(`/chats/${chatId}`);
    assert.equal(page.text.split('<div class="chat-text" data-user-content>sent without JavaScript</div>').length - 1, 1, "and shown once in the history");
  });
});
