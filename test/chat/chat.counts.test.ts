// Unread counts and the "@" follow deletions and edits (#17): a deleted message is no longer unread, nor its
// mention, for everyone who had not read it, live (chat:unread with counts worked out anew, to every page) and on
// reload; a mention added by an edit reaches the person live as a new message's does, one edited away leaves,
// and in a muted chat the "@" is the row's only. Sockets and plain forms, against the real database.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials, postForm, tokenFor } from "../helpers/agent";
import { ask, closeAll, collect, connect, createGroup, next, openDirect, postMessage, recordStatements } from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

type U = Awaited<ReturnType<typeof loggedInAgent>>;
const user = (prefix = "cnt", opts: { isStaff?: boolean } = {}) => loggedInAgent(app, newCredentials(prefix), opts);
const uuid = () => crypto.randomUUID();
const count = async (sql: string, params: unknown[] = []) => Number((await app.sql<{ n: string }>(sql, params))[0].n);

interface Recount { chatId: number; unread?: number; mention?: boolean; total?: number; mentionChats?: number[]; text?: string; delta?: number }
interface Preview { chatId: number; messageId: number; mention?: boolean; muted?: boolean; text?: string }
type Answer = { ok: boolean; code?: string; message?: { id: number; deleted: boolean } };
const call = (s: Socket, event: string, payload: unknown) => s.emitWithAck(event, payload) as Promise<Answer>;

async function joined(u: U, chatId: number): Promise<Socket> {
  const s = await connect(app, u.agent);
  assert.equal((await ask(s, "chat:join", { chatId })).ok, true);
  return s;
}

async function say(s: Socket, chatId: number, text: string): Promise<number> {
  const ack = await call(s, "chat:message", { chatId, text, clientId: uuid() });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  return ack.message!.id;
}

async function form(u: U, url: string, fields: Record<string, string>) {
  const token = await tokenFor(u.agent, "/chats");
  return u.agent.post(url).type("form").send({ ...fields, _csrf: token });
}

