// "Delete my account" over HTTP (and a live socket) against real PostgreSQL: what goes, what stays, every refusal.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { generate, generateSecret } from "otplib";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, loggedInAgent, newCredentials, postForm, type Agent } from "../helpers/agent";
import { connect, createGroup, openDirect, postMessage } from "../chat/helpers";
import { png, upload, uploadToken } from "../gallery/helpers";

let app: TestApp;
before(async () => {
  // Three wrong passwords (or codes) per account and window, so the limit is reached in a test.
  app = await startTestApp({ LOGIN_ACCOUNT_RATE_LIMIT: "3", EXPORT_INLINE_LIMIT: "0" });
});
after(() => app.close());

const deleteAccount = (a: Agent, form: Record<string, string>) => postForm(a, "/account/delete", form, "/account/delete");

/** Someone with a bit of everything: notes, a photo, a group and a direct chat with `friend`, a background export. */
async function fullAccount(prefix: string, friend: { agent: Agent; creds: { username: string }; userId: number }) {
  const me = await loggedInAgent(app, newCredentials(prefix));
  assert.equal((await postForm(me.agent, "/notes", { data: `${prefix}'s note` }, "/")).status, 303);
  const up = await upload(me.agent, "/gallery", await uploadToken(me.agent), [{ filename: `${prefix}.png`, data: await png(40, 30), contentType: "image/png" }]);
  assert.equal(up.status, 303);
  const group = await createGroup(me.agent, `${prefix}'s group`, [friend.creds.username]);
  await postMessage(friend.agent, group, "friend speaks first");
  await postMessage(me.agent, group, `${prefix} answers in the group`);
  const direct = await openDirect(me.agent, friend.userId);
  await postMessage(friend.agent, direct, "friend's direct words");
  await postMessage(me.agent, direct, `${prefix}'s direct words`);
  await app.exports.requestBackground(me.userId);
  await app.exports.drain();
  return { ...me, group, direct };
}

async function owned(userId: number) {
  const count = async (sql: string) => (await app.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, [userId]))[0].n;
  return {
    users: await count("users WHERE id = $1"),
    notes: await count("notes WHERE user_id = $1"),
    images: await count("images WHERE owner_id = $1"),
    messages: await count("messages WHERE user_id = $1"),
    memberships: await count("chat_members WHERE user_id = $1"),
    exports: await count("data_exports WHERE user_id = $1"),
    sessions: await count("session WHERE (sess -> 'passport' ->> 'user') = $1::text"),
    sessionMeta: await count("session_meta WHERE user_id = $1"),
  };
}

const filesOf = async (userId: number) => {
  const images = await app.sql<{ path: string; thumb_path: string }>("SELECT path, thumb_path FROM images WHERE owner_id = $1", [userId]);
  const exports = await app.sql<{ id: string }>("SELECT id FROM data_exports WHERE user_id = $1", [userId]);
  return [
    ...images.flatMap((i) => [path.join(app.mediaRoot, i.path), path.join(app.mediaRoot, i.thumb_path)]),
    ...exports.map((e) => path.join(app.config.dataDir, "exports", `${e.id}.zip`)),
  ];
};

describe("the confirmation page", () => {
  it("says what goes and what stays, with the counts, asks for the password, and is linked from the profile", async () => {
    const friend = await loggedInAgent(app, newCredentials("pfriend"));
    const me = await fullAccount("page", friend);
    const page = await me.agent.get("/account/delete");
    assert.equal(page.status, 200);
    assert.match(page.text, /Deleting your account cannot be undone/);
    assert.match(page.text, /1 note;/);
    assert.match(page.text, /1 photo, its files removed/);
    assert.match(page.text, /2 messages you wrote/);
    assert.match(page.text, /your place in 2 chats/);
    assert.match(page.text, /sees you as “Deleted account”/);
    assert.match(page.text, /name="current_password"/);
    assert.doesNotMatch(page.text, /name="code"/, "no code field without two-factor authentication");
    assert.match((await me.agent.get("/profile")).text, /href="\/account\/delete"/);
    const anon = await agent(app).get("/account/delete");
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.location, "/login");
  });
});

