// Live chat over socket.io against the real server and database: who may connect, join, read and send;
// order, idempotent retries, catching up after a reconnect, typing, presence, unread events, floods and
// oversized payloads, and sockets ended by logout or a password change.
//
// "Nothing was received" is shown without timers: after the refused action a member sends a marker
// message, and since one room's broadcasts reach a socket in order, anything broadcast before the marker
// would have arrived before it.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, loggedInAgent, newCredentials, postForm, tokenFor } from "../helpers/agent";
import { unreadTotalSql } from "../../src/chat/unread";
import {
  ask, closeAll, collect, connect, connected, cookieOf, createGroup, next, openDirect, postMessage, socketFor,
  type MessageLike,
} from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

type U = Awaited<ReturnType<typeof loggedInAgent>>;
const user = (prefix = "sock") => loggedInAgent(app, newCredentials(prefix));
const count = async (sql: string, params: unknown[] = []) => Number((await app.sql<{ n: string }>(sql, params))[0].n);
const uuid = () => crypto.randomUUID();
const send = (s: Socket, chatId: number, text: string, clientId = uuid()) => ask(s, "chat:message", { chatId, text, clientId });

/** Messages of one chat a socket receives, until (and including) the one with `text`. */
function receivedUntil(s: Socket, chatId: number, text: string): Promise<MessageLike[]> {
  const seen: MessageLike[] = [];
  return new Promise((resolve) => {
    const handler = (m: MessageLike) => {
      if (m.chatId !== chatId) return;
      seen.push(m);
      if (m.text === text) {
        s.off("chat:message", handler);
        resolve(seen);
      }
    };
    s.on("chat:message", handler);
  });
}

/** The first `n` messages of a chat a socket receives from now on. */
function receiveN(s: Socket, chatId: number, n: number): Promise<MessageLike[]> {
  const seen: MessageLike[] = [];
  return new Promise((resolve) => {
    const handler = (m: MessageLike) => {
      if (m.chatId !== chatId) return;
      seen.push(m);
      if (seen.length === n) {
        s.off("chat:message", handler);
        resolve(seen);
      }
    };
    s.on("chat:message", handler);
  });
}

const disconnected = (s: Socket) => new Promise<string>((resolve) => s.once("disconnect", (reason) => resolve(reason)));

describe("the handshake", () => {
  it("refuses a socket without a session, and one with a logged-out cookie", async () => {
    const before = (await app.io.fetchSockets()).length;
    await assert.rejects(connected(socketFor(app)), "no cookie");
    await assert.rejects(connected(socketFor(app, { cookie: "hromada.sid=s%3Aforged.signature" })), "forged cookie");
    const anon = agent(app);
    await anon.get("/login");
    await assert.rejects(connected(socketFor(app, { cookie: cookieOf(anon) })), "a session that is not logged in");
    assert.equal((await app.io.fetchSockets()).length, before, "no socket got in");
  });

  it("refuses a foreign Origin even with a valid session cookie", async () => {
    const a = await user();
    await assert.rejects(connected(socketFor(app, { cookie: cookieOf(a.agent), origin: "http://evil.example" })));
    await assert.rejects(connected(socketFor(app, { cookie: cookieOf(a.agent), origin: "null" })));
    const ok = await connect(app, a.agent);
    assert.ok(ok.connected, "the same cookie from our own origin connects");
    ok.disconnect();
  });

  it("tells a new socket the user's unread total at once (from the handshake's user row)", async () => {
    const a = await user();
    const b = await user();
    const id = await openDirect(b.agent, a.userId);
    await postMessage(b.agent, id, "one");
    await postMessage(b.agent, id, "two");
    const s = socketFor(app, { cookie: cookieOf(a.agent) });
    const first = next<{ total: number }>(s, "chat:unread");
    await connected(s);
    assert.deepEqual(await first, { total: 2, mentionChats: [] });
    s.disconnect();
  });
});