const mute = (u: U, chatId: number) => postForm(u.agent, `/chats/${chatId}/mute`, { for: "forever" }, `/chats/${chatId}/mute`);
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? "";
/** What a chat list draws for one chat: its unread count (muted or not) and whether its "@" shows. */
function rowOf(html: string, chatId: number) {
  const row = new RegExp(`data-chat-row="${chatId}"[\\s\\S]*?</li>`).exec(html)?.[0] ?? "";
  assert.ok(row, `chat ${chatId} is listed`);
  const pill = /chat-row-unread( d-none)?"( data-muted)?>(\d*\+?)</.exec(row);
  return { unread: pill?.[3] ?? "", muted: Boolean(pill?.[2]), mention: /chat-row-mention"/.test(row) };
}
/** The navbar's "@": the chats it stands for (both badges carry the same list). */
const navMentions = (html: string) => [...html.matchAll(/data-mention-badge data-chats="([^"]*)"/g)].map((m) => m[1]);

/** Everything sent to this person's rooms before now has arrived: a message to them in a chat they do not have open. */
async function settled(from: Socket, to: Socket, chatId: number) {
  const marker = next<Recount>(to, "chat:unread", (e) => e.chatId === chatId && e.text === "marker");
  await say(from, chatId, "marker");
  await marker;
}

describe("a deleted message is no longer unread", () => {
  it("over the socket: each member behind it gets the chat's count, the total and the '@' anew, live and on reload", async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const d = await user();
    const group = await createGroup(a.agent, "Counted", [b.creds.username, c.creds.username, d.creds.username]);
    const direct = await openDirect(a.agent, b.userId);
    const toC = await openDirect(a.agent, c.userId);
    assert.equal((await mute(d, group)).status, 303);
    const sa = await joined(a, group);
    // b and d are on other pages; c has the chat open and reads everything.
    const sb = await connect(app, b.agent);
    const sc = await joined(c, group);
    const sd = await connect(app, d.agent);
    await say(sa, direct, "one in the direct chat");
    await say(sa, group, "one");
    const mentioning = await say(sa, group, `two @${b.creds.username} @${d.creds.username}`);
    const newest = await say(sa, group, "three");
    assert.equal((await call(sc, "chat:read", { chatId: group, messageId: newest })).ok, true);

    let page = await b.agent.get("/chats");
    assert.equal(titleOf(page.text), "(@4) Chats · Hromada");
    assert.deepEqual(rowOf(page.text, group), { unread: "3", muted: false, mention: true });

    const atB = collect<Recount>(sb, "chat:unread");
    const atC = collect<Recount>(sc, "chat:unread");
    const atD = collect<Recount>(sd, "chat:unread");
    const toD = next<Recount>(sd, "chat:unread", (e) => e.chatId === group && e.unread === 2);
    const ack = await call(sa, "chat:delete", { chatId: group, messageId: mentioning });
    assert.equal(ack.ok, true);
    assert.equal(ack.message!.deleted, true);
    await settled(sa, sb, direct);
    await settled(sa, sc, toC);
    await toD;

    assert.deepEqual(atB.filter((e) => e.text === undefined), [{ chatId: group, unread: 2, mention: false, total: 3, mentionChats: [] }]);
    // d muted the chat: its own count goes down, the total never had it.
    assert.deepEqual(atD, [{ chatId: group, unread: 2, mention: false, total: 0, mentionChats: [] }]);
    assert.deepEqual(atC.filter((e) => e.chatId === group), [], "c had read it: nothing changes for c");

    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE id = $1 AND deleted_at IS NOT NULL AND message = ''", [mentioning]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM message_mentions WHERE message_id = $1", [mentioning]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1 AND user_id = $2 AND last_read_message_id = 0", [group, b.userId]), 1,
      "b's read position did not move: the message is simply not counted");

    // A reload draws what the live events said (and the marker since, in the direct chat).
    page = await b.agent.get("/chats");
    assert.equal(titleOf(page.text), "(4) Chats · Hromada");
    assert.deepEqual(rowOf(page.text, group), { unread: "2", muted: false, mention: false });
    assert.deepEqual(navMentions(page.text), ["[]", "[]"]);
    const atHome = await d.agent.get("/chats");
    assert.deepEqual(rowOf(atHome.text, group), { unread: "2", muted: true, mention: false });
    // Opening the chat reads the two left: what is still unread is the direct chat's message and marker.
    const opened = collect<Recount>(sb, "chat:unread");
    await b.agent.get(`/chats/${group}`);
    await settled(sa, sb, direct);
    assert.deepEqual(opened[0], { chatId: group, unread: 0, total: 2, mentionChats: [] });
    closeAll(sa, sb, sc, sd);
  });

  it("the delete holds the chat's lock for one statement; the counts are read after it, locking nothing", async () => {
    const a = await user();
    const b = await user();
    const chatId = await openDirect(a.agent, b.userId);
    const sa = await joined(a, chatId);
    const m = await say(sa, chatId, "oops");
    const statements = await recordStatements(() => call(sa, "chat:delete", { chatId, messageId: m }));
    assert.equal(statements.length, 2, statements.join("\n---\n"));
    assert.match(statements[0], /FOR UPDATE/);
    assert.match(statements[1], /^\s*SELECT/);
    assert.doesNotMatch(statements[1], /FOR UPDATE|UPDATE|DELETE|INSERT/);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE id = $1 AND deleted_at IS NOT NULL", [m]), 1);
    closeAll(sa);
  });

  it("with the plain form, and by staff from the admin site, the same", async () => {
    const a = await user();
    const b = await user();
    const staff = await user("cntstaff", { isStaff: true });
    const chatId = await openDirect(a.agent, b.userId);
    for (const text of ["first", "second", "third"]) assert.equal((await postMessage(a.agent, chatId, text)).status, 303);
    const ids = (await app.sql<{ id: number }>("SELECT id FROM messages WHERE chat_id = $1 ORDER BY id", [chatId])).map((r) => r.id);
    const sb = await connect(app, b.agent);
    const atB = collect<Recount>(sb, "chat:unread");

    const first = next<Recount>(sb, "chat:unread", (e) => e.unread === 2);
    const res = await form(a, `/chats/${chatId}/messages/${ids[1]}/delete`, {});
    assert.equal(res.status, 303);
    await first;
    assert.equal(titleOf((await b.agent.get("/gallery")).text), "(2) Your gallery · Hromada");
    assert.equal(titleOf((await b.agent.get("/gallery")).text), "(2) Your gallery · Hromada");

    const second = next<Recount>(sb, "chat:unread", (e) => e.unread === 1);
    const byStaff = await postForm(staff.agent, `/admin/messages/${ids[0]}/delete`, {}, "/admin/messages");
    assert.equal(byStaff.status, 303);
    await second;
    assert.deepEqual(atB, [
      { chatId, unread: 2, mention: false, total: 2, mentionChats: [] },
      { chatId, unread: 1, mention: false, total: 1, mentionChats: [] },
    ]);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE chat_id = $1 AND deleted_at IS NULL", [chatId]), 1);
    const page = await b.agent.get("/chats");
    assert.equal(titleOf(page.text), "(1) Chats · Hromada");
    assert.deepEqual(rowOf(page.text, chatId), { unread: "1", muted: false, mention: false });
    // a deleting an own message again changes nothing and tells nobody anything.
    assert.equal((await form(a, `/chats/${chatId}/messages/${ids[1]}/delete`, {})).status, 303);
    const marker = next<Recount>(sb, "chat:unread", (e) => e.text === "marker");
    await postMessage(a.agent, chatId, "marker");
    await marker;
    assert.equal(atB.filter((e) => e.unread !== undefined).length, 2);
    closeAll(sb);
  });

  it("keeps the '@' while another unread message still mentions the reader", async () => {
    const a = await user();
    const b = await user();
    const chatId = await createGroup(a.agent, "Twice", [b.creds.username]);
    const sa = await joined(a, chatId);
    const sb = await connect(app, b.agent);
    await say(sa, chatId, `one @${b.creds.username}`);
    const second = await say(sa, chatId, `two @${b.creds.username}`);
    const got = next<Recount>(sb, "chat:unread", (e) => e.unread !== undefined);
    await call(sa, "chat:delete", { chatId, messageId: second });
    assert.deepEqual(await got, { chatId, unread: 1, mention: true, total: 1, mentionChats: [chatId] });
    const page = await b.agent.get("/chats");
    assert.deepEqual(rowOf(page.text, chatId), { unread: "1", muted: false, mention: true });
    assert.deepEqual(navMentions(page.text), [`[${chatId}]`, `[${chatId}]`]);
    assert.equal(await count("SELECT count(*) AS n FROM message_mentions WHERE chat_id = $1 AND user_id = $2", [chatId, b.userId]), 1);
    closeAll(sa, sb);
  });
});

