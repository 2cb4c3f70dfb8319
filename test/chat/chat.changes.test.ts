// Edit, delete, reply, react, seen and mentions, over sockets and plain forms, against the real database: every
// action through the one service method, every refusal, idempotent retries, and a reconnecting client's sync of
// the changes it missed.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import type { ReactionChange } from "../../src/chat/chat.presenter";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials, tokenFor } from "../helpers/agent";
import { ask, closeAll, collect, connect, createGroup, next, openDirect, postMessage, recordStatements } from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

type U = Awaited<ReturnType<typeof loggedInAgent>>;
const user = (prefix = "chg") => loggedInAgent(app, newCredentials(prefix));
const uuid = () => crypto.randomUUID();
const one = async <T>(sql: string, params: unknown[] = []) => (await app.sql<T>(sql, params))[0];
const count = async (sql: string, params: unknown[] = []) => Number((await app.sql<{ n: string }>(sql, params))[0].n);

interface Dto {
  id: number;
  chatId: number;
  userId: number;
  text: string;
  deleted: boolean;
  createdAt: string;
  editedAt: string | null;
  version: number;
  replyTo: { id: number; username: string; text: string; deleted: boolean } | null;
  reactions: { emoji: string; users: { id: number; username: string }[] }[];
}
type Reacted = ReactionChange;
type Answer = { ok: boolean; code?: string; error?: string; message?: Dto; reaction?: Reacted; messages?: Dto[]; changes?: Dto[]; version?: number; hasMore?: boolean };
const call = (s: Socket, event: string, payload: unknown) => s.emitWithAck(event, payload) as Promise<Answer>;

async function joined(u: U, chatId: number): Promise<Socket> {
  const s = await connect(app, u.agent);
  assert.equal((await ask(s, "chat:join", { chatId })).ok, true);
  return s;
}

async function say(s: Socket, chatId: number, text: string, extra: Record<string, unknown> = {}): Promise<Dto> {
  const ack = await call(s, "chat:message", { chatId, text, clientId: uuid(), ...extra });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  return ack.message!;
}

/** Form posts need the chat page's CSRF token. */
async function form(u: U, url: string, fields: Record<string, string>) {
  const token = await tokenFor(u.agent, "/chats");
  return u.agent.post(url).type("form").send({ ...fields, _csrf: token });
}