describe("two members chatting", () => {
  let a: U;
  let b: U;
  let c: U;
  let chatId: number;
  let sa: Socket;
  let sb: Socket;
  let sc: Socket;
  before(async () => {
    a = await user();
    b = await user();
    c = await user();
    chatId = await openDirect(a.agent, b.userId);
    [sa, sb, sc] = await Promise.all([connect(app, a.agent), connect(app, b.agent), connect(app, c.agent)]);
    assert.deepEqual(await ask(sa, "chat:join", { chatId }), { ok: true });
    assert.deepEqual(await ask(sb, "chat:join", { chatId }), { ok: true });
  });
  after(() => closeAll(sa, sb, sc));

  it("delivers every message to both, in the same order, which is the stored id order, each naming its predecessor", async () => {
    const n = 15;
    const [{ before }] = await app.sql<{ before: number }>("SELECT coalesce(max(id), 0) AS before FROM messages WHERE chat_id = $1", [chatId]);
    const atA = receiveN(sa, chatId, 2 * n);
    const atB = receiveN(sb, chatId, 2 * n);
    const acks = [];
    for (let i = 0; i < n; i++) {
      acks.push(send(sa, chatId, `a${i}`));
      acks.push(send(sb, chatId, `b${i}`));
    }
    const answers = await Promise.all(acks);
    assert.ok(answers.every((x) => x.ok), JSON.stringify(answers.find((x) => !x.ok)));
    const [gotA, gotB] = await Promise.all([atA, atB]);
    const ids = gotA.map((m) => m.id);
    assert.deepEqual(gotB.map((m) => m.id), ids, "both see the same sequence");
    assert.deepEqual([...ids].sort((x, y) => x - y), ids, "in id order");
    assert.deepEqual(gotA.filter((m) => m.userId === a.userId).map((m) => m.text), [...Array(n).keys()].map((i) => `a${i}`), "a sender's own order kept");
    assert.deepEqual(gotA.filter((m) => m.userId === b.userId).map((m) => m.text), [...Array(n).keys()].map((i) => `b${i}`));
    const rows = await app.sql<{ id: number; message: string; user_id: number }>(
      "SELECT id, message, user_id FROM messages WHERE chat_id = $1 AND id = ANY($2::int[]) ORDER BY id",
      [chatId, ids],
    );
    assert.deepEqual(rows.map((r) => r.message), gotA.map((m) => m.text), "stored as delivered");
    for (const m of gotA) assert.equal(rows.find((r) => r.id === m.id)!.user_id, m.userId);
    const ackIds = answers.map((x) => x.message!.id);
    assert.deepEqual([...ackIds].sort(), [...ids].sort(), "each ack carries the stored message");
    // Concurrent senders, yet each message names exactly the one before it: a client can see any gap.
    const prevIds = (gotA as (MessageLike & { prevId: number })[]).map((m) => m.prevId);
    assert.deepEqual(prevIds, [before, ...ids.slice(0, -1)]);
    const [chat] = await app.sql<{ last_message_id: number }>("SELECT last_message_id FROM chats WHERE id = $1", [chatId]);
    assert.equal(chat.last_message_id, ids.at(-1));
  });

  it("acks with the stored message: the sender, chat and time come from the server, whatever the payload says", async () => {
    const other = await openDirect(c.agent, b.userId); // a chat a is not in
    const seenByB = receivedUntil(sb, chatId, "forged fields");
    const ack = await ask(sa, "chat:message", {
      chatId, text: "  forged fields  ", clientId: uuid(),
      userId: b.userId, senderId: b.userId, username: b.creds.username, user: { id: b.userId },
      createdAt: "2000-01-01T00:00:00Z", created_at: "2000-01-01", id: 1, chat_id: other,
    });
    assert.equal(ack.ok, true);
    const m = ack.message!;
    assert.equal(m.userId, a.userId);
    assert.equal(m.username, a.creds.username);
    assert.equal(m.chatId, chatId);
    assert.equal(m.text, "forged fields", "trimmed");
    assert.notEqual(m.id, 1);
    const [row] = await app.sql<{ user_id: number; chat_id: number; recent: boolean }>(
      "SELECT user_id, chat_id, created_at > now() - interval '1 minute' AS recent FROM messages WHERE id = $1",
      [m.id],
    );
    assert.deepEqual(row, { user_id: a.userId, chat_id: chatId, recent: true });
    const got = await seenByB;
    assert.equal(got.at(-1)!.userId, a.userId);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE chat_id = $1", [other]), 0, "nothing went to the other chat");
  });

  it("stores a retried client id once, answers the retry with the same message, and broadcasts it once", async () => {
    const clientId = uuid();
    const atB = collect<MessageLike>(sb, "chat:message");
    const first = await send(sa, chatId, "exactly once", clientId);
    const retry = await send(sa, chatId, "exactly once", clientId);
    const changed = await send(sa, chatId, "a different text, same id", clientId);
    assert.equal(first.ok && retry.ok && changed.ok, true);
    assert.equal(retry.message!.id, first.message!.id);
    assert.equal(changed.message!.id, first.message!.id);
    assert.equal(changed.message!.text, "exactly once", "the stored message, not the retry's text");
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE client_id = $1", [clientId]), 1);
    await Promise.all([receivedUntil(sb, chatId, "marker after retries"), send(sa, chatId, "marker after retries")]);
    assert.equal(atB.filter((m) => m.text === "exactly once").length, 1, "broadcast once");
  });

  it("refuses to reuse a client id across chats, without revealing the first message", async () => {
    const clientId = uuid();
    const group = await createGroup(a.agent, "Reuse", [b.creds.username]);
    assert.equal((await send(sa, chatId, "first use", clientId)).ok, true);
    const reused = await send(sa, group, "second use", clientId);
    assert.equal(reused.ok, false);
    assert.equal(reused.message, undefined);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE chat_id = $1", [group]), 0);
  });

  it("keeps a non-member out: no join, no sync, no typing, no sending, nothing stored or received, and a 404 page", async () => {
    const before = await count("SELECT count(*) AS n FROM messages");
    const atB = receivedUntil(sb, chatId, "marker after the outsider");
    assert.deepEqual(await ask(sc, "chat:join", { chatId }), { ok: false, error: "Chat not found.", code: "not_found" });
    assert.equal((await ask(sc, "chat:sync", { chatId, afterId: 0 })).code, "not_found");
    assert.equal((await ask(sc, "chat:typing", { chatId, typing: true })).code, "not_found");
    const sent = await send(sc, chatId, "let me in");
    assert.deepEqual(sent, { ok: false, error: "Chat not found.", code: "not_found" });
    assert.equal((await ask(sc, "chat:read", { chatId, messageId: 1 })).ok, true, "reading a foreign chat changes nothing");
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1 AND user_id = $2", [chatId, c.userId]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM messages"), before, "nothing stored");
    const rooms = (await app.io.in(`chat:${chatId}`).fetchSockets()).map((s) => s.data.userId);
    assert.ok(!rooms.includes(c.userId), "the outsider is not in the room");

    const outsiderGot = collect<MessageLike>(sc, "chat:message");
    await send(sa, chatId, "marker after the outsider");
    const got = await atB;
    assert.ok(!got.some((m) => m.text === "let me in"), "members received nothing from the outsider");
    assert.equal((await c.agent.get(`/chats/${chatId}`)).status, 404, "and the page is a 404");
    // The outsider's socket is still usable for its own chats, and never saw this chat's marker.
    const own = await openDirect(c.agent, a.userId);
    assert.deepEqual(await ask(sc, "chat:join", { chatId: own }), { ok: true });
    await Promise.all([receivedUntil(sc, own, "own marker"), send(sc, own, "own marker")]);
    assert.ok(!outsiderGot.some((m) => m.chatId === chatId), "no message of a chat one is not in");
  });

  it("refuses malformed payloads with an error ack and keeps serving", async () => {
    const bad: [string, unknown][] = [
      ["chat:join", null], ["chat:join", { chatId: "1" }], ["chat:join", { chatId: -1 }], ["chat:join", { chatId: 2 ** 31 }],
      ["chat:join", "chat:1"], ["chat:message", { chatId, text: "no client id" }], ["chat:message", { chatId, text: "x", clientId: "not-a-uuid" }],
      ["chat:message", { chatId, text: "   ", clientId: uuid() }], ["chat:message", { chatId, text: 42, clientId: uuid() }],
      ["chat:message", { chatId, text: "x".repeat(4001), clientId: uuid() }], ["chat:sync", { chatId, afterId: -1 }],
      ["chat:read", { chatId }], ["chat:typing", { chatId, typing: "yes" }],
    ];
    const before = await count("SELECT count(*) AS n FROM messages");
    for (const [event, payload] of bad) {
      const answer = await ask(sa, event, payload);
      assert.equal(answer.ok, false, `${event} ${JSON.stringify(payload)?.slice(0, 80)}`);
      assert.equal(answer.code, "invalid");
      assert.equal(typeof answer.error, "string");
    }
    assert.equal(await count("SELECT count(*) AS n FROM messages"), before, "nothing stored");
    // Without an ack function the event is still handled (one socket's messages are stored in order).
    sa.emit("chat:join");
    sa.emit("chat:message", { chatId, text: "no ack function", clientId: uuid() });
    assert.equal((await send(sa, chatId, "still fine")).ok, true);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE chat_id = $1 AND message = 'no ack function'", [chatId]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE message = $1", ["x".repeat(4001)]), 0);
  });

  it("accepts exactly 4,000 characters over the socket", async () => {
    const ack = await send(sa, chatId, "z".repeat(4000));
    assert.equal(ack.ok, true);
    assert.equal(ack.message!.text.length, 4000);
  });

  it("delivers a form-posted message to live clients too, and raises the unread badge of members not in the room", async () => {
    const other = await connect(app, b.agent); // b's second tab, on another page: only its user room
    const unread = next<{ chatId: number; delta: number; from: string; text: string; group: boolean }>(other, "chat:unread", (e) => e.chatId === chatId);
    const live = receivedUntil(sb, chatId, "sent with JavaScript off");
    const res = await postMessage(a.agent, chatId, "sent with JavaScript off");
    assert.equal(res.status, 303);
    const got = await live;
    assert.equal(got.at(-1)!.userId, a.userId);
    const e = await unread;
    assert.deepEqual({ delta: e.delta, from: e.from, text: e.text, group: e.group }, { delta: 1, from: a.creds.username, text: "sent with JavaScript off", group: false });
    other.disconnect();
  });

  it("moves the read position on chat:read (never past the newest message) and tells the user's tabs the new total", async () => {
    await send(sa, chatId, "read me");
    const [{ id: newest }] = await app.sql<{ id: number }>("SELECT max(id) AS id FROM messages WHERE chat_id = $1", [chatId]);
    const total = next<{ total: number; chatId: number; unread: number }>(sb, "chat:unread", (e) => e.unread === 0);
    const ack = await ask(sb, "chat:read", { chatId, messageId: 2147483000 });
    assert.equal(ack.ok, true);
    assert.equal(ack.total, 0);
    assert.deepEqual(await total, { chatId, unread: 0, total: 0, mentionChats: [] });
    const [row] = await app.sql<{ last_read_message_id: number }>(
      "SELECT last_read_message_id FROM chat_members WHERE chat_id = $1 AND user_id = $2", [chatId, b.userId]);
    assert.equal(row.last_read_message_id, newest, "clamped to the newest message");
    const again = await ask(sb, "chat:read", { chatId, messageId: 1 });
    assert.equal(again.total, null, "never moves back");
  });
});

