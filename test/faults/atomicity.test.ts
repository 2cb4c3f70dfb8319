// Promise: "nothing acknowledged is lost" — and nothing is half-written. Each change that writes several rows
// (and files) is made to fail in the middle by Postgres itself: a temporary trigger in this test's own database
// raises, or rewrites a row so that its foreign key is violated, on the Nth row written. The request fails, and
// every table and the media folder are exactly as before; with the fault gone, the same request succeeds.
// (test/admin/admin.routes.test.ts fails a user deletion at its audit entry; this file covers the other changes.)
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, csrfFrom, newCredentials, postForm } from "../helpers/agent";
import { ask, collect, connect, connected, createGroup, socketFor, type MessageLike } from "../chat/helpers";
import { imageRows, listFiles, png, upload, uploadToken } from "../gallery/helpers";
import { anonymous, formPost, person, raw, snapshot, tokenOf, unchanged, uploadImage, type Person } from "../security/helpers";

let app: TestApp;
let a: Person;
let c: Person;
let d: Person;
let staff: Person;
before(async () => {
  app = await startTestApp();
  [a, c, d, staff] = await Promise.all([person(app, "fa"), person(app, "fc"), person(app, "fd"), person(app, "fs", { isStaff: true })]);
});
after(() => app.close());

interface Fault {
  table: string;
  op: "INSERT" | "UPDATE" | "DELETE";
  /** Fail the Nth row the statement(s) write (counted across the whole test step). */
  nth?: number;
  /** Instead of raising: set this column of the Nth new row to an id that does not exist (a real FK violation). */
  breakForeignKey?: string;
  /** Only rows matching this SQL condition (on NEW or OLD) count. */
  when?: string;
}