describe("a mention added or removed by an edit", () => {
  it("reaches the person live as a new message's does, and leaves when edited away; muted: the row's '@' only", async () => {
    const a = await user();
    const b = await user();
    const d = await user();
    const chatId = await createGroup(a.agent, "Edited", [b.creds.username, d.creds.username]);
    assert.equal((await mute(d, chatId)).status, 303);
    const sa = await joined(a, chatId);
    const sb = await connect(app, b.agent);
    const sd = await connect(app, d.agent);
    const m = await say(sa, chatId, "hello");
    let page = await b.agent.get("/chats");
    assert.deepEqual(rowOf(page.text, chatId), { unread: "1", muted: false, mention: false });

    // Added over the socket.
    const atB = collect<Preview>(sb, "chat:preview");
    const atD = collect<Preview>(sd, "chat:preview");
    let toB = next<Preview>(sb, "chat:preview", (e) => e.mention !== undefined);
    let toD = next<Preview>(sd, "chat:preview", (e) => e.mention !== undefined);
    assert.equal((await call(sa, "chat:edit", { chatId, messageId: m, text: `hello @${b.creds.username} @${d.creds.username}`, clientId: uuid() })).ok, true);
    assert.deepEqual(await toB, { chatId, messageId: m, mention: true });
    assert.deepEqual(await toD, { chatId, messageId: m, mention: true, muted: true });
    assert.deepEqual(
      (await app.sql<{ user_id: number }>("SELECT user_id FROM message_mentions WHERE message_id = $1 ORDER BY user_id", [m])).map((r) => r.user_id),
      [b.userId, d.userId].sort((x, y) => x - y),
    );
    page = await b.agent.get("/chats");
    assert.equal(titleOf(page.text), "(@1) Chats · Hromada");
    assert.deepEqual(rowOf(page.text, chatId), { unread: "1", muted: false, mention: true });
    assert.deepEqual(navMentions(page.text), [`[${chatId}]`, `[${chatId}]`]);
    // The muted chat: its row shows the "@" (and its count, muted), the navbar and the title do not.
    page = await d.agent.get("/chats");
    assert.equal(titleOf(page.text), "Chats · Hromada");
    assert.deepEqual(rowOf(page.text, chatId), { unread: "1", muted: true, mention: true });
    assert.deepEqual(navMentions(page.text), ["[]", "[]"]);

    // Edited away with the plain form.
    toB = next<Preview>(sb, "chat:preview", (e) => e.mention === false);
    toD = next<Preview>(sd, "chat:preview", (e) => e.mention === false);
    assert.equal((await form(a, `/chats/${chatId}/messages/${m}/edit`, { text: "hello all" })).status, 303);
    assert.deepEqual(await toB, { chatId, messageId: m, mention: false });
    assert.deepEqual(await toD, { chatId, messageId: m, mention: false });
    assert.equal(await count("SELECT count(*) AS n FROM message_mentions WHERE message_id = $1", [m]), 0);
    page = await b.agent.get("/chats");
    assert.equal(titleOf(page.text), "(1) Chats · Hromada");
    assert.deepEqual(rowOf(page.text, chatId), { unread: "1", muted: false, mention: false });

    // And back with the plain form: the form path tells b live too.
    toB = next<Preview>(sb, "chat:preview", (e) => e.mention === true);
    assert.equal((await form(a, `/chats/${chatId}/messages/${m}/edit`, { text: `hello again @${b.creds.username}` })).status, 303);
    assert.deepEqual(await toB, { chatId, messageId: m, mention: true });
    assert.deepEqual(atB.filter((e) => e.mention !== undefined).map((e) => e.mention), [true, false, true]);
    assert.deepEqual(atD.filter((e) => e.mention !== undefined).map((e) => [e.mention, e.muted]), [[true, true], [false, undefined]]);
    assert.equal(await count("SELECT count(*) AS n FROM message_mentions WHERE message_id = $1 AND user_id = $2", [m, b.userId]), 1);
    closeAll(sa, sb, sd);
  });

  it("never marks a message the person has read, muted or not", async () => {
    const a = await user();
    const d = await user();
    const chatId = await createGroup(a.agent, "Read muted", [d.creds.username]);
    assert.equal((await mute(d, chatId)).status, 303);
    const sa = await joined(a, chatId);
    const sd = await connect(app, d.agent);
    const m = await say(sa, chatId, "read it");
    assert.equal((await call(sd, "chat:read", { chatId, messageId: m })).ok, true);
    const atD = collect<Preview>(sd, "chat:preview");
    await call(sa, "chat:edit", { chatId, messageId: m, text: `read it @${d.creds.username}`, clientId: uuid() });
    const direct = await openDirect(a.agent, d.userId);
    const marker = next<Recount>(sd, "chat:unread", (e) => e.chatId === direct);
    await postMessage(a.agent, direct, "marker");
    await marker;
    assert.deepEqual(atD.filter((e) => e.mention !== undefined), []);
    assert.deepEqual(rowOf((await d.agent.get("/chats")).text, chatId), { unread: "", muted: true, mention: false });
    closeAll(sa, sd);
  });
});