describe("one packet per member socket for each message", () => {
  type Unread = { chatId?: number; messageId?: number; delta?: number; group?: boolean; chatName?: string | null; from?: string; text?: string; unread?: number; total?: number };

  it("sends chat:message to the sockets that have the chat open, and chat:unread only to the members' other sockets", async () => {
    const a = await user();
    const b = await user(); // the chat open in one tab, another page in a second tab
    const c = await user(); // on another page only
    const d = await user(); // the chat open only
    const group = await createGroup(a.agent, "One packet each", [b.creds.username, c.creds.username, d.creds.username]);
    const [sa, bOpen, bElsewhere, cElsewhere, dOpen] = await Promise.all([a, b, b, c, d].map((u) => connect(app, u.agent)));
    for (const s of [sa, bOpen, dOpen]) assert.deepEqual(await ask(s, "chat:join", { chatId: group }), { ok: true });
    const sockets = { sa, bOpen, bElsewhere, cElsewhere, dOpen };
    const got = Object.fromEntries(
      Object.entries(sockets).map(([name, s]) => {
        const messages = collect<MessageLike>(s, "chat:message");
        const unread = collect<Unread>(s, "chat:unread");
        // Only this chat's events: a new socket is also told its total (no chatId) right after connecting.
        return [name, { messages: () => messages.filter((m) => m.chatId === group), unread: () => unread.filter((e) => e.chatId === group) }];
      }),
    ) as Record<keyof typeof sockets, { messages: () => MessageLike[]; unread: () => Unread[] }>;

    const texts = ["first", "second", "third, by the form"];
    const lastDelta = (s: Socket) => next<Unread>(s, "chat:unread", (e) => e.chatId === group && e.text === texts.at(-1));
    const arrived = Promise.all([
      ...[sa, bOpen, dOpen].map((s) => receivedUntil(s, group, texts.at(-1)!)),
      ...[bElsewhere, cElsewhere].map(lastDelta),
    ]);
    assert.equal((await send(sa, group, texts[0])).ok, true);
    assert.equal((await send(sa, group, texts[1])).ok, true);
    assert.equal((await postMessage(a.agent, group, texts[2])).status, 303);
    await arrived;
    const stored = await app.sql<{ id: number; message: string; created_at: Date }>("SELECT id, message, created_at FROM messages WHERE chat_id = $1 ORDER BY id", [group]);
    assert.deepEqual(stored.map((r) => r.message), texts);
    const ids = stored.map((r) => r.id);

    // What the database says is unread did not change: it is the read positions, and only the sender's moved.
    const positions = await app.sql<{ user_id: number; last_read_message_id: number; total: number }>(
      `SELECT cm.user_id, cm.last_read_message_id, ${unreadTotalSql("cm.user_id")} AS total FROM chat_members cm WHERE cm.chat_id = $1 ORDER BY cm.user_id`,
      [group],
    );
    assert.deepEqual(
      positions,
      [a, b, c, d].map((u) => ({ user_id: u.userId, last_read_message_id: u === a ? ids.at(-1) : 0, total: u === a ? 0 : 3 })),
    );

    // Reading is the fence: its chat:unread goes to the reader's user room after every broadcast above, so
    // once it has arrived at a socket, any chat:unread of the messages would have arrived before it.
    for (const [reader, ...tabs] of [[bElsewhere, bOpen], [cElsewhere], [dOpen]]) {
      const cleared = [reader, ...tabs].map((s) => next<Unread>(s, "chat:unread", (e) => e.chatId === group && e.unread === 0));
      assert.equal((await ask(reader, "chat:read", { chatId: group, messageId: ids.at(-1) })).total, 0);
      await Promise.all(cleared);
    }
    const cleared = { chatId: group, unread: 0, total: 0, mentionChats: [] };
    const deltas = ids.map((messageId, i) => ({
      chatId: group, messageId, delta: 1, group: true, chatName: "One packet each", from: a.creds.username, text: texts[i], at: stored[i].created_at.toISOString(),
    }));

    for (const name of ["bOpen", "dOpen"] as const) {
      assert.deepEqual(got[name].messages().map((m) => m.id), ids, `${name}: every message once`);
      assert.deepEqual(got[name].unread(), [cleared], `${name}: no chat:unread for a message it received, only the read`);
    }
    for (const name of ["bElsewhere", "cElsewhere"] as const) {
      assert.deepEqual(got[name].messages(), [], `${name}: not in the room`);
      assert.deepEqual(got[name].unread(), [...deltas, cleared], `${name}: one chat:unread per message, then the read`);
    }
    assert.deepEqual(got.sa.messages().map((m) => m.id), ids, "the sender's open tab gets its messages");
    assert.deepEqual(got.sa.unread(), [], "and never an unread for them");
    closeAll(...Object.values(sockets));
  });
});