describe("refusals: nothing is deleted", () => {
  it("a wrong or missing password: 422 with the reason, every row, file and session still there; limited per account", async () => {
    const friend = await loggedInAgent(app, newCredentials("rfriend"));
    const me = await fullAccount("refused", friend);
    const before = await owned(me.userId);
    const files = await filesOf(me.userId);
    assert.equal(files.length, 3);

    const empty = await deleteAccount(me.agent, { current_password: "" });
    assert.equal(empty.status, 422);
    assert.match(empty.text, /Enter your current password/);
    const wrong = await deleteAccount(me.agent, { current_password: "not my password" });
    assert.equal(wrong.status, 422);
    assert.match(wrong.text, /is-invalid/);
    assert.match(wrong.text, /Your current password is not right|not correct|wrong/i);
    assert.deepEqual(await owned(me.userId), before);
    for (const f of files) assert.ok(fs.existsSync(f), `${f} is still there`);
    assert.equal((await me.agent.get("/")).status, 200, "still logged in");

    // Wrong passwords are password guesses: past LOGIN_ACCOUNT_RATE_LIMIT (3 here) even the right one waits.
    assert.equal((await deleteAccount(me.agent, { current_password: "guess two" })).status, 422);
    assert.equal((await deleteAccount(me.agent, { current_password: "guess three" })).status, 422);
    const limited = await deleteAccount(me.agent, { current_password: me.creds.password });
    assert.equal(limited.status, 429);
    assert.match(limited.text, /Too many attempts/);
    assert.deepEqual(await owned(me.userId), before);
    assert.equal((await app.sql("SELECT 1 FROM audit_logs WHERE action = 'user.self_delete' AND target_id = $1", [String(me.userId)])).length, 0);
  });

  it("with two-factor authentication on: the code is asked for, a missing, wrong or replayed code is refused", async () => {
    const me = await loggedInAgent(app, newCredentials("twofa"));
    const secret = generateSecret();
    await app.sql("UPDATE users SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1", [me.userId, secret]);
    const page = await me.agent.get("/account/delete");
    assert.match(page.text, /name="code"/);
    assert.match(page.text, /Code from your authenticator app/);

    const none = await deleteAccount(me.agent, { current_password: me.creds.password });
    assert.equal(none.status, 422);
    assert.match(none.text, /Enter the code from your authenticator app/);
    const near = await Promise.all([-1, 0, 1].map((k) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + k * 30 })));
    const wrong = await deleteAccount(me.agent, { current_password: me.creds.password, code: ["000000", "111111", "222222", "333333"].find((c) => !near.includes(c))! });
    assert.equal(wrong.status, 422);
    assert.match(wrong.text, /That code is not right/);
    // A code already used (the last step accepted is this one's or later) is not good again.
    const code = await generate({ secret });
    await app.sql("UPDATE users SET totp_last_step = $2 WHERE id = $1", [me.userId, Math.floor(Date.now() / 30_000) + 1]);
    const replayed = await deleteAccount(me.agent, { current_password: me.creds.password, code });
    assert.equal(replayed.status, 422);
    assert.match(replayed.text, /That code is not right/);
    // The right code with a wrong password: the password is checked first, and the code is not spent.
    await app.sql("UPDATE users SET totp_last_step = NULL WHERE id = $1", [me.userId]);
    const wrongPassword = await deleteAccount(me.agent, { current_password: "not my password", code: await generate({ secret }) });
    assert.equal(wrongPassword.status, 422);
    const [row] = await app.sql<{ totp_last_step: string | null }>("SELECT totp_last_step FROM users WHERE id = $1", [me.userId]);
    assert.equal(row.totp_last_step, null, "the code was not spent");
    assert.equal((await owned(me.userId)).users, 1, "nothing was deleted");
    assert.equal((await me.agent.get("/")).status, 200, "still logged in");
  });
});