describe("editing", () => {
  let a: U;
  let b: U;
  let chatId: number;
  before(async () => {
    a = await user();
    b = await user();
    chatId = await openDirect(a.agent, b.userId);
  });

  it("the author edits over the socket: everyone gets the new text live, the old one is kept, a retry changes nothing", async () => {
    const sa = await joined(a, chatId);
    const sb = await joined(b, chatId);
    const m = await say(sa, chatId, "helo wrold");
    const live = next<Dto>(sb, "chat:changed", (x) => x.id === m.id);
    const clientId = uuid();
    const ack = await call(sa, "chat:edit", { chatId, messageId: m.id, text: "hello world", clientId });
    assert.equal(ack.ok, true);
    assert.equal(ack.message!.text, "hello world");
    assert.ok(ack.message!.editedAt);
    const got = await live;
    assert.equal(got.text, "hello world");
    assert.equal(got.version, ack.message!.version);
    assert.ok(got.version > 0);

    const again = await call(sa, "chat:edit", { chatId, messageId: m.id, text: "hello world", clientId });
    assert.equal(again.ok, true);
    assert.equal(again.message!.version, got.version, "a retry is no new change");
    const row = await one<{ message: string; edited_at: Date | null; version: number }>("SELECT message, edited_at, version FROM messages WHERE id = $1", [m.id]);
    assert.equal(row.message, "hello world");
    assert.ok(row.edited_at);
    const edits = await app.sql<{ previous_text: string }>("SELECT previous_text FROM message_edits WHERE message_id = $1", [m.id]);
    assert.deepEqual(edits.map((e) => e.previous_text), ["helo wrold"]);
    closeAll(sa, sb);
  });

  it("refuses someone else's message, a message of another chat, a non-member, past the window, and bad text", async () => {
    const c = await user();
    const sa = await joined(a, chatId);
    const sb = await joined(b, chatId);
    const sc = await connect(app, c.agent);
    const m = await say(sa, chatId, "mine");
    const other = await openDirect(a.agent, c.userId);
    const foreign = await say(sa, other, "elsewhere");

    const notMine = await call(sb, "chat:edit", { chatId, messageId: m.id, text: "hacked", clientId: uuid() });
    assert.deepEqual([notMine.ok, notMine.code], [false, "no_message"]);
    assert.ok(sb.connected, "a refused change does not drop the chat");
    const wrongChat = await call(sa, "chat:edit", { chatId, messageId: foreign.id, text: "x", clientId: uuid() });
    assert.deepEqual([wrongChat.ok, wrongChat.code], [false, "no_message"]);
    const stranger = await call(sc, "chat:edit", { chatId, messageId: m.id, text: "x", clientId: uuid() });
    assert.deepEqual([stranger.ok, stranger.code], [false, "not_found"]);
    const empty = await call(sa, "chat:edit", { chatId, messageId: m.id, text: "   ", clientId: uuid() });
    assert.deepEqual([empty.ok, empty.code], [false, "invalid"]);
    await app.sql("UPDATE messages SET created_at = now() - interval '49 hours' WHERE id = $1", [m.id]);
    const late = await call(sa, "chat:edit", { chatId, messageId: m.id, text: "too late", clientId: uuid() });
    assert.deepEqual([late.ok, late.code], [false, "too_late"]);
    assert.equal((await one<{ message: string }>("SELECT message FROM messages WHERE id = $1", [m.id])).message, "mine");
    assert.equal(await count("SELECT count(*) AS n FROM message_edits WHERE message_id = ANY($1::int[])", [[m.id, foreign.id]]), 0);
    closeAll(sa, sb, sc);
  });

  it("edits with the plain form from the message's page, and re-renders 422 for empty text", async () => {
    const [{ id }] = await app.sql<{ id: number }>("INSERT INTO messages (chat_id, user_id, message) VALUES ($1, $2, 'typo') RETURNING id", [chatId, a.userId]);
    const page = await a.agent.get(`/chats/${chatId}/messages/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /id="f-edit-text"/);
    const bad = await form(a, `/chats/${chatId}/messages/${id}/edit`, { text: " " });
    assert.equal(bad.status, 422);
    const ok = await form(a, `/chats/${chatId}/messages/${id}/edit`, { text: "fixed" });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, `/chats/${chatId}#m-${id}`);
    assert.equal((await one<{ message: string }>("SELECT message FROM messages WHERE id = $1", [id])).message, "fixed");
    const shown = await b.agent.get(`/chats/${chatId}`);
    assert.match(shown.text, new RegExp(`id="m-${id}"[\\s\\S]*?fixed[\\s\\S]*?class="chat-edited" title="Edited `));
    // Someone else's message: the page has no edit form, and the POST is a 404.
    assert.doesNotMatch((await b.agent.get(`/chats/${chatId}/messages/${id}`)).text, /id="f-edit-text"/);
    assert.equal((await form(b, `/chats/${chatId}/messages/${id}/edit`, { text: "nope" })).status, 404);
    assert.equal((await one<{ message: string }>("SELECT message FROM messages WHERE id = $1", [id])).message, "fixed");
  });
});

describe("deleting", () => {
  it("the author deletes: a placeholder live for everyone, text, history and reactions erased, a retry is harmless", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    const sa = await joined(a, chatId);
    const sb = await joined(b, chatId);
    const m = await say(sa, chatId, "secret plan");
    await call(sa, "chat:edit", { chatId, messageId: m.id, text: "secret plan v2", clientId: uuid() });
    await call(sb, "chat:react", { chatId, messageId: m.id, emoji: "👍", on: true });
    const reply = await say(sb, chatId, "what plan?", { replyToId: m.id });
    assert.equal(reply.replyTo!.text, "secret plan v2");

    assert.equal((await call(sb, "chat:delete", { chatId, messageId: m.id })).code, "no_message", "only the author");
    const live = next<Dto>(sb, "chat:changed", (x) => x.id === m.id);
    const ack = await call(sa, "chat:delete", { chatId, messageId: m.id });
    assert.equal(ack.ok, true);
    const got = await live;
    assert.deepEqual([got.deleted, got.text, got.reactions], [true, "", []]);
    const again = await call(sa, "chat:delete", { chatId, messageId: m.id });
    assert.deepEqual([again.ok, again.message!.version], [true, got.version]);
    assert.equal((await call(sb, "chat:react", { chatId, messageId: m.id, emoji: "👍", on: true })).code, "deleted");
    assert.equal((await call(sa, "chat:edit", { chatId, messageId: m.id, text: "back", clientId: uuid() })).code, "deleted");

    const row = await one<{ message: string; deleted_at: Date | null }>("SELECT message, deleted_at FROM messages WHERE id = $1", [m.id]);
    assert.equal(row.message, "");
    assert.ok(row.deleted_at);
    assert.equal(await count("SELECT count(*) AS n FROM message_edits WHERE message_id = $1", [m.id]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM message_reactions WHERE message_id = $1", [m.id]), 0);
    const page = await b.agent.get(`/chats/${chatId}`);
    assert.doesNotMatch(page.text, /secret plan/);
    assert.match(page.text, /Message deleted/);
    const sync = await call(sb, "chat:sync", { chatId, afterId: 0 });
    assert.ok(!JSON.stringify(sync).includes("secret plan"));
    assert.equal(sync.messages!.find((x) => x.id === reply.id)!.replyTo!.deleted, true, "a reply to it shows it deleted");
    closeAll(sa, sb);
  });

  it("deletes with the plain form; someone else's message is a 404 and stays", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    await postMessage(a.agent, chatId, "oops");
    const { id } = await one<{ id: number }>("SELECT id FROM messages WHERE chat_id = $1", [chatId]);
    assert.equal((await form(b, `/chats/${chatId}/messages/${id}/delete`, {})).status, 404);
    assert.equal((await one<{ message: string }>("SELECT message FROM messages WHERE id = $1", [id])).message, "oops");
    const res = await form(a, `/chats/${chatId}/messages/${id}/delete`, {});
    assert.equal(res.status, 303);
    assert.equal((await one<{ message: string }>("SELECT message FROM messages WHERE id = $1", [id])).message, "");
  });
});

describe("replies", () => {
  it("quotes the author and first line; a reply to another chat's message is stored without it", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    const elsewhere = await openDirect(a.agent, (await user()).userId);
    const sa = await joined(a, chatId);
    const first = await say(sa, chatId, "line one\nline two");
    const foreign = await say(sa, elsewhere, "other chat");
    const r = await say(sa, chatId, "answer", { replyToId: first.id });
    assert.deepEqual(r.replyTo, { id: first.id, username: a.creds.username, text: "line one", deleted: false });
    const stray = await say(sa, chatId, "stray", { replyToId: foreign.id });
    assert.equal(stray.replyTo, null);
    assert.equal((await one<{ reply_to_id: number | null }>("SELECT reply_to_id FROM messages WHERE id = $1", [stray.id])).reply_to_id, null);
    closeAll(sa);

    // Without JavaScript: ?reply= shows the quote over the composer, and the form carries it.
    const page = await b.agent.get(`/chats/${chatId}?reply=${first.id}`);
    assert.match(page.text, new RegExp(`name="reply_to" id="f-reply-to" value="${first.id}"`));
    await postMessage(b.agent, chatId, "by form", { reply_to: String(first.id) });
    assert.equal((await one<{ reply_to_id: number }>("SELECT reply_to_id FROM messages WHERE message = 'by form'")).reply_to_id, first.id);
    const shown = await b.agent.get(`/chats/${chatId}`);
    assert.match(shown.text, new RegExp(`class="chat-quote" href="/chats/${chatId}\\?around=${first.id}#m-${first.id}"`));
    // The quote's link opens the chat at that message with its context.
    const around = await b.agent.get(`/chats/${chatId}?around=${first.id}`);
    assert.equal(around.status, 200);
    assert.match(around.text, new RegExp(`id="m-${first.id}"`));
  });
});