describe("typing and presence", () => {
  it("shows who is typing to the others in the room, and who has the chat open", async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const group = await createGroup(a.agent, "Presence", [b.creds.username, c.creds.username]);
    const [sa, sb, sc] = await Promise.all([connect(app, a.agent), connect(app, b.agent), connect(app, c.agent)]);
    await ask(sa, "chat:join", { chatId: group });
    const seenByA = next<{ chatId: number; count: number; users: { id: number; username: string }[] }>(sa, "chat:presence", (p) => p.users.length === 2);
    await ask(sb, "chat:join", { chatId: group });
    const b2 = await connect(app, b.agent); // b's second tab counts once
    await ask(b2, "chat:join", { chatId: group });
    const presence = await seenByA;
    assert.equal(presence.chatId, group);
    assert.equal(presence.count, 2);
    assert.deepEqual(presence.users.map((u) => u.id).sort(), [a.userId, b.userId].sort());
    assert.ok(presence.users.some((u) => u.username === b.creds.username));

    const typing = next<{ chatId: number; userId: number; username: string; typing: boolean }>(sa, "chat:typing");
    const cSaw = collect(sc, "chat:typing");
    assert.deepEqual(await ask(sb, "chat:typing", { chatId: group, typing: true, userId: c.userId }), { ok: true });
    assert.deepEqual(await typing, { chatId: group, userId: b.userId, username: b.creds.username, typing: true });
    assert.equal((await ask(sc, "chat:typing", { chatId: group, typing: true })).code, "not_found", "typing needs a join first");
    await ask(sc, "chat:join", { chatId: group });
    await Promise.all([receivedUntil(sc, group, "typing marker"), send(sa, group, "typing marker")]);
    assert.deepEqual(cSaw, [], "c was not in the room when b typed");

    const afterLeave = next<{ users: { id: number }[] }>(sa, "chat:presence", (p) => !p.users.some((u) => u.id === b.userId));
    sb.disconnect();
    b2.disconnect();
    assert.deepEqual((await afterLeave).users.map((u) => u.id).sort(), [a.userId, c.userId].sort(), "b is gone once disconnected");
    closeAll(sa, sc);
  });

  it("takes a removed member out of the room at once: no typing, no messages, nothing stored", async () => {
    const a = await user();
    const b = await user();
    const group = await createGroup(a.agent, "Removal", [b.creds.username]);
    const [sa, sb] = await Promise.all([connect(app, a.agent), connect(app, b.agent)]);
    await ask(sa, "chat:join", { chatId: group });
    await ask(sb, "chat:join", { chatId: group });
    const bGot = collect<MessageLike>(sb, "chat:message");
    const res = await postForm(a.agent, `/chats/${group}/members/${b.userId}/remove`, {}, `/chats/${group}/settings`);
    assert.equal(res.status, 303);
    assert.equal((await ask(sb, "chat:typing", { chatId: group, typing: true })).code, "not_found");
    assert.equal((await send(sb, group, "am I still here?")).code, "not_found");
    assert.equal((await ask(sb, "chat:join", { chatId: group })).code, "not_found");
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE chat_id = $1", [group]), 0);
    // b's socket still works for its own chats, and a's later group message never reaches it.
    const own = await openDirect(b.agent, a.userId);
    await ask(sb, "chat:join", { chatId: own });
    await send(sa, group, "after removal");
    await Promise.all([receivedUntil(sb, own, "b's marker"), send(sa, own, "b's marker")]);
    assert.ok(!bGot.some((m) => m.chatId === group), "nothing of the group after removal");
    closeAll(sa, sb);
  });
});

