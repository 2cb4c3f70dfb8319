import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { io as ioClient, type Socket } from "socket.io-client";
import { startTestApp, type TestApp } from "../helpers/app";
import { unreadTotalSql } from "../../src/chat/unread";
import { agent, loggedInAgent, newCredentials, postForm, tokenFor, type Agent } from "../helpers/agent";

let app: TestApp;
let staff: Awaited<ReturnType<typeof loggedInAgent>>;
before(async () => {
  app = await startTestApp();
  staff = await loggedInAgent(app, newCredentials("staff"), { isStaff: true });
});
after(() => app.close());

// ---- fixtures written straight into the database (and media folder), independent of the other features ----

let seq = 0;
async function makeImage(userId: number, name = `img${++seq}`) {
  const [u] = await app.sql<{ gallery_id: number }>("SELECT gallery_id FROM users WHERE id = $1", [userId]);
  // The gallery's layout: two hex shard folders, a random hex name, .webp and .thumb.webp.
  const hex = crypto.randomBytes(16).toString("hex");
  const rel = `${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}.webp`;
  const thumb = `${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}.thumb.webp`;
  for (const p of [rel, thumb]) {
    fs.mkdirSync(path.join(app.mediaRoot, path.dirname(p)), { recursive: true });
    fs.writeFileSync(path.join(app.mediaRoot, p), `fake jpeg ${name}`);
  }
  const [row] = await app.sql<{ id: number }>(
    `INSERT INTO images (gallery_id, owner_id, path, thumb_path, width, height, bytes, original_name)
     VALUES ($1, $2, $3, $4, 640, 480, 20480, $5) RETURNING id`,
    [u.gallery_id, userId, rel, thumb, `${name}.jpg`],
  );
  return { id: row.id, rel, thumb, files: [path.join(app.mediaRoot, rel), path.join(app.mediaRoot, thumb)] };
}

async function makeNote(userId: number, data = `note ${++seq}`) {
  const [row] = await app.sql<{ id: number }>("INSERT INTO notes (data, user_id) VALUES ($1, $2) RETURNING id", [data, userId]);
  return row.id;
}

async function makeChat(userIds: number[], name: string | null = null) {
  const [chat] = await app.sql<{ id: number }>(
    "INSERT INTO chats (chat_name, is_group, creator_id) VALUES ($1, $2, $3) RETURNING id",
    [name, name !== null, userIds[0]],
  );
  for (const id of userIds) await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2)", [chat.id, id]);
  return chat.id;
}

async function makeMessage(chatId: number, userId: number, text = `message ${++seq}`) {
  const [row] = await app.sql<{ id: number }>(
    "INSERT INTO messages (chat_id, user_id, message) VALUES ($1, $2, $3) RETURNING id",
    [chatId, userId, text],
  );
  // As the chat service does: the chat remembers its newest message.
  await app.sql("UPDATE chats SET last_message_id = $2, last_message_at = now() WHERE id = $1", [chatId, row.id]);
  return row.id;
}
const lastMessageOf = async (chatId: number) =>
  (await app.sql<{ last_message_id: number }>("SELECT last_message_id FROM chats WHERE id = $1", [chatId]))[0].last_message_id;

const one = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await app.sql<T>(sql, params))[0];
const count = async (sql: string, params: unknown[] = []) => Number((await one<{ n: string }>(sql, params)).n);
const auditCount = () => count("SELECT count(*) AS n FROM audit_logs");
const lastAudit = () =>
  one<{ actor_id: number | null; actor_username: string; action: string; target_type: string; target_id: string; details: Record<string, unknown> }>(
    "SELECT * FROM audit_logs ORDER BY id DESC LIMIT 1",
  );
const sessionsOf = (userId: number) =>
  count("SELECT count(*) AS n FROM session WHERE (sess -> 'passport' ->> 'user') = $1", [String(userId)]);

/** A staff POST with a CSRF token taken from the admin dashboard. */
const staffPost = (url: string, form: Record<string, string> = {}) => postForm(staff.agent, url, form, "/admin");

function cookieOf(a: Agent): string {
  return (a as unknown as { jar: { getCookie(n: string, o: object): { toValueString(): string } } }).jar
    .getCookie("hromada.sid", { domain: "127.0.0.1", path: "/", secure: false, script: false })
    .toValueString();
}