describe("reactions", () => {
  it("toggle per (message, user, emoji), live as the change alone, idempotent, members only, a fixed set", async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const chatId = await openDirect(a.agent, b.userId);
    const sa = await joined(a, chatId);
    const sb = await joined(b, chatId);
    const sc = await connect(app, c.agent);
    const m = await say(sa, chatId, "react to me");
    const live = collect<Reacted>(sa, "chat:reacted");
    const whole = collect<Dto>(sa, "chat:changed");
    const on = await Promise.all([1, 2, 3].map(() => call(sb, "chat:react", { chatId, messageId: m.id, emoji: "❤️", on: true })));
    assert.ok(on.every((x) => x.ok));
    assert.equal(await count("SELECT count(*) AS n FROM message_reactions WHERE message_id = $1", [m.id]), 1, "one row, however many retries");
    // One of them changed it and is answered with the change; the others changed nothing: the message as it is.
    const changed = on.filter((x) => x.reaction);
    assert.equal(changed.length, 1);
    assert.deepEqual(changed[0].reaction, {
      chatId, id: m.id, version: 1, prevVersion: 0, emoji: "❤️", on: true, userId: b.userId, username: b.creds.username,
    });
    for (const x of on.filter((y) => !y.reaction)) assert.deepEqual(x.message!.reactions.map((r) => r.emoji), ["❤️"]);
    const mine = await call(sa, "chat:react", { chatId, messageId: m.id, emoji: "👍", on: true });
    assert.deepEqual(mine.reaction, { chatId, id: m.id, version: 2, prevVersion: 1, emoji: "👍", on: true, userId: a.userId, username: a.creds.username });
    await say(sa, chatId, "marker");
    assert.deepEqual(live.map((r) => [r.version, r.prevVersion, r.emoji]), [[1, 0, "❤️"], [2, 1, "👍"]], "each real change once");
    assert.deepEqual(whole, [], "a reaction is not broadcast as the whole message");
    assert.equal((await one<{ version: number }>("SELECT version FROM messages WHERE id = $1", [m.id])).version, 2);

    assert.equal((await call(sb, "chat:react", { chatId, messageId: m.id, emoji: "💩", on: true })).code, "invalid");
    assert.equal((await call(sb, "chat:react", { chatId, messageId: m.id, emoji: "👍", on: true, clientId: "nope" })).code, "invalid");
    assert.equal((await call(sc, "chat:react", { chatId, messageId: m.id, emoji: "👍", on: true })).code, "not_found");
    const off = await call(sb, "chat:react", { chatId, messageId: m.id, emoji: "❤️", on: false });
    assert.deepEqual([off.reaction!.on, off.reaction!.prevVersion, off.reaction!.version], [false, 2, 3]);
    assert.deepEqual(
      (await app.sql<{ emoji: string }>("SELECT emoji FROM message_reactions WHERE message_id = $1", [m.id])).map((r) => r.emoji),
      ["👍"],
    );
    assert.equal(await count("SELECT count(*) AS n FROM message_reactions WHERE message_id = $1 AND user_id = $2", [m.id, c.userId]), 0);

    // Plain form: the toggle button posts the opposite of the current state.
    const res = await form(b, `/chats/${chatId}/messages/${m.id}/reactions`, { emoji: "😂", on: "1" });
    assert.equal(res.status, 303);
    assert.equal(await count("SELECT count(*) AS n FROM message_reactions WHERE message_id = $1 AND emoji = '😂'", [m.id]), 1);
    assert.equal((await form(b, `/chats/${chatId}/messages/${m.id}/reactions`, { emoji: "nope", on: "1" })).status, 422);
    assert.equal((await form(c, `/chats/${chatId}/messages/${m.id}/reactions`, { emoji: "👍", on: "1" })).status, 404);
    const page = await a.agent.get(`/chats/${chatId}`);
    assert.match(page.text, new RegExp(`class="chat-reaction mine" aria-pressed="true"\\s+title="${a.creds.username}"`));
    // The buttons carry who reacted, so a page can apply the next change alone.
    assert.match(page.text, new RegExp(`data-emoji="👍" data-users="\\[\\{&quot;id&quot;:${a.userId},&quot;username&quot;:&quot;${a.creds.username}&quot;\\}\\]"`));
    closeAll(sa, sb, sc);
  });

  it("a retried toggle (its client id seen before) changes nothing, even after a later toggle", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    const sa = await joined(a, chatId);
    const sb = await joined(b, chatId);
    const m = await say(sa, chatId, "retry me");
    const live = collect<Reacted>(sa, "chat:reacted");
    const first = { chatId, messageId: m.id, emoji: "👍", on: true, clientId: uuid() };
    assert.equal((await call(sb, "chat:react", first)).reaction!.on, true);
    assert.equal((await call(sb, "chat:react", { ...first, on: false, clientId: uuid() })).reaction!.on, false);
    // The first "on" again (its answer was lost, the page sent it once more): the reaction stays off.
    const retry = await call(sb, "chat:react", first);
    assert.equal(retry.ok, true);
    assert.equal(retry.reaction, undefined);
    assert.deepEqual(retry.message!.reactions, []);
    assert.equal(await count("SELECT count(*) AS n FROM message_reactions WHERE message_id = $1", [m.id]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM message_reaction_requests WHERE user_id = $1 AND message_id = $2", [b.userId, m.id]), 2);
    await say(sa, chatId, "marker");
    assert.deepEqual(live.map((r) => r.on), [true, false], "the retry is not broadcast");
    // A request older than an hour is forgotten when its sender next reacts.
    await app.sql("UPDATE message_reaction_requests SET created_at = now() - interval '2 hours' WHERE client_id = $1", [first.clientId]);
    await call(sb, "chat:react", { ...first, emoji: "❤️", clientId: uuid() });
    assert.equal(await count("SELECT count(*) AS n FROM message_reaction_requests WHERE client_id = $1", [first.clientId]), 0);
    closeAll(sa, sb);
  });
});