describe("deleting my account", () => {
  it("removes the account and everything it owns in one go, its files after, every session and socket at once, audited", async () => {
    const friend = await loggedInAgent(app, newCredentials("dfriend"));
    const me = await fullAccount("doomed", friend);
    const elsewhere = agent(app);
    assert.equal((await postForm(elsewhere, "/login", { login: me.creds.username, password: me.creds.password })).status, 303);
    assert.equal((await elsewhere.get("/")).status, 200);
    const socket = await connect(app, me.agent);
    const disconnected = new Promise<string>((resolve) => socket.on("disconnect", (reason) => resolve(reason)));
    const files = await filesOf(me.userId);
    assert.equal(files.length, 3);
    for (const f of files) assert.ok(fs.existsSync(f));
    assert.equal((await owned(me.userId)).sessions, 2);

    const res = await deleteAccount(me.agent, { current_password: me.creds.password });
    assert.equal(res.status, 303, res.text.slice(0, 3000));
    assert.equal(res.headers.location, "/login");
    assert.match((await me.agent.get("/login")).text, /Your account and everything in it have been deleted/);
    assert.equal(await disconnected, "io server disconnect", "the live socket is cut at once");
    assert.deepEqual(await owned(me.userId), { users: 0, notes: 0, images: 0, messages: 0, memberships: 0, exports: 0, sessions: 0, sessionMeta: 0 });
    for (const f of files) assert.ok(!fs.existsSync(f), `${f} is removed`);
    assert.equal((await app.sql("SELECT 1 FROM galleries g WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.gallery_id = g.id)")).length, 0, "no gallery left without its user");

    // Logged out here and everywhere else.
    const home = await me.agent.get("/");
    assert.equal(home.status, 303);
    assert.equal(home.headers.location, "/login");
    const other = await elsewhere.get("/");
    assert.equal(other.status, 303);

    // The friend keeps their own words; the chats' newest messages are theirs again.
    const kept = await app.sql<{ message: string }>("SELECT message FROM messages WHERE chat_id = ANY($1) ORDER BY id", [[me.group, me.direct]]);
    assert.deepEqual(kept.map((m) => m.message), ["friend speaks first", "friend's direct words"]);
    const chats = await app.sql<{ id: number; last_message_id: number }>("SELECT id, last_message_id FROM chats WHERE id = ANY($1) ORDER BY id", [[me.group, me.direct]]);
    for (const c of chats) assert.ok(c.last_message_id > 0);
    const directPage = await friend.agent.get(`/chats/${me.direct}`);
    assert.equal(directPage.status, 200);
    assert.match(directPage.text, /Deleted account/);
    assert.match((await friend.agent.get("/chats")).text, /Deleted account/);

    const [audit] = await app.sql<{ actor_id: number | null; actor_username: string; details: Record<string, unknown> }>(
      "SELECT actor_id, actor_username, details FROM audit_logs WHERE action = 'user.self_delete' AND target_id = $1",
      [String(me.userId)],
    );
    assert.ok(audit, "audited");
    assert.equal(audit.actor_id, null, "the actor's id went with the account");
    assert.equal(audit.actor_username, me.creds.username);
    assert.deepEqual(audit.details, { username: me.creds.username, wasStaff: false, notes: 1, messages: 2, chats: 2, images: 1, sessionsEnded: 2 });
    assert.ok(!JSON.stringify(audit.details).includes(me.creds.email), "not the email address");
  });

  it("with two-factor authentication on: the right password and a current code delete it", async () => {
    const me = await loggedInAgent(app, newCredentials("twofaok"));
    const secret = generateSecret();
    await app.sql("UPDATE users SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1", [me.userId, secret]);
    const res = await deleteAccount(me.agent, { current_password: me.creds.password, code: await generate({ secret }) });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    assert.equal((await owned(me.userId)).users, 0);
    assert.equal((await app.sql("SELECT 1 FROM recovery_codes WHERE user_id = $1", [me.userId])).length, 0);
  });

  it("the admin site's delete goes through the same function: its files and exports go, sessions and sockets end, audited as user.delete", async () => {
    const staff = await loggedInAgent(app, newCredentials("staff"), { isStaff: true });
    const friend = await loggedInAgent(app, newCredentials("afriend"));
    const target = await fullAccount("admindel", friend);
    const socket = await connect(app, target.agent);
    const disconnected = new Promise<string>((resolve) => socket.on("disconnect", (reason) => resolve(reason)));
    const files = await filesOf(target.userId);
    const res = await postForm(staff.agent, `/admin/users/${target.userId}/delete`, { confirm: target.creds.username }, `/admin/users/${target.userId}`);
    assert.equal(res.status, 303);
    assert.equal(await disconnected, "io server disconnect");
    assert.deepEqual(await owned(target.userId), { users: 0, notes: 0, images: 0, messages: 0, memberships: 0, exports: 0, sessions: 0, sessionMeta: 0 });
    for (const f of files) assert.ok(!fs.existsSync(f), `${f} is removed`);
    const [audit] = await app.sql<{ actor_username: string; details: Record<string, unknown> }>(
      "SELECT actor_username, details FROM audit_logs WHERE action = 'user.delete' AND target_id = $1",
      [String(target.userId)],
    );
    assert.equal(audit.actor_username, staff.creds.username);
    assert.equal(audit.details.sessionsEnded, 1);
  });
});
