// Chat pages over HTTP (as with JavaScript off): direct and group chats, history, sending by form,
// unread counts and the badge, group management, and every refusal, each checked in the database.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, loggedInAgent, newCredentials, postForm, tokenFor, type Agent } from "../helpers/agent";
import { dateFormatter } from "../../src/i18n/format";
import { chatIdFrom, createGroup, openDirect, postMessage, recordStatements } from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

type U = Awaited<ReturnType<typeof loggedInAgent>>;
const user = (prefix = "chat") => loggedInAgent(app, newCredentials(prefix));
const count = async (sql: string, params: unknown[] = []) => Number((await app.sql<{ n: string }>(sql, params))[0].n);
const badge = (html: string) => /id="nav-unread"[^>]*>([^<]*)</.exec(html)?.[1] ?? "";
const badgeHidden = (html: string) => /class="badge[^"]*d-none[^"]*" id="nav-unread"/.test(html);

async function insertMessages(chatId: number, userId: number, n: number, prefix = "msg") {
  await app.sql(
    `INSERT INTO messages (chat_id, user_id, message) SELECT $1, $2, $3 || ' ' || i FROM generate_series(1, $4) AS i ORDER BY i`,
    [chatId, userId, prefix, n],
  );
}

describe("direct chats", () => {
  let a: U;
  let b: U;
  before(async () => {
    a = await user();
    b = await user();
  });

  it("starts a direct chat from the Message button and opens the same one afterwards, from either side", async () => {
    const id = await openDirect(a.agent, b.userId);
    const [chat] = await app.sql<{ is_group: boolean; direct_key: string; creator_id: number; chat_name: string | null }>(
      "SELECT is_group, direct_key, creator_id, chat_name FROM chats WHERE id = $1",
      [id],
    );
    assert.deepEqual(chat, {
      is_group: false,
      direct_key: `${Math.min(a.userId, b.userId)}:${Math.max(a.userId, b.userId)}`,
      creator_id: a.userId,
      chat_name: null,
    });
    const members = await app.sql<{ user_id: number }>("SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY user_id", [id]);
    assert.deepEqual(members.map((m) => m.user_id), [a.userId, b.userId].sort((x, y) => x - y));

    assert.equal(await openDirect(a.agent, b.userId), id, "again: the same chat");
    assert.equal(await openDirect(b.agent, a.userId), id, "from the other side: the same chat");
    assert.equal(await count("SELECT count(*) AS n FROM chats WHERE direct_key = $1", [chat.direct_key]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1", [id]), 2);

    const page = await a.agent.get(`/chats/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, new RegExp(`<h1[^>]*id="chat-title"[^>]*>${b.creds.username}</h1>`));
  });

  it("lists a new direct chat for the person who opened it; the other sees it only after the first message", async () => {
    const c = await user();
    const d = await user();
    const id = await openDirect(c.agent, d.userId);
    const listed = async (u: U) => (await u.agent.get("/chats").expect(200)).text.includes(`data-chat-row="${id}"`);
    assert.equal(await listed(c), true, "the opener has it, ready to write in");
    assert.equal(await listed(d), false, "an empty chat does not appear in the other person's list");
    assert.equal((await d.agent.get(`/chats/${id}`)).status, 200, "it exists: a member can still open it by its address");
    assert.equal((await postMessage(c.agent, id, "hello there")).status, 303);
    assert.equal(await listed(d), true, "the first message brings it to the other person");
    const [row] = await app.sql<{ last_message_id: number }>("SELECT last_message_id FROM chats WHERE id = $1", [id]);
    assert.ok(row.last_message_id > 0);
    // Someone else opens a chat with c: not in c's list until they write.
    const e = await user();
    const back = await openDirect(e.agent, c.userId);
    assert.equal((await c.agent.get("/chats")).text.includes(`data-chat-row="${back}"`), false);
    await postMessage(e.agent, back, "hi c");
    assert.equal((await c.agent.get("/chats")).text.includes(`data-chat-row="${back}"`), true);
  });

  it("creates exactly one chat when both people press Message at the same moment", async () => {
    const c = await user();
    const d = await user();
    // Each agent's CSRF token first (fetching tokens concurrently would race on the session), then the presses at once.
    const [tc, td] = [await tokenFor(c.agent, "/chats"), await tokenFor(d.agent, "/chats")];
    const press = (who: U, token: string, otherId: number) =>
      who.agent.post("/chats/direct").type("form").send({ user_id: String(otherId), _csrf: token }).then(chatIdFrom);
    const ids = await Promise.all([
      press(c, tc, d.userId), press(d, td, c.userId), press(c, tc, d.userId), press(d, td, c.userId),
    ]);
    assert.equal(new Set(ids).size, 1, `one chat, got ${ids}`);
    const key = `${Math.min(c.userId, d.userId)}:${Math.max(c.userId, d.userId)}`;
    assert.equal(await count("SELECT count(*) AS n FROM chats WHERE direct_key = $1", [key]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1", [ids[0]]), 2);
  });

  it("refuses a chat with yourself with a clear 422, storing nothing", async () => {
    const before = await count("SELECT count(*) AS n FROM chats");
    const res = await postForm(a.agent, "/chats/direct", { user_id: String(a.userId) }, "/chats");
    assert.equal(res.status, 422);
    assert.match(res.text, /You can&#39;t start a chat with yourself\./);
    assert.equal(await count("SELECT count(*) AS n FROM chats"), before);
  });

  it("404s for unknown, deactivated and malformed user ids, storing nothing", async () => {
    const gone = await user();
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [gone.userId]);
    const before = await count("SELECT count(*) AS n FROM chats");
    for (const userId of ["2147483000", String(gone.userId), "abc", "0", "-1", "1e3", "99999999999", ""]) {
      const res = await postForm(a.agent, "/chats/direct", { user_id: userId }, "/chats");
      assert.equal(res.status, 404, `user_id=${userId}`);
    }
    assert.equal(await count("SELECT count(*) AS n FROM chats"), before);
  });

  it("refuses a Message button without a CSRF token (403) and anonymous visitors (to the login page)", async () => {
    const before = await count("SELECT count(*) AS n FROM chats");
    const forged = await a.agent.post("/chats/direct").type("form").send({ user_id: String(b.userId) });
    assert.equal(forged.status, 403);
    const anon = agent(app);
    const token = await tokenFor(anon, "/login");
    const res = await anon.post("/chats/direct").type("form").send({ user_id: String(b.userId), _csrf: token });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/login");
    for (const url of ["/chats", "/chats/1", "/chats/new", "/people", "/people/x"]) {
      const r = await agent(app).get(url);
      assert.equal(r.status, 303, url);
      assert.equal(r.headers.location, "/login", url);
    }
    assert.equal(await count("SELECT count(*) AS n FROM chats"), before);
  });
});

describe("a chat page and sending by form", () => {
  let a: U;
  let b: U;
  let outsider: U;
  let chatId: number;
  before(async () => {
    a = await user();
    b = await user();
    outsider = await user();
    chatId = await openDirect(a.agent, b.userId);
  });

  it("stores a form-posted message (trimmed) with the server's sender, chat and time, and redirects back", async () => {
    const started = new Date(Date.now() - 60_000);
    const res = await postMessage(a.agent, chatId, "  hello there \n", { user_id: String(b.userId), chat_id: "999", created_at: "2000-01-01" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/chats/${chatId}`);
    const rows = await app.sql<{ chat_id: number; user_id: number; message: string; created_at: Date }>(
      "SELECT chat_id, user_id, message, created_at FROM messages WHERE chat_id = $1 ORDER BY id DESC LIMIT 1",
      [chatId],
    );
    assert.equal(rows[0].user_id, a.userId, "sender from the session");
    assert.equal(rows[0].chat_id, chatId, "chat from the URL");
    assert.equal(rows[0].message, "hello there");
    assert.ok(rows[0].created_at > started, "time from the server");
    const [c] = await app.sql<{ last_message_at: Date }>("SELECT last_message_at FROM chats WHERE id = $1", [chatId]);
    assert.ok(c.last_message_at && c.last_message_at >= rows[0].created_at, "the chat's activity time moved");

    const page = await b.agent.get(`/chats/${chatId}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<div class="chat-text" data-user-content>hello there<\/div>/);
  });

  it("stores a double-submitted form once (the form's client id)", async () => {
    const page = await a.agent.get(`/chats/${chatId}`);
    const clientId = /name="client_id" value="([0-9a-f-]{36})"/.exec(page.text)![1];
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    for (let i = 0; i < 3; i++) {
      const res = await a.agent.post(`/chats/${chatId}/messages`).type("form").send({ text: "only once", client_id: clientId, _csrf: token });
      assert.equal(res.status, 303);
    }
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE client_id = $1", [clientId]), 1);
    const again = await a.agent.get(`/chats/${chatId}`);
    assert.notEqual(/name="client_id" value="([0-9a-f-]{36})"/.exec(again.text)![1], clientId, "each page render has a new id");
  });

  it("shows messages as text, never as HTML", async () => {
    const evil = `<script>alert(1)</script><img src=x onerror="alert(2)">`;
    await postMessage(b.agent, chatId, evil);
    const page = await a.agent.get(`/chats/${chatId}`);
    assert.ok(!page.text.includes(evil), "not raw");
    assert.match(page.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;img src=x onerror=&quot;alert\(2\)&quot;&gt;/);
    const list = await a.agent.get("/chats");
    assert.ok(!list.text.includes("<script>alert(1)"), "the chat list's preview is escaped too");
  });

  const invalid: [string, string, RegExp][] = [
    ["an empty message", "", /Write a message\./],
    ["only spaces", "   \n\t ", /Write a message\./],
    ["4,001 characters", "x".repeat(4001), /at most 4,000 characters/],
  ];
  for (const [name, text, message] of invalid) {
    it(`re-renders with 422 for ${name}, keeping what was typed, storing nothing`, async () => {
      const before = await count("SELECT count(*) AS n FROM messages");
      const res = await postMessage(a.agent, chatId, text);
      assert.equal(res.status, 422);
      assert.match(res.text, message);
      assert.match(res.text, /is-invalid/);
      if (text.trim()) assert.ok(res.text.includes(`>${text}</textarea>`), "old input kept");
      assert.equal(await count("SELECT count(*) AS n FROM messages"), before);
    });
  }

  it("accepts exactly 4,000 characters", async () => {
    const res = await postMessage(a.agent, chatId, "y".repeat(4000));
    assert.equal(res.status, 303);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE chat_id = $1 AND length(message) = 4000", [chatId]), 1);
  });

  it("is a 404 for a non-member: the page, the JSON history, sending, and nothing is stored", async () => {
    const before = await count("SELECT count(*) AS n FROM messages");
    assert.equal((await outsider.agent.get(`/chats/${chatId}`)).status, 404);
    assert.equal((await outsider.agent.get(`/chats/${chatId}?before=100`)).status, 404);
    const json = await outsider.agent.get(`/chats/${chatId}/messages?before=2147483647`).set("Accept", "application/json");
    assert.equal(json.status, 404);
    assert.deepEqual(json.body, { error: "Page not found" });
    const res = await postMessage(outsider.agent, chatId, "let me in");
    assert.equal(res.status, 404);
    const settings = await outsider.agent.get(`/chats/${chatId}/settings`);
    assert.equal(settings.status, 404);
    assert.equal(await count("SELECT count(*) AS n FROM messages"), before);
    assert.ok(!(await outsider.agent.get("/chats")).text.includes(`/chats/${chatId}"`), "not in the outsider's list");
  });

  it("404s for wrong-shape and unknown chat ids", async () => {
    for (const id of ["abc", "0", "-5", "1.5", "99999999999", "2147483647", "%00"]) {
      assert.equal((await a.agent.get(`/chats/${id}`)).status, 404, id);
      assert.equal((await postMessage(a.agent, id as unknown as number, "hi")).status, 404, `POST ${id}`);
    }
    for (const before of ["x", "0", "-1", "99999999999"]) {
      assert.equal((await a.agent.get(`/chats/${chatId}?before=${before}`)).status, 404, `before=${before}`);
      assert.equal((await a.agent.get(`/chats/${chatId}/messages?before=${before}`)).status, 404, `json before=${before}`);
    }
    assert.equal((await a.agent.get(`/chats/${chatId}/messages`)).status, 404, "no before");
  });
});

describe("history pages (keyset, newest at the bottom)", () => {
  let a: U;
  let b: U;
  let chatId: number;
  let ids: number[];
  before(async () => {
    a = await user();
    b = await user();
    chatId = await openDirect(a.agent, b.userId);
    await insertMessages(chatId, b.userId, 120);
    ids = (await app.sql<{ id: number }>("SELECT id FROM messages WHERE chat_id = $1 ORDER BY id", [chatId])).map((r) => r.id);
  });

  const shownIds = (html: string) => [...html.matchAll(/<li class="chat-msg[^"]*" id="m-(\d+)"/g)].map((m) => Number(m[1]));

  it("shows the newest 50, oldest first, with a no-JS link to the page before", async () => {
    const page = await a.agent.get(`/chats/${chatId}`);
    assert.equal(page.status, 200);
    assert.deepEqual(shownIds(page.text), ids.slice(-50));
    assert.match(page.text, /msg 120<\/div>/);
    assert.ok(!page.text.includes(">msg 70</div>"), "older ones are not on the first page");
    assert.match(page.text, new RegExp(`id="load-older" href="/chats/${chatId}\\?before=${ids[70]}"`));
  });

  it("follows ?before= links back to the first message, then says it is the beginning", async () => {
    let page = await a.agent.get(`/chats/${chatId}?before=${ids[70]}`);
    assert.deepEqual(shownIds(page.text), ids.slice(20, 70));
    assert.match(page.text, /Jump to the latest messages/);
    page = await a.agent.get(`/chats/${chatId}?before=${ids[20]}`);
    assert.deepEqual(shownIds(page.text), ids.slice(0, 20));
    assert.ok(!page.text.includes('id="load-older"'));
    assert.match(page.text, /This is the beginning of the chat\./);
  });

  it("serves the same pages as JSON for chat.js, unaffected by new messages arriving (keyset, not offset)", async () => {
    const first = await a.agent.get(`/chats/${chatId}/messages?before=${ids[70]}`).set("Accept", "application/json");
    assert.equal(first.status, 200);
    await insertMessages(chatId, b.userId, 5, "newer");
    const again = await a.agent.get(`/chats/${chatId}/messages?before=${ids[70]}`).set("Accept", "application/json");
    assert.deepEqual(again.body, first.body);
    assert.equal(first.body.hasMore, true);
    assert.deepEqual(first.body.messages.map((m: { id: number }) => m.id), ids.slice(20, 70));
    const m = first.body.messages[0];
    assert.deepEqual(Object.keys(m).sort(), [
      "avatar", "chatId", "clientId", "createdAt", "deleted", "editedAt", "id", "photos", "reactions", "replyTo", "text", "userId", "username", "version",
    ]);
    assert.equal(m.username, b.creds.username);
    const last = await a.agent.get(`/chats/${chatId}/messages?before=${ids[20]}`);
    assert.equal(last.body.hasMore, false);
    assert.equal(last.body.messages.length, 20);
  });
});

describe("my chats, unread counts and the navbar badge", () => {
  let a: U;
  let b: U;
  let c: U;
  before(async () => {
    a = await user();
    b = await user();
    c = await user();
  });

  it("lists my chats by latest activity with the last message and unread counts, and opening one marks it read", async () => {
    const withB = await openDirect(a.agent, b.userId);
    const withC = await openDirect(a.agent, c.userId);
    const group = await createGroup(b.agent, "Weekend plans", [a.creds.username, c.creds.username]);
    await postMessage(b.agent, withB, "first from b");
    await postMessage(c.agent, withC, "hi from c");
    await postMessage(c.agent, withC, "are you there?");
    await postMessage(b.agent, group, "who brings snacks?");
    await postMessage(a.agent, withB, "my own reply");

    let list = await a.agent.get("/chats");
    assert.equal(list.status, 200);
    const order = [...list.text.matchAll(/data-chat-row="(\d+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(order, [withB, group, withC], "most recent activity first");
    const row = (id: number) => list.text.slice(list.text.indexOf(`data-chat-row="${id}"`)).split("</li>")[0];
    assert.match(row(withB), /You: <span data-user-content>my own reply</);
    assert.match(row(withB), /chat-row-unread d-none/, "my own message is not unread, and it read what came before");
    assert.match(row(withC), /are you there\?/);
    assert.match(row(withC), /text-bg-primary chat-row-unread">2</);
    assert.match(row(group), /Weekend plans/);
    assert.match(row(group), new RegExp(`${b.creds.username}: who brings snacks\\?`));
    assert.match(row(group), /chat-row-unread">1</);
    assert.equal(badge(list.text), "3", "the navbar badge has the total");

    // Opening the chat with c marks it read; the badge on that very page already leaves it out.
    const page = await a.agent.get(`/chats/${withC}`);
    assert.equal(badge(page.text), "1");
    const [member] = await app.sql<{ last_read_message_id: number }>(
      "SELECT last_read_message_id FROM chat_members WHERE chat_id = $1 AND user_id = $2",
      [withC, a.userId],
    );
    const [newest] = await app.sql<{ id: number }>("SELECT max(id) AS id FROM messages WHERE chat_id = $1", [withC]);
    assert.equal(member.last_read_message_id, newest.id);
    assert.match(page.text, /id="unread"/, "a divider shows where the new messages began");
    list = await a.agent.get("/chats");
    assert.match(row(withC), /chat-row-unread d-none/);
    assert.equal(badge(list.text), "1");
    const home = await a.agent.get("/");
    assert.equal(badge(home.text), "1", "every page's navbar");
    await a.agent.get(`/chats/${group}`);
    assert.ok(badgeHidden((await a.agent.get("/chats")).text), "no unread left: the badge is hidden");
  });

  it("counts at most 99+ per chat", async () => {
    const d = await user();
    const id = await openDirect(d.agent, a.userId);
    await insertMessages(id, d.userId, 150);
    const list = await a.agent.get("/chats");
    assert.match(list.text.slice(list.text.indexOf(`data-chat-row="${id}"`)), /chat-row-unread">99\+</);
  });

  it("lists chats in a fixed number of statements, however many chats (no N+1)", async () => {
    const e = await user();
    // A first view after a form stores the session's new CSRF token: warm up, then measure.
    const measure = async () => {
      await e.agent.get("/chats").expect(200);
      return recordStatements(() => e.agent.get("/chats").expect(200));
    };
    const small = await measure();
    for (let i = 0; i < 6; i++) {
      const other = await user();
      const id = await openDirect(e.agent, other.userId);
      await postMessage(other.agent, id, `hello ${i}`);
    }
    await createGroup(e.agent, "Many", [a.creds.username]);
    const big = await measure();
    assert.equal(big.length, small.length, `same number of statements:\n${big.join("\n")}`);
    assert.ok(big.length <= 3, `session, user (with the unread total), chat list:\n${big.join("\n")}`);
  });

  it("pages through many chats, 50 at a time", async () => {
    const f = await user();
    await app.sql(
      `WITH g AS (INSERT INTO chats (chat_name, is_group, creator_id, last_message_at)
                  SELECT 'Group ' || i, true, $1, now() - i * interval '1 minute' FROM generate_series(1, 52) i RETURNING id)
       INSERT INTO chat_members (chat_id, user_id) SELECT id, $1 FROM g`,
      [f.userId],
    );
    const rows = (html: string) => [...html.matchAll(/data-chat-row="\d+"/g)].length;
    const p1 = await f.agent.get("/chats");
    assert.equal(rows(p1.text), 50);
    assert.match(p1.text, /<span data-user-content>Group 1<\/span> <span/);
    assert.match(p1.text, /href="\/chats\?page=2">Older chats/);
    const p2 = await f.agent.get("/chats?page=2");
    assert.equal(rows(p2.text), 2);
    assert.match(p2.text, /<span data-user-content>Group 52<\/span> <span/);
    assert.match(p2.text, /href="\/chats\?page=1">Newer/);
    assert.equal((await f.agent.get("/chats?page=junk")).status, 200, "a bad page number is the first page");
  });

  it("offers the new-group form, prefilled from a profile's button", async () => {
    const res = await a.agent.get(`/chats/new?with=${encodeURIComponent(b.creds.username)}`);
    assert.equal(res.status, 200);
    assert.match(res.text, new RegExp(`<textarea[^>]*name="members"[^>]*>${b.creds.username}</textarea>`));
    assert.match(res.text, /<label class="form-label" for="f-name">Group name<\/label>/);
    assert.match(res.text, /name="_csrf"/);
  });

  it("keeps the home page at the same statements: the badge rides on the user query", async () => {
    const statements = await recordStatements(() => a.agent.get("/").expect(200));
    const userQueries = statements.filter((s) => /FROM "users"/.test(s));
    assert.equal(userQueries.length, 1);
    assert.match(userQueries[0], /chat_members/, "the unread total is a subselect of the one user query");
    assert.ok(!statements.some((s) => /^\s*SELECT[\s\S]*FROM chat_members/i.test(s) && !/FROM "users"/.test(s)), "no separate unread query");
  });
});

describe("group chats", () => {
  let owner: U;
  let m1: U;
  let m2: U;
  let outsider: U;
  before(async () => {
    owner = await user("grp");
    m1 = await user("grp");
    m2 = await user("grp");
    outsider = await user("grp");
  });

  it("creates a group with its name, creator and members (usernames in any case, duplicates and @ ignored)", async () => {
    const res = await postForm(owner.agent, "/chats", {
      name: "  Book club  ",
      members: `@${m1.creds.username.toUpperCase()}, ${m2.creds.username} ${m1.creds.username};${owner.creds.username}`,
    }, "/chats/new");
    const id = chatIdFrom(res);
    const [chat] = await app.sql<{ chat_name: string; is_group: boolean; creator_id: number; direct_key: string | null }>(
      "SELECT chat_name, is_group, creator_id, direct_key FROM chats WHERE id = $1",
      [id],
    );
    assert.deepEqual(chat, { chat_name: "Book club", is_group: true, creator_id: owner.userId, direct_key: null });
    const members = (await app.sql<{ user_id: number }>("SELECT user_id FROM chat_members WHERE chat_id = $1", [id])).map((r) => r.user_id);
    assert.deepEqual(members.sort(), [owner.userId, m1.userId, m2.userId].sort());
    const page = await m2.agent.get(`/chats/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Book club/);
    assert.match(page.text, /3 members/);
  });

  it("accepts members as a multi-select (repeated fields)", async () => {
    const token = await tokenFor(owner.agent, "/chats/new");
    const res = await owner.agent.post("/chats").type("form").send(`name=Multi&members=${m1.creds.username}&members=${m2.creds.username}&_csrf=${encodeURIComponent(token)}`);
    const id = chatIdFrom(res);
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1", [id]), 3);
  });

  const bad: [string, { name: string; members: string }, RegExp][] = [
    ["no name", { name: "   ", members: "x" }, /Give the group a name\./],
    ["a 101-character name", { name: "n".repeat(101), members: "x" }, /at most 100 characters/],
    ["no members", { name: "Lonely", members: " , " }, /Name at least one person\./],
    ["unknown usernames", { name: "Ghosts", members: "nobody_here, also_nobody" }, /There are no users called &quot;nobody_here&quot;, &quot;also_nobody&quot;\./],
    ["only yourself", { name: "Me", members: "SELF" }, /Add at least one other person\./],
  ];
  for (const [name, form, message] of bad) {
    it(`re-renders the form with 422 for ${name}, keeping the input, storing nothing`, async () => {
      const body = { ...form, members: form.members === "SELF" ? owner.creds.username : form.members };
      const before = await count("SELECT count(*) AS n FROM chats");
      const res = await postForm(owner.agent, "/chats", body, "/chats/new");
      assert.equal(res.status, 422);
      assert.match(res.text, message);
      assert.match(res.text, /is-invalid/);
      if (body.name.trim()) assert.ok(res.text.includes(`value="${body.name}"`), "name kept");
      assert.ok(res.text.includes(`>${body.members}</textarea>`), "members kept");
      assert.equal(await count("SELECT count(*) AS n FROM chats"), before);
    });
  }

  it("names an unknown person clearly even among known ones, and stores nothing", async () => {
    const before = await count("SELECT count(*) AS n FROM chat_members");
    const res = await postForm(owner.agent, "/chats", { name: "Mixed", members: `${m1.creds.username}, ghost_x` }, "/chats/new");
    assert.equal(res.status, 422);
    assert.match(res.text, /There is no user called &quot;ghost_x&quot;\./);
    assert.equal(await count("SELECT count(*) AS n FROM chat_members"), before);
  });

  it("lets the creator rename, add and remove members; others get 404 and nothing changes", async () => {
    const id = await createGroup(owner.agent, "Team", [m1.creds.username]);
    // A member who is not the creator, and an outsider: 404 for every management action.
    for (const who of [m1, outsider]) {
      assert.equal((await postForm(who.agent, `/chats/${id}/rename`, { name: "Hijacked" }, "/chats")).status, 404);
      assert.equal((await postForm(who.agent, `/chats/${id}/rename`, { name: "" }, "/chats")).status, 404, "404 before 422");
      assert.equal((await postForm(who.agent, `/chats/${id}/members`, { members: outsider.creds.username }, "/chats")).status, 404);
      assert.equal((await postForm(who.agent, `/chats/${id}/members/${owner.userId}/remove`, {}, "/chats")).status, 404);
    }
    assert.equal((await app.sql<{ chat_name: string }>("SELECT chat_name FROM chats WHERE id = $1", [id]))[0].chat_name, "Team");
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1", [id]), 2);
    const memberView = await m1.agent.get(`/chats/${id}/settings`);
    assert.equal(memberView.status, 200);
    assert.ok(!memberView.text.includes(`/chats/${id}/rename`), "no rename form for members");
    assert.match(memberView.text, /Leave group/);

    // Rename: 422 with the old input for a bad name, then success.
    let res = await postForm(owner.agent, `/chats/${id}/rename`, { name: "x".repeat(101) }, `/chats/${id}/settings`);
    assert.equal(res.status, 422);
    assert.match(res.text, /at most 100 characters/);
    assert.ok(res.text.includes(`value="${"x".repeat(101)}"`));
    res = await postForm(owner.agent, `/chats/${id}/rename`, { name: "Dream team" }, `/chats/${id}/settings`);
    assert.equal(res.status, 303);
    assert.equal((await app.sql<{ chat_name: string }>("SELECT chat_name FROM chats WHERE id = $1", [id]))[0].chat_name, "Dream team");

    // Add: unknown names are a 422 naming them; known ones are added, old members reported.
    res = await postForm(owner.agent, `/chats/${id}/members`, { members: `${m2.creds.username} nobody_at_all` }, `/chats/${id}/settings`);
    assert.equal(res.status, 422);
    assert.match(res.text, /There is no user called &quot;nobody_at_all&quot;/);
    assert.ok(res.text.includes(`value="${m2.creds.username} nobody_at_all"`));
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1", [id]), 2);
    await postMessage(m1.agent, id, "before m2 joined");
    res = await postForm(owner.agent, `/chats/${id}/members`, { members: `${m2.creds.username}, ${m1.creds.username}` }, `/chats/${id}/settings`);
    assert.equal(res.status, 303);
    const settings = await owner.agent.get(`/chats/${id}/settings`);
    assert.match(settings.text, new RegExp(`Added ${m2.creds.username}\\.`));
    assert.match(settings.text, new RegExp(`Already in the group: ${m1.creds.username}\\.`));
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1", [id]), 3);
    const m2Page = await m2.agent.get(`/chats/${id}`);
    assert.match(m2Page.text, /before m2 joined/, "a new member sees the history");
    const [m2Row] = await app.sql<{ last_read_message_id: number }>(
      "SELECT last_read_message_id FROM chat_members WHERE chat_id = $1 AND user_id = $2", [id, m2.userId]);
    assert.ok(m2Row.last_read_message_id > 0, "history from before joining is not unread");

    // Remove: the creator cannot remove themself this way; removing someone who is not a member is a 404.
    assert.equal((await postForm(owner.agent, `/chats/${id}/members/${owner.userId}/remove`, {}, "/chats")).status, 404);
    assert.equal((await postForm(owner.agent, `/chats/${id}/members/${outsider.userId}/remove`, {}, "/chats")).status, 404);
    assert.equal((await postForm(owner.agent, `/chats/${id}/members/abc/remove`, {}, "/chats")).status, 404);
    res = await postForm(owner.agent, `/chats/${id}/members/${m2.userId}/remove`, {}, "/chats");
    assert.equal(res.status, 303);
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1 AND user_id = $2", [id, m2.userId]), 0);
    assert.equal((await m2.agent.get(`/chats/${id}`)).status, 404, "a removed member can no longer read");
    assert.equal((await postMessage(m2.agent, id, "still here?")).status, 404);
  });

  it("group management does not exist for direct chats", async () => {
    const id = await openDirect(owner.agent, m1.userId);
    assert.equal((await owner.agent.get(`/chats/${id}/settings`)).status, 404);
    assert.equal((await postForm(owner.agent, `/chats/${id}/rename`, { name: "x" }, "/chats")).status, 404);
    assert.equal((await postForm(owner.agent, `/chats/${id}/members`, { members: m2.creds.username }, "/chats")).status, 404);
    assert.equal((await postForm(owner.agent, `/chats/${id}/leave`, {}, "/chats")).status, 404);
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1", [id]), 2);
  });

  it("lets members leave; the creator's leaving hands the group on; the last one out deletes it", async () => {
    const id = await createGroup(owner.agent, "Short-lived", [m1.creds.username, m2.creds.username]);
    await postMessage(m1.agent, id, "hello all");
    assert.equal((await postForm(outsider.agent, `/chats/${id}/leave`, {}, "/chats")).status, 404, "outsiders cannot leave");

    let res = await postForm(owner.agent, `/chats/${id}/leave`, {}, "/chats");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/chats");
    let [chat] = await app.sql<{ creator_id: number }>("SELECT creator_id FROM chats WHERE id = $1", [id]);
    assert.equal(chat.creator_id, m1.userId, "the longest-standing member is the new creator");
    assert.equal((await owner.agent.get(`/chats/${id}`)).status, 404, "the one who left can no longer read");
    assert.equal((await postForm(m1.agent, `/chats/${id}/rename`, { name: "Renamed by m1" }, "/chats")).status, 303);

    await postForm(m2.agent, `/chats/${id}/leave`, {}, "/chats");
    [chat] = await app.sql<{ creator_id: number }>("SELECT creator_id FROM chats WHERE id = $1", [id]);
    assert.equal(chat.creator_id, m1.userId);
    res = await postForm(m1.agent, `/chats/${id}/leave`, { delete_if_last: "1" }, "/chats");
    assert.equal(res.status, 303);
    assert.equal(await count("SELECT count(*) AS n FROM chats WHERE id = $1", [id]), 0, "the last member out deletes the group");
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE chat_id = $1", [id]), 0, "and its messages");
    assert.match((await m1.agent.get("/chats")).text, /its last member: the group is deleted/);
  });
});

describe("in Ukrainian, in the reader's own time zone", () => {
  let olena: U;
  let taras: U;
  let ivan: U;
  before(async () => {
    [olena, taras, ivan] = [await user("uk"), await user("uk"), await user("uk")];
    await app.sql("UPDATE users SET locale = 'uk', time_zone = 'Europe/Kiev' WHERE id = $1", [olena.userId]);
  });

  it("labels days Сьогодні / Учора and prints each time as the one date formatter does in her zone", async () => {
    const id = await createGroup(taras.agent, "Книжковий клуб", [olena.creds.username, ivan.creds.username]);
    await insertMessages(id, taras.userId, 1, "вчорашнє");
    await app.sql("UPDATE messages SET created_at = now() - interval '1 day' WHERE chat_id = $1", [id]);
    await postMessage(ivan.agent, id, "сьогоднішнє");
    const [yesterday, today] = await app.sql<{ created_at: Date }>("SELECT created_at FROM messages WHERE chat_id = $1 ORDER BY id", [id]);

    const page = await olena.agent.get(`/chats/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<html lang="uk"/);
    const days = [...page.text.matchAll(/<li class="chat-divider chat-day"[^>]*><span>([^<]*)</g)].map((m) => m[1]);
    assert.deepEqual(days, ["Учора", "Сьогодні"]);
    // The same moment shows the same clock time as notes: the one formatter, in Olena's language and zone.
    const fmt = dateFormatter("uk", "Europe/Kiev");
    const times = [...page.text.matchAll(/<time class="chat-time"[^>]*title="([^"]*)"[^>]*>([^<]*)</g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(times, [yesterday, today].map((m) => [fmt.dateTime(m.created_at), fmt.time(m.created_at)]));
    assert.match(page.text, /3 учасники/);
    assert.doesNotMatch(page.text, /UTC/);
    // Her chat list labels today's activity with the time, in her zone.
    const list = await olena.agent.get("/chats");
    assert.match(list.text, new RegExp(`chat-row-time" datetime="[^"]+">${fmt.time(today.created_at)}<`));
  });

  it("speaks Ukrainian in form errors, flashes and plurals", async () => {
    let res = await postForm(olena.agent, "/chats", { name: "Похід", members: "nobody_here_1 nobody_here_2" }, "/chats/new");
    assert.equal(res.status, 422);
    assert.match(res.text, /Немає користувачів з іменами &quot;nobody_here_1&quot;, &quot;nobody_here_2&quot;\./);
    res = await postForm(olena.agent, "/chats", { name: "Похід", members: "nobody_here_1" }, "/chats/new");
    assert.match(res.text, /Немає користувача з іменем &quot;nobody_here_1&quot;\./);
    assert.equal(await count("SELECT count(*) AS n FROM chats WHERE chat_name = 'Похід'"), 0);

    res = await postForm(olena.agent, "/chats", { name: "Похід", members: `${taras.creds.username} ${ivan.creds.username}` }, "/chats/new");
    const id = chatIdFrom(res);
    const settings = await olena.agent.get(`/chats/${id}/settings`);
    assert.match(settings.text, /Групу «Похід» створено\./);
    assert.match(settings.text, /Група · 3 учасники/);
    assert.match((await olena.agent.get("/chats")).text, /3 учасники · ще немає повідомлень/);
    const more = [await user("uk"), await user("uk")];
    await postForm(olena.agent, `/chats/${id}/members`, { members: more.map((u) => u.creds.username).join(" ") }, `/chats/${id}/settings`);
    assert.match((await olena.agent.get(`/chats/${id}/settings`)).text, /Група · 5 учасників/);
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE chat_id = $1", [id]), 5);
  });
});