describe("sync of changes after a reconnect", () => {
  it("returns the edits, deletions and reactions since a change number, in the server's order, then nothing", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    const sa = await joined(a, chatId);
    const m1 = await say(sa, chatId, "one");
    const m2 = await say(sa, chatId, "two");
    const start = await call(sa, "chat:sync", { chatId, afterId: m2.id, sinceVersion: 0 });
    assert.deepEqual([start.changes, start.version], [[], 0]);
    // b is away while these happen.
    await call(sa, "chat:edit", { chatId, messageId: m1.id, text: "one!", clientId: uuid() });
    await call(sa, "chat:react", { chatId, messageId: m2.id, emoji: "👍", on: true });
    await call(sa, "chat:edit", { chatId, messageId: m1.id, text: "one!!", clientId: uuid() });
    await call(sa, "chat:delete", { chatId, messageId: m2.id });
    const m3 = await say(sa, chatId, "three");
    const sb = await joined(b, chatId);
    const got = await call(sb, "chat:sync", { chatId, afterId: m2.id, sinceVersion: 0 });
    assert.deepEqual(got.messages!.map((m) => m.id), [m3.id]);
    assert.deepEqual(got.changes!.map((m) => [m.id, m.text, m.deleted]), [[m1.id, "one!!", false], [m2.id, "", true]]);
    assert.deepEqual(got.changes!.map((m) => m.version), [3, 4], "change order, each message once as it is now");
    assert.equal(got.version, 4);
    const after = await call(sb, "chat:sync", { chatId, afterId: m3.id, sinceVersion: got.version });
    assert.deepEqual([after.messages, after.changes], [[], []]);
    assert.equal((await one<{ change_seq: number }>("SELECT change_seq FROM chats WHERE id = $1", [chatId])).change_seq, 4);
    closeAll(sa, sb);
  });
});