/** Runs fn with the fault installed as a trigger in this test's database, and removes it afterwards. */
async function withFault<T>(fault: Fault, fn: () => Promise<T>): Promise<T> {
  const name = `fault_${crypto.randomBytes(4).toString("hex")}`;
  const row = fault.op === "DELETE" ? "OLD" : "NEW";
  const action = fault.breakForeignKey
    ? `NEW.${fault.breakForeignKey} := 2147483647; RETURN NEW;`
    : `RAISE EXCEPTION 'injected fault on % of ${fault.table}', TG_OP;`;
  await app.sql(`CREATE SEQUENCE ${name}_seq`);
  await app.sql(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${fault.when ?? "true"} AND nextval('${name}_seq') = ${fault.nth ?? 1} THEN ${action} END IF;
      RETURN ${row};
    END $$`);
  await app.sql(`CREATE TRIGGER ${name} BEFORE ${fault.op} ON ${fault.table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  try {
    return await fn();
  } finally {
    await app.sql(`DROP TRIGGER ${name} ON ${fault.table}`);
    await app.sql(`DROP FUNCTION ${name}()`);
    await app.sql(`DROP SEQUENCE ${name}_seq`);
  }
}

/** The request fails with a server error page, and nothing at all changed. */
async function failsCleanly(what: string, fault: Fault, send: () => Promise<{ status: number; text: string }>, status = 500) {
  const res = await unchanged(app, what, () => withFault(fault, send));
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
  if (status === 500) assert.match(res.text, /Something went wrong/);
}

describe("creating and changing chats", () => {
  it("a group whose third member row violates its foreign key: no chat, no member; then it works", async () => {
    const name = `fk group ${crypto.randomBytes(3).toString("hex")}`;
    await failsCleanly("create group", { table: "chat_members", op: "INSERT", nth: 3, breakForeignKey: "user_id" }, () =>
      formPost(a, "/chats", { name, members: `${c.username} ${d.username}` }));
    const ok = await formPost(a, "/chats", { name, members: `${c.username} ${d.username}` });
    assert.equal(ok.status, 303);
    const [chat] = await app.sql<{ id: number }>("SELECT id FROM chats WHERE chat_name = $1", [name]);
    assert.equal((await app.sql("SELECT 1 FROM chat_members WHERE chat_id = $1", [chat.id])).length, 3);
  });

  it("adding two members, the second failing: nobody is added", async () => {
    const chatId = await createGroup(a.agent, "add", [c.username]);
    const e = await person(app, "fe");
    await failsCleanly("add members", { table: "chat_members", op: "INSERT", nth: 2 }, () =>
      formPost(a, `/chats/${chatId}/members`, { members: `${d.username} ${e.username}` }));
  });

  it("the last member leaving, when deleting the emptied group fails: still a member, the group still there", async () => {
    const chatId = await createGroup(a.agent, "last one", [c.username]);
    assert.equal((await formPost(c, `/chats/${chatId}/leave`, {})).status, 303);
    await failsCleanly("leave as the last member", { table: "chats", op: "DELETE" }, () => formPost(a, `/chats/${chatId}/leave`, { delete_if_last: "1" }));
    assert.equal((await a.agent.get(`/chats/${chatId}`)).status, 200);
  });

  it("a message whose chat bookkeeping fails is not stored; the retry with the same client id stores it once, broadcast once", async () => {
    const chatId = await createGroup(a.agent, "messages", [c.username]);
    const [sa, sc] = await Promise.all([connect(app, a.agent), connect(app, c.agent)]);
    try {
      await ask(sc, "chat:join", { chatId });
      const seen = collect<MessageLike>(sc, "chat:message");
      const clientId = crypto.randomUUID();
      const ack = await unchanged(app, "socket message", () =>
        withFault({ table: "chats", op: "UPDATE" }, () => ask(sa, "chat:message", { chatId, text: "first try", clientId })));
      assert.deepEqual([ack.ok, ack.code], [false, "server"], "an error ack, not a crash");
      assert.equal(sa.connected, true, "the socket stays usable");
      // The HTML form: a 500 page, nothing stored.
      await failsCleanly("form message", { table: "chats", op: "UPDATE" }, async () =>
        a.agent.post(`/chats/${chatId}/messages`).type("form").send({ text: "by form", _csrf: await tokenOf(a) }));
      const retry = await ask(sa, "chat:message", { chatId, text: "first try", clientId });
      assert.equal(retry.ok, true);
      const again = await ask(sa, "chat:message", { chatId, text: "first try", clientId });
      assert.equal(again.message!.id, retry.message!.id, "a second retry gets the same message");
      const stored = await app.sql<{ id: number }>("SELECT id FROM messages WHERE chat_id = $1", [chatId]);
      assert.deepEqual(stored.map((r) => r.id), [retry.message!.id], "stored exactly once");
      // A marker proves c received everything broadcast before it: the message once, nothing from the failed try.
      await ask(sa, "chat:message", { chatId, text: "marker", clientId: crypto.randomUUID() });
      while (!seen.some((m) => m.text === "marker")) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(seen.map((m) => m.text), ["first try", "marker"]);
    } finally {
      sa.disconnect();
      sc.disconnect();
    }
  });
});

describe("accounts", () => {
  it("a sign-up whose user row fails leaves no gallery behind", async () => {
    const anon = anonymous(app);
    const token = csrfFrom((await anon.get("/signup")).text);
    const creds = newCredentials("fsign");
    await failsCleanly("sign-up", { table: "users", op: "INSERT" }, () =>
      anon.post("/signup").type("form").send({ ...creds, password_confirm: creds.password, _csrf: token }));
  });

  it("a password change whose ending of the other sessions fails: the password and every session are as they were", async () => {
    const p = await person(app, "fpw");
    const page = await raw(app, "GET", "/login");
    const elsewhere = (await raw(app, "POST", "/login", { cookie: String(page.headers["set-cookie"]).split(";")[0], "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({ login: p.username, password: p.password, _csrf: csrfFrom(page.text) }).toString())).headers["set-cookie"];
    const other = String(elsewhere).split(";")[0];
    const sessions = async () => (await app.sql<{ sid: string }>("SELECT sid FROM session WHERE (sess -> 'passport' ->> 'user') = $1 ORDER BY sid", [String(p.userId)])).map((r) => r.sid);
    const before = await sessions();
    assert.equal(before.length, 2);
    const token = await tokenOf(p);
    await failsCleanly("password change", { table: "session", op: "DELETE" }, () =>
      p.agent.post("/profile/password").type("form").send({ current_password: p.password, new_password: "brand new password", new_password_confirm: "brand new password", _csrf: token }));
    assert.deepEqual(await sessions(), before, "every session is intact");
    assert.equal((await raw(app, "GET", "/", { cookie: other })).status, 200, "the other browser is still logged in");
    assert.ok(await app.auth.verifyCredentials(p.username, p.password), "the old password still works");
    assert.equal(await app.auth.verifyCredentials(p.username, "brand new password"), null);
    // (This browser's session had already been given a new id when the failure came, so it logs in again.)
    const again = agent(app);
    assert.equal((await postForm(again, "/login", { login: p.username, password: p.password })).status, 303);
    // Without the fault, the change goes through and ends the other session.
    const ok = await postForm(again, "/profile/password", { current_password: p.password, new_password: "brand new password", new_password_confirm: "brand new password" }, "/profile");
    assert.equal(ok.status, 303);
    assert.equal((await raw(app, "GET", "/", { cookie: other })).status, 303);
  });
});

describe("ending a user's access", () => {
  it("deactivating a user whose sessions cannot be deleted: their open sockets are cut off all the same", async () => {
    const u = await person(app, "fdeact");
    const chatId = await createGroup(a.agent, "with the deactivated", [u.username]);
    const s = await connect(app, u.agent);
    assert.deepEqual(await ask(s, "chat:join", { chatId }), { ok: true });
    let reason = "";
    s.once("disconnect", (r) => (reason = r));
    const res = await withFault({ table: "session", op: "DELETE" }, () => formPost(staff, `/admin/users/${u.userId}/active`, { active: "0" }));
    assert.equal(res.status, 500, "the session delete failed after the deactivation committed");
    assert.equal((await app.sql<{ is_active: boolean }>("SELECT is_active FROM users WHERE id = $1", [u.userId]))[0].is_active, false);
    for (let i = 0; i < 200 && !reason; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(reason, "io server disconnect", "the live socket ended anyway");
    assert.equal((await raw(app, "GET", "/", { cookie: u.cookie })).status, 303, "and the session, still in the table, logs nothing in");
    await assert.rejects(connected(socketFor(app, { cookie: u.cookie })));
  });
});

describe("images and their files", () => {
  it("three images uploaded at once, the second row failing: no row, no file placed, no temp file", async () => {
    const data = await png(50, 40);
    const files = ["one.png", "two.png", "three.png"].map((filename) => ({ filename, data, contentType: "image/png" }));
    const token = await uploadToken(a.agent);
    await failsCleanly("multi-upload", { table: "images", op: "INSERT", nth: 2 }, () => upload(a.agent, "/gallery", token, files));
    assert.deepEqual(listFiles(app.mediaRoot).filter((f) => f.startsWith(".tmp/")), []);
    assert.equal((await upload(a.agent, "/gallery", await uploadToken(a.agent), files)).status, 303, "and without the fault it works");
    assert.equal((await imageRows(app, a.userId)).length, 3);
  });

  it("a new avatar whose user update fails: no image, no file, the old avatar kept", async () => {
    const old = await uploadImage(app, d, "old.png");
    await formPost(d, `/gallery/${old}/avatar`, {});
    const token = await uploadToken(d.agent, "/profile");
    await failsCleanly("avatar upload", { table: "users", op: "UPDATE", when: `NEW.id = ${d.userId}` }, async () =>
      upload(d.agent, "/profile/avatar", token, [{ filename: "new.png", data: await png(30, 30), contentType: "image/png", field: "image" }], { field: "image" }));
  });

  it("a group picture whose chat update fails: no image, no file", async () => {
    const chatId = await createGroup(a.agent, "picture", [c.username]);
    const token = await uploadToken(c.agent, `/chats/${chatId}/avatar`);
    await failsCleanly("group picture", { table: "chats", op: "UPDATE" }, async () =>
      upload(c.agent, `/chats/${chatId}/avatar`, token, [{ filename: "g.png", data: await png(30, 30), contentType: "image/png", field: "image" }], { field: "image" }));
  });

  it("deleting a photo whose row delete fails: the row and both files stay", async () => {
    const id = await uploadImage(app, c, "keep.png");
    await failsCleanly("photo delete", { table: "images", op: "DELETE" }, () => formPost(c, `/gallery/${id}/delete`, {}));
    assert.equal((await c.agent.get(`/gallery/${id}`)).status, 200);
  });

  it("staff deleting an image whose audit entry fails: the row and both files stay", async () => {
    const id = await uploadImage(app, c, "audited.png");
    await failsCleanly("admin image delete", { table: "audit_logs", op: "INSERT" }, () => formPost(staff, `/admin/images/${id}/delete`, {}));
  });

  it("staff deleting a user whose gallery delete fails: the user, their notes, chats, messages, images and files all stay", async () => {
    const doomed = await person(app, "fdoomed");
    await formPost(doomed, "/notes", { data: "still here" });
    const chatId = await createGroup(doomed.agent, "doomed's", [c.username]);
    await formPost(doomed, `/chats/${chatId}/messages`, { text: "hello" });
    await uploadImage(app, doomed, "mine.png");
    const before = await snapshot(app);
    await failsCleanly("admin user delete", { table: "galleries", op: "DELETE" }, () =>
      formPost(staff, `/admin/users/${doomed.userId}/delete`, { confirm: doomed.username }));
    assert.equal(await snapshot(app), before);
    assert.equal((await raw(app, "GET", "/", { cookie: doomed.cookie })).status, 200, "still logged in");
  });
});