describe("reconnecting", () => {
  it("gives a reconnecting client everything it missed, in order, via chat:sync after its last id", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    const sa = await connect(app, a.agent);
    let sb = await connect(app, b.agent);
    await ask(sa, "chat:join", { chatId });
    await ask(sb, "chat:join", { chatId });
    const seen = await Promise.all([receivedUntil(sb, chatId, "before the tunnel"), send(sa, chatId, "before the tunnel")]);
    const lastSeen = seen[0].at(-1)!.id;

    sb.disconnect();
    await send(sa, chatId, "missed 1");
    await send(sa, chatId, "missed 2");
    await postMessage(a.agent, chatId, "missed 3 (by form)");

    sb = await connect(app, b.agent);
    assert.deepEqual(await ask(sb, "chat:join", { chatId }), { ok: true });
    const sync = await ask(sb, "chat:sync", { chatId, afterId: lastSeen });
    assert.equal(sync.ok, true);
    assert.deepEqual(sync.messages!.map((m) => m.text), ["missed 1", "missed 2", "missed 3 (by form)"]);
    assert.equal(sync.hasMore, false);
    const stored = await app.sql<{ message: string }>("SELECT message FROM messages WHERE chat_id = $1 AND id > $2 ORDER BY id", [chatId, lastSeen]);
    assert.deepEqual(stored.map((r) => r.message), sync.messages!.map((m) => m.text));

    // A long absence comes in pages of 200.
    await app.sql(
      "INSERT INTO messages (chat_id, user_id, message) SELECT $1, $2, 'bulk ' || i FROM generate_series(1, 250) i ORDER BY i",
      [chatId, a.userId],
    );
    const lastId = sync.messages!.at(-1)!.id;
    const page1 = await ask(sb, "chat:sync", { chatId, afterId: lastId });
    assert.equal(page1.messages!.length, 200);
    assert.equal(page1.hasMore, true);
    const page2 = await ask(sb, "chat:sync", { chatId, afterId: page1.messages!.at(-1)!.id });
    assert.equal(page2.messages!.length, 50);
    assert.equal(page2.hasMore, false);
    assert.equal(page2.messages!.at(-1)!.text, "bulk 250");
    closeAll(sa, sb);
  });
});