describe("seen", () => {
  it("moves a member's read position and tells the chat live; the page shows Seen under my last message", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    const sa = await joined(a, chatId);
    const sb = await joined(b, chatId);
    const m = await say(sa, chatId, "did you see this?");
    assert.doesNotMatch((await a.agent.get(`/chats/${chatId}`)).text, /id="chat-seen"/);
    const live = next<{ chatId: number; userId: number; messageId: number }>(sa, "chat:seen");
    await call(sb, "chat:read", { chatId, messageId: m.id });
    assert.deepEqual(await live, { chatId, userId: b.userId, messageId: m.id });
    assert.match((await a.agent.get(`/chats/${chatId}`)).text, /id="chat-seen"[^>]*>Seen</);
    closeAll(sa, sb);
  });

  it("a group says Seen by N with the names", async () => {
    const a = await user("seen");
    const b = await user("seen");
    const c = await user("seen");
    const chatId = await createGroup(a.agent, "Seen group", [b.creds.username, c.creds.username]);
    await postMessage(a.agent, chatId, "hello all");
    await b.agent.get(`/chats/${chatId}`);
    await c.agent.get(`/chats/${chatId}`);
    const page = (await a.agent.get(`/chats/${chatId}`)).text;
    const names = [b.creds.username, c.creds.username].sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1)).join(", ");
    assert.match(page, new RegExp(`id="chat-seen" tabindex="0" title="${names}"`));
    assert.match(page, />Seen by 2</);
  });
});