/** A live socket.io connection on the agent's session. */
async function connectSocket(a: Agent): Promise<Socket> {
  const socket = ioClient(app.url, { transports: ["websocket"], extraHeaders: { cookie: cookieOf(a) }, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return socket;
}
const disconnected = (s: Socket) => new Promise<string>((resolve) => s.once("disconnect", (reason) => resolve(reason)));

// ---- access ----

describe("who may enter", () => {
  const getUrls = (ids: { user: number }) => [
    "/admin", "/admin/", "/admin/users", "/admin/users?q=a", `/admin/users/${ids.user}`, "/admin/notes", "/admin/messages",
    "/admin/images", "/admin/audit", "/admin/nope", "/admin/users/abc",
  ];
  const postUrls = (ids: { user: number; note: number; message: number; image: number }) => [
    [`/admin/users/${ids.user}/active`, { active: "0" }],
    [`/admin/users/${ids.user}/staff`, { staff: "1" }],
    [`/admin/users/${ids.user}/delete`, { confirm: "x" }],
    [`/admin/notes/${ids.note}/delete`, {}],
    [`/admin/messages/${ids.message}/delete`, {}],
    [`/admin/images/${ids.image}/delete`, {}],
    ["/admin", {}],
    ["/admin/users", {}],
  ] as [string, Record<string, string>][];

  async function fixtures() {
    const victim = await loggedInAgent(app, newCredentials("victim"));
    const note = await makeNote(victim.userId);
    const chat = await makeChat([victim.userId]);
    const message = await makeMessage(chat, victim.userId);
    const image = await makeImage(victim.userId);
    return { user: victim.userId, note, message, image: image.id, files: image.files };
  }

  async function assertUntouched(ids: Awaited<ReturnType<typeof fixtures>>, auditBefore: number) {
    const u = await one<{ is_active: boolean; is_staff: boolean }>("SELECT is_active, is_staff FROM users WHERE id = $1", [ids.user]);
    assert.deepEqual(u, { is_active: true, is_staff: false });
    assert.equal(await count("SELECT count(*) AS n FROM notes WHERE id = $1", [ids.note]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE id = $1", [ids.message]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM images WHERE id = $1", [ids.image]), 1);
    for (const f of ids.files) assert.ok(fs.existsSync(f), "image files still there");
    assert.equal(await auditCount(), auditBefore);
  }

  for (const who of ["an anonymous visitor", "a logged-in user who is not staff"]) {
    it(`answers ${who} with 404 for every admin URL and verb, and changes nothing`, async () => {
      const ids = await fixtures();
      const auditBefore = await auditCount();
      const a = who.startsWith("an anonymous") ? agent(app) : (await loggedInAgent(app)).agent;
      const token = await tokenFor(a, who.startsWith("an anonymous") ? "/login" : "/profile");
      for (const url of getUrls(ids)) {
        const res = await a.get(url);
        assert.equal(res.status, 404, `GET ${url}`);
        assert.match(res.text, /Page not found/);
        assert.doesNotMatch(res.text, /Admin dashboard|Audit log/);
        assert.equal(res.headers.location, undefined, `GET ${url} does not redirect to the login page`);
        assert.equal((await a.head(url)).status, 404, `HEAD ${url}`);
      }
      for (const [url, form] of postUrls(ids)) {
        const res = await a.post(url).type("form").send({ ...form, _csrf: token });
        assert.equal(res.status, 404, `POST ${url}`);
        for (const verb of ["put", "patch", "delete"] as const) {
          const r = await a[verb](url).set("x-csrf-token", token).type("form").send(form);
          assert.equal(r.status, 404, `${verb.toUpperCase()} ${url}`);
        }
      }
      await assertUntouched(ids, auditBefore);
    });
  }

  it("a deactivated staff account is logged out and cannot reach the admin site", async () => {
    const other = await loggedInAgent(app, newCredentials("exstaff"), { isStaff: true });
    assert.equal((await other.agent.get("/admin")).status, 200);
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [other.userId]);
    const res = await other.agent.get("/admin");
    assert.equal(res.status, 404);
  });

  it("refuses admin POSTs without a valid CSRF token, even from staff, and changes nothing", async () => {
    const ids = await fixtures();
    const auditBefore = await auditCount();
    const otherStaff = await loggedInAgent(app, newCredentials("staff2"), { isStaff: true });
    const foreignToken = await tokenFor(otherStaff.agent, "/admin");
    for (const [url, form] of postUrls(ids)) {
      let res = await staff.agent.post(url).type("form").send(form);
      assert.equal(res.status, 403, `POST ${url} without a token`);
      res = await staff.agent.post(url).type("form").send({ ...form, _csrf: foreignToken });
      assert.equal(res.status, 403, `POST ${url} with another session's token`);
    }
    await assertUntouched(ids, auditBefore);
  });

  it("never changes anything on GET", async () => {
    const ids = await fixtures();
    const auditBefore = await auditCount();
    for (const [url] of postUrls(ids)) {
      const res = await staff.agent.get(`${url}?active=0&staff=1&confirm=x`);
      assert.ok([404, 200].includes(res.status), `GET ${url}`);
    }
    await assertUntouched(ids, auditBefore);
  });

  it("shows the Admin link in the navbar to staff only", async () => {
    const plain = await loggedInAgent(app);
    assert.doesNotMatch((await plain.agent.get("/profile")).text, /href="\/admin"/);
    assert.match((await staff.agent.get("/profile")).text, /href="\/admin"/);
  });

  it("answers malformed and unknown ids with 404 for staff too", async () => {
    for (const url of ["/admin/users/abc", "/admin/users/0", "/admin/users/-1", "/admin/users/99999999999", "/admin/users/1.5", "/admin/users/2147483647"]) {
      assert.equal((await staff.agent.get(url)).status, 404, url);
    }
    const auditBefore = await auditCount();
    for (const url of ["/admin/users/abc/active", "/admin/users/2147483647/active", "/admin/notes/x/delete", "/admin/notes/2147483647/delete",
      "/admin/messages/2147483647/delete", "/admin/images/2147483647/delete", "/admin/users/2147483647/delete", "/admin/users/2147483647/staff"]) {
      const res = await staffPost(url, { active: "0", staff: "1", confirm: "someone" });
      assert.equal(res.status, 404, url);
    }
    for (const url of ["/admin/notes?user=abc", "/admin/images?user=0", "/admin/messages?user=2147483647", "/admin/users?page=0",
      "/admin/users?page=abc", "/admin/audit?page=-1", "/admin/notes?page=1.5"]) {
      assert.equal((await staff.agent.get(url)).status, 404, url);
    }
    assert.equal(await auditCount(), auditBefore);
  });
});

// ---- dashboard and users ----

describe("dashboard", () => {
  it("shows the counts from the database and the latest sign-ups", async () => {
    const u = await loggedInAgent(app, newCredentials("dash"));
    await makeNote(u.userId);
    const chat = await makeChat([u.userId, staff.userId]);
    await makeMessage(chat, u.userId);
    await makeImage(u.userId);
    // An expired session row must not count as active.
    await app.sql(`INSERT INTO session (sid, sess, expire) VALUES ('expired-dash', '{"cookie":{}}', now() - interval '1 day')`);
    const res = await staff.agent.get("/admin");
    assert.equal(res.status, 200);
    const expected = await one<Record<string, string>>(`SELECT
      (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM notes) AS notes, (SELECT count(*) FROM chats) AS chats,
      (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM images) AS images,
      (SELECT count(*) FROM session WHERE expire > now()) AS "activeSessions"`);
    assert.ok(Number(expected.activeSessions) >= 2, "the logged-in sessions are there");
    for (const [key, n] of Object.entries(expected)) {
      assert.match(res.text, new RegExp(`id="count-${key}">${n}<`), `${key} = ${n}`);
    }
    assert.match(res.text, new RegExp(`href="/admin/users/${u.userId}">${u.creds.username}<`));
    // The setup leaves staff an unread message, and every page title leads with the unread count (#18).
    const unread = await one<{ n: number }>(`SELECT ${unreadTotalSql("$1")} AS n`, [staff.userId]);
    assert.ok(unread.n >= 1, "staff has the dashboard's message unread");
    assert.match(res.text, new RegExp(`<title>\\(${unread.n}\\) Dashboard · Admin · Hromada</title>`));
  });
});

describe("users list", () => {
  it("searches usernames and emails case-insensitively, with % and _ taken literally", async () => {
    const tag = `w${process.pid}`;
    const literal = await app.auth.signup({ username: `${tag}_card`, email: `lit${tag}@wild.test`, password: "password123" });
    const lookalike = await app.auth.signup({ username: `${tag}Xcard`, email: `look${tag}@example.test`, password: "password123" });
    let res = await staff.agent.get(`/admin/users?q=${encodeURIComponent(`${tag.toUpperCase()}_CARD`)}`);
    assert.equal(res.status, 200);
    assert.match(res.text, new RegExp(`/admin/users/${literal.id}"`));
    assert.doesNotMatch(res.text, new RegExp(`/admin/users/${lookalike.id}"`), "_ is not a wildcard");
    assert.match(res.text, /1 user matching/);
    res = await staff.agent.get(`/admin/users?q=${encodeURIComponent(`${tag.toUpperCase()}_CARD`)}`).set("Accept-Language", "uk");
    assert.match(res.text, /1 користувач за запитом/);
    res = await staff.agent.get(`/admin/users?q=${tag}`).set("Accept-Language", "uk");
    assert.match(res.text, /2 користувачі за запитом/);
    res = await staff.agent.get(`/admin/users?q=${encodeURIComponent("%")}`);
    assert.match(res.text, /0 users matching/, "% is not a wildcard");
    res = await staff.agent.get(`/admin/users?q=${encodeURIComponent(`LOOK${tag}@EXAMPLE`)}`);
    assert.match(res.text, new RegExp(`/admin/users/${lookalike.id}"`), "searches emails");
    assert.doesNotMatch(res.text, new RegExp(`/admin/users/${literal.id}"`));
    assert.match(res.text, /<label class="form-label" for="f-q">/);
  });

  it("pages through many users, newest first", async () => {
    const tag = `pg${process.pid}x`;
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push((await app.auth.signup({ username: `${tag}${i}`, email: `${tag}${i}@example.test`, password: "password123" })).id);
    }
    const first = await staff.agent.get(`/admin/users?q=${tag}`);
    assert.match(first.text, /30 users matching/);
    // Ukrainian plurals: 30 and 11 take "many", 1 takes "one" (2 takes "few": see the search test above).
    const ukCount = async (q: string) => (await staff.agent.get(`/admin/users?q=${q}`).set("Accept-Language", "uk")).text;
    assert.match(await ukCount(tag), /30 користувачів за запитом «/);
    assert.match(await ukCount(`${tag}1`), /11 користувачів за запитом/, "1 and 10..19");
    assert.match(await ukCount(`${tag}29`), /1 користувач за запитом/);
    const shown = (html: string) => [...html.matchAll(/href="\/admin\/users\/(\d+)">/g)].map((m) => Number(m[1])).filter((id) => ids.includes(id));
    assert.deepEqual(shown(first.text), [...ids].reverse().slice(0, 25));
    assert.match(first.text, new RegExp(`href="/admin/users\\?q=${tag}&amp;page=2" rel="next"`));
    const second = await staff.agent.get(`/admin/users?q=${tag}&page=2`);
    assert.deepEqual(shown(second.text), [...ids].reverse().slice(25));
    assert.match(second.text, /rel="prev"/);
    assert.doesNotMatch(second.text, /rel="next"/);
    const beyond = await staff.agent.get(`/admin/users?q=${tag}&page=9`);
    assert.equal(beyond.status, 200);
    assert.match(beyond.text, /30 users matching/);
    assert.deepEqual(shown(beyond.text), []);
  });

  it("re-renders with 422 for a search that is too long or not one term, escaping what was typed", async () => {
    const long = "<b>" + "x".repeat(100);
    let res = await staff.agent.get(`/admin/users?q=${encodeURIComponent(long)}`);
    assert.equal(res.status, 422);
    assert.match(res.text, /Search for at most 100 characters/);
    assert.match(res.text, /value="&lt;b&gt;x{100}"/);
    assert.doesNotMatch(res.text, /<b>x/);
    res = await staff.agent.get("/admin/users?q=a&q=b");
    assert.equal(res.status, 422);
    assert.match(res.text, /Enter one search term/);
    for (const q of ["%00", "a%00b", "x%0Ay", "%1B[31m"]) {
      res = await staff.agent.get(`/admin/users?q=${q}`);
      assert.equal(res.status, 422, q);
      assert.match(res.text, /Remove the control characters from the search/);
    }
  });
});