describe("abuse", () => {
  it("drops a connection that sends an oversized payload (>64 KB), stores nothing, and keeps serving others", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    const sa = await connect(app, a.agent);
    const sb = await connect(app, b.agent);
    await ask(sb, "chat:join", { chatId });
    const before = await count("SELECT count(*) AS n FROM messages");
    const gone = disconnected(sa);
    sa.emit("chat:message", { chatId, text: "x".repeat(100 * 1024), clientId: uuid() }, () => assert.fail("no ack for an oversized payload"));
    assert.match(await gone, /transport (close|error)/);
    assert.equal(await count("SELECT count(*) AS n FROM messages"), before);
    assert.equal((await send(sb, chatId, "the server is still alive")).ok, true);
    const again = await connect(app, a.agent);
    assert.equal((await ask(again, "chat:join", { chatId })).ok, true, "the sender may come back");
    closeAll(again, sb);
  });
});

describe("ending sessions ends sockets", () => {
  it("disconnects the socket when its session logs out, and the cookie cannot connect again", async () => {
    const a = await user();
    const cookie = cookieOf(a.agent);
    const s = await connect(app, a.agent);
    const gone = disconnected(s);
    const res = await a.agent.post("/logout").type("form").send({ _csrf: await tokenFor(a.agent, "/profile") });
    assert.equal(res.status, 303);
    assert.equal(await gone, "io server disconnect");
    await assert.rejects(connected(socketFor(app, { cookie })), "the old cookie no longer connects");
    const left = (await app.io.fetchSockets()).filter((x) => x.data.userId === a.userId);
    assert.equal(left.length, 0);
  });

  it("disconnects the user's other sessions' sockets on a password change, keeping the current one", async () => {
    const creds = newCredentials("pw");
    const here = await loggedInAgent(app, creds);
    const there = agent(app);
    assert.equal((await postForm(there, "/login", { login: creds.username, password: creds.password })).status, 303);
    const mine = await connect(app, here.agent);
    const theirs = await connect(app, there);
    const gone = disconnected(theirs);
    const res = await postForm(here.agent, "/profile/password", {
      current_password: creds.password, new_password: "a brand new password", new_password_confirm: "a brand new password",
    }, "/profile");
    assert.equal(res.status, 303);
    assert.equal(await gone, "io server disconnect");
    assert.ok(mine.connected, "the session that changed the password keeps its socket");
    const other = await loggedInAgent(app);
    const id = await openDirect(here.agent, other.userId);
    assert.deepEqual(await ask(mine, "chat:join", { chatId: id }), { ok: true }, "and it still works");
    await assert.rejects(connected(socketFor(app, { cookie: cookieOf(there) })));
    mine.disconnect();
  });
});