describe("mentions", () => {
  it("stores a mention for a member named in a group, links it, and marks the chat with @ until read", async () => {
    const a = await user("men");
    const b = await user("men");
    const c = await user("men");
    const chatId = await createGroup(a.agent, "Mentions", [b.creds.username, c.creds.username]);
    const sb = await connect(app, b.agent);
    const unread = next<{ chatId: number; mention?: boolean }>(sb, "chat:unread", (e) => e.chatId === chatId && e.mention === true);
    await postMessage(a.agent, chatId, `hey @${b.creds.username.toUpperCase()} and @nobody, see https://example.com`);
    await unread;
    const rows = await app.sql<{ user_id: number }>("SELECT user_id FROM message_mentions WHERE chat_id = $1", [chatId]);
    assert.deepEqual(rows.map((r) => r.user_id), [b.userId]);
    const list = (await b.agent.get("/chats")).text;
    assert.match(list, new RegExp(`data-chat-row="${chatId}"[\\s\\S]*?chat-row-mention"`));
    assert.doesNotMatch(list, new RegExp(`data-chat-row="${chatId}"[\\s\\S]*?chat-row-mention d-none`));
    const page = (await b.agent.get(`/chats/${chatId}`)).text;
    assert.match(page, new RegExp(`<a class="chat-mention" href="/people/${b.creds.username}">@${b.creds.username.toUpperCase()}</a>`));
    assert.match(page, /<a href="https:\/\/example.com" rel="noopener noreferrer nofollow" target="_blank">https:\/\/example.com<\/a>/);
    assert.match(page, /chat-msg[^"]*mentions-me/);
    // Read now: the marker is gone.
    assert.match((await b.agent.get("/chats")).text, new RegExp(`data-chat-row="${chatId}"[\\s\\S]*?chat-row-mention d-none`));

    // An edit's mentions follow its new text.
    const sa = await joined(a, chatId);
    const m = await say(sa, chatId, "no one yet");
    await call(sa, "chat:edit", { chatId, messageId: m.id, text: `now @${c.creds.username}`, clientId: uuid() });
    const after = await app.sql<{ user_id: number }>("SELECT user_id FROM message_mentions WHERE message_id = $1", [m.id]);
    assert.deepEqual(after.map((r) => r.user_id), [c.userId]);
    closeAll(sb, sa);
  });
});

describe("links are never user HTML", () => {
  it("escapes markup and links only http(s)", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    await postMessage(a.agent, chatId, `<img src=x onerror=alert(1)> javascript:alert(1) "quoted" http://ok.example/?a=1&b=<2>`);
    const page = (await b.agent.get(`/chats/${chatId}`)).text;
    assert.match(page, /&lt;img src=x onerror=alert\(1\)&gt; javascript:alert\(1\) &quot;quoted&quot; /);
    assert.doesNotMatch(page, /href="javascript/);
    assert.match(page, /<a href="http:\/\/ok.example\/\?a=1&amp;b=&lt;2&gt;" rel="noopener noreferrer nofollow"/);
  });
});

describe("the chat page's statements", () => {
  it("are exactly four however many replies, reactions, edits and readers there are (seen rides on the chat query)", async () => {
    const a = await user("stm");
    const b = await user("stm");
    const c = await user("stm");
    const chatId = await createGroup(a.agent, "Counted", [b.creds.username, c.creds.username]);
    const page = async () => {
      await a.agent.get(`/chats/${chatId}`).expect(200);
      return recordStatements(() => a.agent.get(`/chats/${chatId}`).expect(200));
    };
    const small = await page();
    const sb = await joined(b, chatId);
    for (let i = 0; i < 8; i++) {
      const m = await say(sb, chatId, `msg ${i}`);
      await say(sb, chatId, `re ${i}`, { replyToId: m.id });
      await call(sb, "chat:react", { chatId, messageId: m.id, emoji: "👍", on: true });
      await call(sb, "chat:edit", { chatId, messageId: m.id, text: `msg ${i}!`, clientId: uuid() });
    }
    await c.agent.get(`/chats/${chatId}`);
    const big = await page();
    // The session with its user (and the badge), the chat with its members and their read positions, the messages
    // with their quotes and reactions, the sidebar's chat list.
    assert.equal(small.length, 4, small.join("\n---\n"));
    assert.equal(big.length, 4, big.join("\n---\n"));
    closeAll(sb);
  });
});

describe("a removed member", () => {
  it("gets none of the chat's changes after the removal", async () => {
    const a = await user("rm");
    const b = await user("rm");
    const chatId = await createGroup(a.agent, "Leaving soon", [b.creds.username]);
    const sa = await joined(a, chatId);
    const sb = await joined(b, chatId);
    const m = await say(sa, chatId, "before");
    const removed = next(sb, "chat:removed", (e: { chatId: number }) => e.chatId === chatId);
    const token = await tokenFor(a.agent, `/chats/${chatId}/settings`);
    await a.agent.post(`/chats/${chatId}/members/${b.userId}/remove`).type("form").send({ _csrf: token }).expect(303);
    await removed;
    const changed = collect<unknown>(sb, "chat:changed");
    const reacted = collect<unknown>(sb, "chat:reacted");
    await call(sa, "chat:edit", { chatId, messageId: m.id, text: "after", clientId: uuid() });
    await call(sa, "chat:react", { chatId, messageId: m.id, emoji: "👍", on: true });
    // A marker through b's own room, sent after the changes: anything broadcast to b before it has arrived.
    const direct = await openDirect(a.agent, b.userId);
    const marker = next<Dto>(sb, "chat:unread", (e) => e.chatId === direct);
    await say(sa, direct, "marker");
    await marker;
    assert.deepEqual(changed, []);
    assert.deepEqual(reacted, []);
    assert.equal((await call(sb, "chat:react", { chatId, messageId: m.id, emoji: "❤️", on: true })).code, "not_found");
    assert.equal(await count("SELECT count(*) AS n FROM message_reactions WHERE user_id = $1", [b.userId]), 0);
    closeAll(sa, sb);
  });
});

describe("a change's cost", () => {
  it("an edit, a deletion and a reaction are one statement each (the chat's lock held for one round trip)", async () => {
    // A deletion then reads, after the lock is gone, the counts of the members who had not read the message
    // (test/chat/chat.counts.test.ts): one statement more, and it locks nothing.
    const a = await user("one");
    const b = await user("one");
    const chatId = await createGroup(a.agent, "One statement", [b.creds.username]);
    const sa = await joined(a, chatId);
    const m = await say(sa, chatId, `hi @${b.creds.username}`);
    const edit = await recordStatements(() => call(sa, "chat:edit", { chatId, messageId: m.id, text: "hi all", clientId: uuid() }));
    const react = await recordStatements(() => call(sa, "chat:react", { chatId, messageId: m.id, emoji: "👍", on: true, clientId: uuid() }));
    const del = await recordStatements(() => call(sa, "chat:delete", { chatId, messageId: m.id }));
    assert.equal(edit.length, 1, edit.join("\n---\n"));
    assert.equal(react.length, 1, react.join("\n---\n"));
    assert.equal(del.length, 2, del.join("\n---\n"));
    assert.doesNotMatch(del[1], /FOR UPDATE|UPDATE|DELETE|INSERT/);
    const row = await one<{ message: string; deleted: boolean; version: number }>(
      "SELECT message, deleted_at IS NOT NULL AS deleted, version FROM messages WHERE id = $1", [m.id],
    );
    assert.deepEqual(row, { message: "", deleted: true, version: 3 });
    assert.equal(await count("SELECT count(*) AS n FROM message_edits WHERE message_id = $1", [m.id]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM message_reactions WHERE message_id = $1", [m.id]), 0);
    closeAll(sa);
  });
});

describe("the chat lists on a member's other pages", () => {
  interface Preview { chatId: number; messageId: number; text?: string; deleted?: boolean; userId?: number; from?: string; group?: boolean; mention?: boolean }

  it("follow an edit or deletion of the chat's newest message, and a mention that comes or goes (chat:preview)", async () => {
    const a = await user("lst");
    const b = await user("lst");
    const c = await user("lst");
    const chatId = await createGroup(a.agent, "Listed", [b.creds.username, c.creds.username]);
    const sa = await joined(a, chatId);
    // b is on another page (not in the chat's room); c has the chat open.
    const sb = await connect(app, b.agent);
    const sc = await joined(c, chatId);
    const atB = collect<Preview>(sb, "chat:preview");
    const atC = collect<Preview>(sc, "chat:preview");
    const older = await say(sa, chatId, "older");
    const newest = await say(sa, chatId, "newest");
    await call(sa, "chat:edit", { chatId, messageId: newest.id, text: `newest, @${b.creds.username}`, clientId: uuid() });
    await call(sa, "chat:edit", { chatId, messageId: older.id, text: "older, edited", clientId: uuid() });
    await call(sa, "chat:edit", { chatId, messageId: newest.id, text: "newest, nobody", clientId: uuid() });
    await call(sa, "chat:delete", { chatId, messageId: newest.id });
    // A marker through b's own room: everything sent to b before it has arrived.
    const marker = next<{ chatId: number }>(sb, "chat:unread", (e) => e.chatId === chatId);
    await say(sa, chatId, "marker");
    await marker;
    const base = { chatId, messageId: newest.id, userId: a.userId, from: a.creds.username, group: true };
    assert.deepEqual(atB, [
      { ...base, text: `newest, @${b.creds.username}`, deleted: false },
      { chatId, messageId: newest.id, mention: true },
      { ...base, text: "newest, nobody", deleted: false },
      { chatId, messageId: newest.id, mention: false },
      { ...base, text: "", deleted: true },
    ], "the older message's edit leaves the preview alone");
    assert.deepEqual(atC, [], "the open chat's page follows chat:changed instead");
    assert.equal(await count("SELECT count(*) AS n FROM message_mentions WHERE message_id = $1", [newest.id]), 0);
    closeAll(sa, sb, sc);
  });

  it("keep the '@' while another unread message mentions the reader, and never add it for a message already read", async () => {
    const a = await user("lst");
    const b = await user("lst");
    const chatId = await createGroup(a.agent, "Mentions", [b.creds.username]);
    const sa = await joined(a, chatId);
    const sb = await connect(app, b.agent);
    const atB = collect<Preview>(sb, "chat:preview");
    const read = await say(sa, chatId, "read already");
    await call(sb, "chat:read", { chatId, messageId: read.id });
    await call(sa, "chat:edit", { chatId, messageId: read.id, text: `now @${b.creds.username}`, clientId: uuid() });
    const first = await say(sa, chatId, `one @${b.creds.username}`);
    await say(sa, chatId, `two @${b.creds.username}`);
    await call(sa, "chat:edit", { chatId, messageId: first.id, text: "one, nobody", clientId: uuid() });
    const marker = next<{ chatId: number; text?: string }>(sb, "chat:unread", (e) => e.chatId === chatId && e.text === "marker");
    await say(sa, chatId, "marker");
    await marker;
    assert.deepEqual(atB.filter((p) => p.mention !== undefined), [], "no '@' for a read message; the other mention keeps it");
    assert.equal(await count("SELECT count(*) AS n FROM message_mentions WHERE message_id = $1 AND user_id = $2", [read.id, b.userId]), 1);
    closeAll(sa, sb);
  });
});

describe("the '@' of the navbar and the tab title", () => {
  const mentionBadge = (html: string) => /<span class="badge rounded-pill text-bg-warning nav-mention( d-none)?" data-mention-badge data-chats="([^"]*)"/g;

  it("shows on every page while an unread message mentions the reader, and goes once it is read", async () => {
    const a = await user("at");
    const b = await user("at");
    const chatId = await createGroup(a.agent, "At", [b.creds.username]);
    const muted = await createGroup(a.agent, "Muted", [b.creds.username]);
    await form(b, `/chats/${muted}/mute`, { for: "forever" }).then((r) => assert.equal(r.status, 303));
    const sa = await joined(a, chatId);
    await say(sa, chatId, "no mention");
    const before = await b.agent.get("/");
    assert.match(before.text, /<title>\(1\) /);
    assert.deepEqual([...before.text.matchAll(mentionBadge(before.text))].map((m) => [m[1], m[2]]), [[" d-none", "[]"], [" d-none", "[]"]]);

    await say(sa, chatId, `hey @${b.creds.username}`);
    await say(sa, muted, `quiet @${b.creds.username}`);
    // Both badges (the phone's, outside the collapsed menu, and the menu's) and the title, on any page.
    for (const url of ["/", "/chats", "/gallery"]) {
      const page = await b.agent.get(url);
      assert.match(page.text, /<title>\(@2\) /, url);
      assert.deepEqual([...page.text.matchAll(mentionBadge(page.text))].map((m) => [m[1], m[2]]), [[undefined, `[${chatId}]`], [undefined, `[${chatId}]`]], url);
    }
    const uk = await b.agent.get("/").set("Accept-Language", "uk");
    assert.match(uk.text, /<span class="visually-hidden">Вас згадали<\/span>/);
    // A socket is told with each total worked out after a read.
    const sb = await connect(app, b.agent);
    const reads = collect<{ total?: number; mentionChats?: number[] }>(sb, "chat:unread");
    const newest = await one<{ id: number }>("SELECT max(id) AS id FROM messages WHERE chat_id = $1", [chatId]);
    await call(sb, "chat:read", { chatId, messageId: newest.id });
    assert.deepEqual(reads.at(-1), { chatId, unread: 0, total: 0, mentionChats: [] });
    const after = await b.agent.get("/");
    assert.match(after.text, /<title>Your notes · /);
    assert.equal(await count(
      "SELECT count(*) AS n FROM chat_members WHERE chat_id = $1 AND user_id = $2 AND last_read_message_id = $3", [chatId, b.userId, newest.id],
    ), 1);
    closeAll(sa, sb);
  });

  it("a sender's other pages get their own message's preview, with nothing unread", async () => {
    const a = await user("at");
    const b = await user("at");
    const chatId = await openDirect(a.agent, b.userId);
    const sa = await joined(a, chatId);
    const elsewhere = await connect(app, a.agent);
    const got = next<{ chatId: number; mine?: boolean; delta?: number; text?: string; messageId?: number; at?: string }>(elsewhere, "chat:unread", (e) => e.chatId === chatId);
    const m = await say(sa, chatId, "from my other tab");
    const e = await got;
    assert.deepEqual([e.mine, e.delta, e.text, e.messageId, e.at], [true, undefined, "from my other tab", m.id, m.createdAt]);
    closeAll(sa, elsewhere);
  });
});