describe("viewing a user", () => {
  it("shows their flags, last login and what they own", async () => {
    const u = await loggedInAgent(app, newCredentials("viewed"));
    await makeNote(u.userId);
    await makeNote(u.userId);
    const chat = await makeChat([u.userId, staff.userId]);
    await makeMessage(chat, u.userId);
    await makeImage(u.userId);
    const res = await staff.agent.get(`/admin/users/${u.userId}`);
    assert.equal(res.status, 200);
    assert.match(res.text, new RegExp(`<h1[^>]*>${u.creds.username}</h1>`));
    assert.match(res.text, new RegExp(u.creds.email));
    assert.match(res.text, /id="user-count-notes">2</);
    assert.match(res.text, /id="user-count-messages">1</);
    assert.match(res.text, /id="user-count-images">1</);
    assert.match(res.text, /id="user-count-chats">1</);
    assert.match(res.text, /id="user-count-sessions">1</);
    assert.match(res.text, /Last login<\/dt><dd class="col-sm-8"><time datetime="\d{4}-/);
    assert.match(res.text, /badge text-bg-success">Active/);
    assert.match(res.text, /Deactivate account/);
    assert.match(res.text, /Make staff/);
    assert.match(res.text, new RegExp(`href="/admin/notes\\?user=${u.userId}"`));
  });
});

// ---- user actions ----

describe("activating and deactivating", () => {
  it("deactivates: the user's sessions and sockets end, they cannot log in, and it is audited", async () => {
    const u = await loggedInAgent(app, newCredentials("deact"));
    const second = agent(app);
    await postForm(second, "/login", { login: u.creds.username, password: u.creds.password });
    assert.equal(await sessionsOf(u.userId), 2);
    const socket = await connectSocket(u.agent);
    const gone = disconnected(socket);
    const bystander = await loggedInAgent(app, newCredentials("bystander"));

    const res = await staffPost(`/admin/users/${u.userId}/active`, { active: "0" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/admin/users/${u.userId}`);
    assert.equal((await one<{ is_active: boolean }>("SELECT is_active FROM users WHERE id = $1", [u.userId])).is_active, false);
    assert.equal(await sessionsOf(u.userId), 0, "every session row of the user is gone");
    assert.equal(await gone, "io server disconnect", "the live socket was closed by the server");
    assert.equal((await u.agent.get("/")).status, 303, "first browser logged out");
    assert.equal((await second.get("/")).status, 303, "second browser logged out");
    assert.equal((await bystander.agent.get("/")).status, 200, "other users are untouched");
    const login = await postForm(agent(app), "/login", { login: u.creds.username, password: u.creds.password });
    assert.equal(login.status, 422);

    const entry = await lastAudit();
    assert.equal(entry.actor_id, staff.userId);
    assert.equal(entry.actor_username, staff.creds.username);
    assert.equal(entry.action, "user.deactivate");
    assert.equal(entry.target_type, "user");
    assert.equal(entry.target_id, String(u.userId));
    assert.deepEqual(entry.details, { username: u.creds.username });

    const page = await staff.agent.get(`/admin/users/${u.userId}`);
    assert.match(page.text, /has been deactivated and logged out everywhere/);
    assert.match(page.text, /badge text-bg-secondary">Deactivated/);
    assert.match(page.text, /Reactivate account/);
    socket.close();
  });

  it("reactivates, and the user can log in again", async () => {
    const creds = newCredentials("react");
    const user = await app.auth.signup(creds);
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [user.id]);
    const res = await staffPost(`/admin/users/${user.id}/active`, { active: "1" });
    assert.equal(res.status, 303);
    assert.equal((await one<{ is_active: boolean }>("SELECT is_active FROM users WHERE id = $1", [user.id])).is_active, true);
    assert.equal((await lastAudit()).action, "user.activate");
    const login = await postForm(agent(app), "/login", { login: creds.username, password: creds.password });
    assert.equal(login.status, 303);
  });

  it("records nothing when the account already has that state", async () => {
    const user = await app.auth.signup(newCredentials("same"));
    const before = await auditCount();
    const res = await staffPost(`/admin/users/${user.id}/active`, { active: "1" });
    assert.equal(res.status, 303);
    assert.equal(await auditCount(), before);
    assert.match((await staff.agent.get(`/admin/users/${user.id}`)).text, /was already active/);
  });

  it("re-renders the user page with 422 for a bad value, changing nothing", async () => {
    const user = await app.auth.signup(newCredentials("badval"));
    const before = await auditCount();
    for (const form of [{ active: "maybe" }, {}, { active: "" }] as Record<string, string>[]) {
      const res = await staffPost(`/admin/users/${user.id}/active`, form);
      assert.equal(res.status, 422);
      assert.match(res.text, /Choose whether the account is active/);
      assert.match(res.text, new RegExp(`<h1[^>]*>${user.username}</h1>`));
    }
    const res = await staffPost(`/admin/users/${user.id}/staff`, { staff: "yes" });
    assert.equal(res.status, 422);
    assert.match(res.text, /Choose whether the user is staff/);
    const row = await one<{ is_active: boolean; is_staff: boolean }>("SELECT is_active, is_staff FROM users WHERE id = $1", [user.id]);
    assert.deepEqual(row, { is_active: true, is_staff: false });
    assert.equal(await auditCount(), before);
  });
});

describe("granting and revoking staff", () => {
  it("grants staff (the admin site opens to them) and revokes it (404 again), audited both times", async () => {
    const u = await loggedInAgent(app, newCredentials("promo"));
    assert.equal((await u.agent.get("/admin")).status, 404);
    let res = await staffPost(`/admin/users/${u.userId}/staff`, { staff: "1" });
    assert.equal(res.status, 303);
    assert.equal((await one<{ is_staff: boolean }>("SELECT is_staff FROM users WHERE id = $1", [u.userId])).is_staff, true);
    let entry = await lastAudit();
    assert.equal(entry.action, "user.grant_staff");
    assert.equal(entry.target_id, String(u.userId));
    assert.equal(entry.actor_id, staff.userId);
    assert.equal((await u.agent.get("/admin")).status, 200, "takes effect on their next request");

    res = await staffPost(`/admin/users/${u.userId}/staff`, { staff: "0" });
    assert.equal(res.status, 303);
    assert.equal((await one<{ is_staff: boolean }>("SELECT is_staff FROM users WHERE id = $1", [u.userId])).is_staff, false);
    entry = await lastAudit();
    assert.equal(entry.action, "user.revoke_staff");
    assert.equal((await u.agent.get("/admin")).status, 404);
    assert.equal((await u.agent.get("/")).status, 200, "still logged in as a normal user");
  });
});

describe("a staff member acting on themselves", () => {
  it("cannot deactivate, un-staff or delete their own account, with a clear message", async () => {
    const me = await loggedInAgent(app, newCredentials("selfish"), { isStaff: true });
    const before = await auditCount();
    const post = (url: string, form: Record<string, string>) => postForm(me.agent, url, form, "/admin");
    let res = await post(`/admin/users/${me.userId}/active`, { active: "0" });
    assert.equal(res.status, 422);
    assert.match(res.text, /You cannot deactivate your own account/);
    res = await post(`/admin/users/${me.userId}/staff`, { staff: "0" });
    assert.equal(res.status, 422);
    assert.match(res.text, /You cannot remove your own staff access/);
    res = await post(`/admin/users/${me.userId}/delete`, { confirm: me.creds.username });
    assert.equal(res.status, 422);
    assert.match(res.text, /You cannot delete your own account/);
    const row = await one<{ is_active: boolean; is_staff: boolean }>("SELECT is_active, is_staff FROM users WHERE id = $1", [me.userId]);
    assert.deepEqual(row, { is_active: true, is_staff: true });
    assert.equal(await sessionsOf(me.userId), 1);
    assert.equal(await auditCount(), before);
    assert.equal((await me.agent.get("/admin")).status, 200);
    const page = await me.agent.get(`/admin/users/${me.userId}`);
    assert.match(page.text, /This is your own account/);
    assert.doesNotMatch(page.text, /Deactivate account/);
  });
});

describe("deleting a user", () => {
  async function populatedUser(prefix: string) {
    const u = await loggedInAgent(app, newCredentials(prefix));
    const friend = await loggedInAgent(app, newCredentials(`${prefix}f`));
    const notes = [await makeNote(u.userId), await makeNote(u.userId)];
    const direct = await makeChat([u.userId, friend.userId]);
    const group = await makeChat([friend.userId, u.userId], "Book club");
    const theirMessages = [await makeMessage(direct, u.userId), await makeMessage(group, u.userId)];
    const friendMessage = await makeMessage(group, friend.userId);
    theirMessages.push(await makeMessage(group, u.userId)); // the group's newest message is theirs
    const images = [await makeImage(u.userId), await makeImage(u.userId)];
    await app.sql("UPDATE users SET profile_picture_id = $2 WHERE id = $1", [u.userId, images[0].id]);
    await app.sql("UPDATE chats SET profile_picture_id = $2 WHERE id = $1", [group, images[1].id]);
    const friendImage = await makeImage(friend.userId);
    const friendNote = await makeNote(friend.userId);
    const [{ gallery_id: galleryId }] = await app.sql<{ gallery_id: number }>("SELECT gallery_id FROM users WHERE id = $1", [u.userId]);
    return { u, friend, notes, direct, group, theirMessages, friendMessage, images, friendImage, friendNote, galleryId };
  }

  it("refuses with 422 until the username is typed exactly, deleting nothing", async () => {
    const d = await populatedUser("keep");
    const before = await auditCount();
    for (const confirm of ["", "   ", d.u.creds.username.toUpperCase(), "someone else"]) {
      const res = await staffPost(`/admin/users/${d.u.userId}/delete`, { confirm });
      assert.equal(res.status, 422, JSON.stringify(confirm));
      assert.match(res.text, confirm.trim() ? /exactly to confirm/ : /Type the username to confirm/);
      if (confirm.trim()) assert.match(res.text, new RegExp(`value="${confirm}"`), "keeps what was typed");
    }
    assert.equal(await count("SELECT count(*) AS n FROM users WHERE id = $1", [d.u.userId]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM notes WHERE user_id = $1", [d.u.userId]), 2);
    for (const img of d.images) for (const f of img.files) assert.ok(fs.existsSync(f));
    assert.equal(await auditCount(), before);
  });

  it("deletes the user with their notes, messages, memberships, images, gallery, files, sessions and sockets", async () => {
    const d = await populatedUser("doomed");
    const socket = await connectSocket(d.u.agent);
    const gone = disconnected(socket);
    const res = await staffPost(`/admin/users/${d.u.userId}/delete`, { confirm: d.u.creds.username });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/admin/users");

    const id = d.u.userId;
    assert.equal(await count("SELECT count(*) AS n FROM users WHERE id = $1", [id]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM notes WHERE user_id = $1", [id]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE user_id = $1", [id]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM chat_members WHERE user_id = $1", [id]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM images WHERE owner_id = $1", [id]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM galleries WHERE id = $1", [d.galleryId]), 0);
    for (const img of d.images) for (const f of img.files) assert.ok(!fs.existsSync(f), `${f} removed`);
    assert.equal(await sessionsOf(id), 0);
    assert.equal(await gone, "io server disconnect");
    assert.equal((await d.u.agent.get("/")).status, 303);

    // What belongs to others stays: the friend, their message, image, note and the chats themselves.
    assert.equal(await count("SELECT count(*) AS n FROM users WHERE id = $1", [d.friend.userId]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE id = $1", [d.friendMessage]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM notes WHERE id = $1", [d.friendNote]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM chats WHERE id IN ($1, $2)", [d.direct, d.group]), 2);
    for (const f of d.friendImage.files) assert.ok(fs.existsSync(f), "the friend's files stay");
    const group = await one<{ profile_picture_id: number | null; creator_id: number | null }>(
      "SELECT profile_picture_id, creator_id FROM chats WHERE id = $1", [d.group],
    );
    assert.equal(group.profile_picture_id, null, "the chat picture they uploaded is gone");
    assert.equal((await app.sql("SELECT user_id FROM chat_members WHERE chat_id = $1", [d.group])).length, 1);
    assert.equal(await lastMessageOf(d.group), d.friendMessage, "the group's newest message is the friend's again");
    assert.equal(await lastMessageOf(d.direct), 0, "the direct chat has no messages left");
    assert.equal((await d.friend.agent.get("/")).status, 200);

    const entry = await lastAudit();
    assert.equal(entry.action, "user.delete");
    assert.equal(entry.target_id, String(id));
    assert.equal(entry.actor_username, staff.creds.username);
    assert.deepEqual(entry.details, {
      username: d.u.creds.username, wasStaff: false, notes: 2, messages: 3, chats: 2, images: 2, sessionsEnded: 1,
    });
    const list = await staff.agent.get("/admin/users");
    assert.match(list.text, /and everything they owned have been deleted/);
    assert.equal((await staff.agent.get(`/admin/users/${id}`)).status, 404);
    socket.close();
  });

  it("rolls everything back, files included, when the transaction fails", async () => {
    const d = await populatedUser("rollback");
    // A real failure inside the transaction: the audit insert is made to raise, after the rows were deleted.
    await app.sql(`CREATE FUNCTION admin_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit unavailable'; END $$`);
    await app.sql("CREATE TRIGGER admin_test_fail BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION admin_test_fail()");
    try {
      const res = await staffPost(`/admin/users/${d.u.userId}/delete`, { confirm: d.u.creds.username });
      assert.equal(res.status, 500);
    } finally {
      await app.sql("DROP TRIGGER admin_test_fail ON audit_logs");
      await app.sql("DROP FUNCTION admin_test_fail()");
    }
    assert.equal(await count("SELECT count(*) AS n FROM users WHERE id = $1", [d.u.userId]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM notes WHERE user_id = $1", [d.u.userId]), 2);
    assert.equal(await count("SELECT count(*) AS n FROM images WHERE owner_id = $1", [d.u.userId]), 2);
    assert.equal(await count("SELECT count(*) AS n FROM galleries WHERE id = $1", [d.galleryId]), 1);
    for (const img of d.images) for (const f of img.files) assert.ok(fs.existsSync(f), "files kept when nothing was deleted");
    assert.equal(await sessionsOf(d.u.userId), 1, "still logged in");
  });

  it("can delete another staff member; the log keeps their name on entries they made", async () => {
    const other = await loggedInAgent(app, newCredentials("oldstaff"), { isStaff: true });
    const target = await app.auth.signup(newCredentials("t"));
    await postForm(other.agent, `/admin/users/${target.id}/staff`, { staff: "1" }, "/admin");
    const [theirEntry] = await app.sql<{ id: number }>("SELECT id FROM audit_logs WHERE actor_id = $1", [other.userId]);
    assert.ok(theirEntry);
    const res = await staffPost(`/admin/users/${other.userId}/delete`, { confirm: other.creds.username });
    assert.equal(res.status, 303);
    const kept = await one<{ actor_id: number | null; actor_username: string }>("SELECT actor_id, actor_username FROM audit_logs WHERE id = $1", [theirEntry.id]);
    assert.deepEqual(kept, { actor_id: null, actor_username: other.creds.username });
    assert.equal((await lastAudit()).details.wasStaff, true);
  });
});

// ---- moderation ----

describe("moderation lists", () => {
  it("lists notes, messages and images newest first with their owners, optionally for one user", async () => {
    const a = await app.auth.signup(newCredentials("moda"));
    const b = await app.auth.signup(newCredentials("modb"));
    const n1 = await makeNote(a.id, "first <script>alert(1)</script> note");
    const n2 = await makeNote(b.id, "second note " + "y".repeat(300));
    const chat = await makeChat([a.id, b.id], "Mod <chat>");
    const m1 = await makeMessage(chat, a.id, "hello there");
    const m2 = await makeMessage(chat, b.id, "general kenobi");
    const i1 = await makeImage(a.id, "sunset");
    const i2 = await makeImage(b.id, "lake");

    let res = await staff.agent.get("/admin/notes");
    assert.equal(res.status, 200);
    assert.ok(res.text.indexOf(`/admin/notes/${n2}/delete`) < res.text.indexOf(`/admin/notes/${n1}/delete`), "newest first");
    assert.match(res.text, /first &lt;script&gt;alert\(1\)&lt;\/script&gt; note/);
    assert.doesNotMatch(res.text, /<script>alert/);
    assert.match(res.text, /second note y{188}…/, "long notes are cut to an excerpt");
    assert.match(res.text, new RegExp(`href="/admin/users/${a.id}">${a.username}<`));
    res = await staff.agent.get(`/admin/notes?user=${a.id}`);
    assert.match(res.text, new RegExp(`/admin/notes/${n1}/delete`));
    assert.doesNotMatch(res.text, new RegExp(`/admin/notes/${n2}/delete`));
    assert.match(res.text, new RegExp(`Showing notes by <a href="/admin/users/${a.id}"[^>]*>${a.username}</a>`));

    res = await staff.agent.get("/admin/messages");
    assert.ok(res.text.indexOf(`/admin/messages/${m2}/delete`) < res.text.indexOf(`/admin/messages/${m1}/delete`));
    assert.match(res.text, /Mod &lt;chat&gt;/);
    res = await staff.agent.get(`/admin/messages?user=${b.id}`);
    assert.match(res.text, /general kenobi/);
    assert.doesNotMatch(res.text, /hello there/);

    res = await staff.agent.get("/admin/images");
    assert.ok(res.text.indexOf(`/admin/images/${i2.id}/delete`) < res.text.indexOf(`/admin/images/${i1.id}/delete`));
    assert.match(res.text, new RegExp(`<a href="/media/${i1.rel}"><img src="/media/${i1.thumb}"`));
    assert.match(res.text, /alt="sunset.jpg"/);
    res = await staff.agent.get(`/admin/images?user=${a.id}`);
    assert.doesNotMatch(res.text, /lake\.jpg/);
    assert.equal((await staff.agent.get(`/admin/images?user=2147483000`)).status, 404, "filter by a user who does not exist");
  });

  it("pages through the lists", async () => {
    const u = await app.auth.signup(newCredentials("many"));
    const ids: number[] = [];
    for (let i = 0; i < 27; i++) ids.push(await makeNote(u.id, `bulk ${i}`));
    const shown = (html: string) => [...html.matchAll(/\/admin\/notes\/(\d+)\/delete/g)].map((m) => Number(m[1]));
    const p1 = await staff.agent.get(`/admin/notes?user=${u.id}`);
    assert.deepEqual(shown(p1.text), [...ids].reverse().slice(0, 25));
    assert.match(p1.text, new RegExp(`href="/admin/notes\\?user=${u.id}&amp;page=2" rel="next"`));
    const p2 = await staff.agent.get(`/admin/notes?user=${u.id}&page=2`);
    assert.deepEqual(shown(p2.text), [...ids].reverse().slice(25));
    assert.match(p2.text, new RegExp(`name="next" value="/admin/notes\\?user=${u.id}&amp;page=2"`), "delete brings you back here");
  });
});

describe("moderation deletes", () => {
  it("deletes any user's note, audited with an excerpt, and returns to the list page it came from", async () => {
    const u = await app.auth.signup(newCredentials("noted"));
    const note = await makeNote(u.id, "something to moderate");
    const other = await makeNote(u.id, "something to keep");
    const res = await staffPost(`/admin/notes/${note}/delete`, { next: `/admin/notes?user=${u.id}&page=1` });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/admin/notes?user=${u.id}&page=1`);
    assert.equal(await count("SELECT count(*) AS n FROM notes WHERE id = $1", [note]), 0);
    assert.equal(await count("SELECT count(*) AS n FROM notes WHERE id = $1", [other]), 1);
    const entry = await lastAudit();
    assert.equal(entry.action, "note.delete");
    assert.equal(entry.target_type, "note");
    assert.equal(entry.target_id, String(note));
    assert.deepEqual(entry.details, { ownerId: u.id, owner: u.username, excerpt: "something to moderate" });
    const again = await staffPost(`/admin/notes/${note}/delete`);
    assert.equal(again.status, 404, "already gone");
  });

  it("sends the admin only to admin pages after a delete", async () => {
    const u = await app.auth.signup(newCredentials("redir"));
    for (const next of ["//evil.example/admin", "https://evil.example/", "/notes", "/admin/../logout", "/admin\\evil", ""]) {
      const note = await makeNote(u.id);
      const res = await staffPost(`/admin/notes/${note}/delete`, { next });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, "/admin/notes", `next=${next}`);
    }
  });

  it("deletes any user's chat message, audited: the chat keeps a placeholder, the text and its versions are gone", async () => {
    const a = await app.auth.signup(newCredentials("msga"));
    const b = await app.auth.signup(newCredentials("msgb"));
    const chat = await makeChat([a.id, b.id]);
    const first = await makeMessage(chat, a.id, "hello");
    const bad = await makeMessage(chat, b.id, "spam spam spam");
    const newest = await makeMessage(chat, a.id, "a reply");
    let res = await staffPost(`/admin/messages/${bad}/delete`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/admin/messages");
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE id = $1 AND message = '' AND deleted_at IS NOT NULL", [bad]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE chat_id = $1 AND deleted_at IS NULL", [chat]), 2);
    assert.equal(await lastMessageOf(chat), newest, "the placeholder keeps its place: the pointer stays");
    const entry = await lastAudit();
    assert.equal(entry.action, "message.delete");
    assert.deepEqual(entry.details, { ownerId: b.id, owner: b.username, chatId: chat, excerpt: "spam spam spam" });
    const list = (await staff.agent.get("/admin/messages")).text;
    assert.match(list, new RegExp(`Message #${bad} deleted`));
    assert.doesNotMatch(list, /spam spam spam/);
    assert.doesNotMatch(list, new RegExp(`/admin/messages/${bad}/delete`), "nothing left to delete");

    res = await staffPost(`/admin/messages/${newest}/delete`);
    assert.equal(res.status, 303);
    assert.equal(await lastMessageOf(chat), newest);
    assert.equal(await count("SELECT count(*) AS n FROM messages WHERE id = $1 AND deleted_at IS NOT NULL", [first]), 0, "the others stay");
    assert.equal((await staffPost(`/admin/messages/${bad}/delete`)).status, 404, "already gone");
  });

  it("shows staff a message's earlier versions", async () => {
    const a = await app.auth.signup(newCredentials("msge"));
    const chat = await makeChat([a.id]);
    const id = await makeMessage(chat, a.id, "final words");
    await app.sql("INSERT INTO message_edits (message_id, previous_text) VALUES ($1, 'first draft'), ($1, 'second draft')", [id]);
    await app.sql("UPDATE messages SET edited_at = now() WHERE id = $1", [id]);
    const page = (await staff.agent.get("/admin/messages")).text;
    const row = page.slice(page.indexOf("final words"));
    assert.match(row, /Edited 2 times: the earlier versions[\s\S]*second draft[\s\S]*first draft/);
  });

  it("deletes any user's image with its files; an avatar or chat picture using it becomes empty", async () => {
    const u = await loggedInAgent(app, newCredentials("pic"));
    const img = await makeImage(u.userId, "avatar");
    const keep = await makeImage(u.userId, "keep");
    const chat = await makeChat([u.userId], "Pics");
    await app.sql("UPDATE users SET profile_picture_id = $2 WHERE id = $1", [u.userId, img.id]);
    await app.sql("UPDATE chats SET profile_picture_id = $2 WHERE id = $1", [chat, img.id]);
    const res = await staffPost(`/admin/images/${img.id}/delete`);
    assert.equal(res.status, 303);
    assert.equal(await count("SELECT count(*) AS n FROM images WHERE id = $1", [img.id]), 0);
    for (const f of img.files) assert.ok(!fs.existsSync(f), `${f} removed`);
    for (const f of keep.files) assert.ok(fs.existsSync(f), "other files stay");
    assert.equal((await one<{ p: number | null }>("SELECT profile_picture_id AS p FROM users WHERE id = $1", [u.userId])).p, null);
    assert.equal((await one<{ p: number | null }>("SELECT profile_picture_id AS p FROM chats WHERE id = $1", [chat])).p, null);
    const entry = await lastAudit();
    assert.equal(entry.action, "image.delete");
    assert.equal(entry.details.originalName, "avatar.jpg");
    assert.equal((await u.agent.get("/profile")).status, 200, "the owner's pages still render without the avatar");
  });

  it("deletes the row even when the files are already missing", async () => {
    const u = await app.auth.signup(newCredentials("nofile"));
    const img = await makeImage(u.id);
    for (const f of img.files) fs.rmSync(f);
    const res = await staffPost(`/admin/images/${img.id}/delete`);
    assert.equal(res.status, 303);
    assert.equal(await count("SELECT count(*) AS n FROM images WHERE id = $1", [img.id]), 0);
  });
});

// ---- the audit log page ----

describe("audit log page", () => {
  it("lists entries newest first, paged, escaping what it shows", async () => {
    await app.sql(
      `INSERT INTO audit_logs (actor_id, actor_username, action, target_type, target_id, details)
       SELECT NULL, 'script', 'test.entry', 'note', g::text, jsonb_build_object('n', g, 'text', '<i>x</i>')
       FROM generate_series(1, 30) g`,
    );
    const total = await auditCount();
    const res = await staff.agent.get("/admin/audit");
    assert.equal(res.status, 200);
    const rows = (html: string) => (html.match(/<tr>\s*<td class="text-nowrap"><time/g) ?? []).length;
    assert.equal(rows(res.text), 25);
    assert.ok(res.text.indexOf("note #30") < res.text.indexOf("note #29"), "newest first");
    assert.match(res.text, /&lt;i&gt;x&lt;\/i&gt;/);
    assert.doesNotMatch(res.text, /<i>x<\/i>/);
    const p2 = await staff.agent.get("/admin/audit?page=2");
    assert.equal(rows(p2.text), Math.min(25, total - 25));
    // Entries made through the site show who did what.
    const u = await app.auth.signup(newCredentials("logged"));
    await staffPost(`/admin/users/${u.id}/staff`, { staff: "1" });
    const latest = await staff.agent.get("/admin/audit");
    // The action is shown in the reader's language; the stored name stays as stored.
    assert.match(latest.text, new RegExp(`<span data-user-content>${staff.creds.username}</span>\\s*</td>\\s*<td>\\s*<span data-action="user.grant_staff">Granted staff access</span>\\s*</td>\\s*<td class="text-nowrap">\\s*<a href="/admin/users/${u.id}">user #${u.id}</a>`));
    assert.match((await staff.agent.get(`/admin/users/${u.id}`)).text, /data-action="user.grant_staff">Granted staff access<\/span>\s*by/);
    const uk = await staff.agent.get("/admin/audit").set("Accept-Language", "uk");
    assert.match(uk.text, new RegExp(`<span data-action="user.grant_staff">Надано права персоналу</span>\\s*</td>\\s*<td class="text-nowrap">\\s*<a href="/admin/users/${u.id}">користувач №${u.id}</a>`));
    assert.match(uk.text, /нотатка №30/);
    assert.match(uk.text, /<code translate="no">test.entry<\/code>/, "an action without a label shows as stored");
    assert.equal((await lastAudit()).action, "user.grant_staff", "the log keeps the stored name");
  });

  it("names a management command as the actor in the reader's language; a person's name stays as stored", async () => {
    const target = await app.auth.signup(newCredentials("bycli"));
    await app.sql(
      `INSERT INTO audit_logs (actor_id, actor_username, action, target_type, target_id, details) VALUES
       (NULL, 'cli:createsuperuser', 'user.create_superuser', 'user', $1, '{}'),
       (NULL, 'createsuperuser (command line)', 'user.grant_staff', 'user', $1, '{}'),
       (NULL, 'cli:createsuperuser', 'user.revoke_staff', 'user', $1, '{}')`,
      [String(target.id)],
    );
    const en = await staff.agent.get("/admin/audit");
    assert.equal(en.text.split('<span data-actor="cli:createsuperuser">Command line (createsuperuser)</span>').length - 1, 2);
    assert.match(en.text, /<span data-actor="createsuperuser \(command line\)">Command line \(createsuperuser\)<\/span>/, "entries stored before the code read the same");
    const uk = await staff.agent.get("/admin/audit").set("Accept-Language", "uk");
    assert.equal(uk.text.split("Командний рядок (createsuperuser)").length - 1, 3);
    assert.doesNotMatch(uk.text, />Command line/);
    const history = await staff.agent.get(`/admin/users/${target.id}`).set("Accept-Language", "uk");
    assert.match(history.text, /Командний рядок \(createsuperuser\)/);
    const [row] = await app.sql<{ actor_username: string }>(
      "SELECT actor_username FROM audit_logs WHERE target_id = $1 ORDER BY id LIMIT 1", [String(target.id)]);
    assert.equal(row.actor_username, "cli:createsuperuser", "the log keeps the code");
    await staffPost(`/admin/users/${target.id}/staff`, { staff: "0" });
    const person = await staff.agent.get("/admin/audit").set("Accept-Language", "uk");
    assert.match(person.text, new RegExp(`<span data-user-content>${staff.creds.username}</span>`), "a person's name stays as stored");
  });
});
