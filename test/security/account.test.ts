// Promise: "only you see your data", for "Download my data" (#19). An export link opens for its owner only (another
// user, staff, a visitor, a made-up, bent or expired id: 404 or the login page, never a file); the archive holds
// the owner's own words and photos and nobody else's, even from the chats they share; and its entries are named by
// the app, never by what an uploader called a file, so no name in it can climb out of the folder it is unpacked in.
// "Delete my account" needs its CSRF token and the password (limited like a login), and when done leaves nothing
// of the account behind: rows, files, sessions, open sockets.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import type { TestApp } from "../helpers/app";
import { agent, csrfFrom, tokenFor, type Agent } from "../helpers/agent";
import { connect, connected, cookieOf, openDirect, postMessage, socketFor } from "../chat/helpers";
import { assertMediaConsistent, png, upload, uploadToken } from "../gallery/helpers";
import { binary, everything, json, unzip } from "../account/zip";
import { generate } from "otplib";
import { User } from "../../src/auth/user.entity";
import { anonymous, formPost, person, raw, tokenOf, unchanged, uploadImage, useWorld, type Person, type World } from "./helpers";

let app: TestApp;
let w: World;
useWorld((a, world) => {
  app = a;
  w = world;
}, { LOGIN_ACCOUNT_RATE_LIMIT: "5" });

async function download(a: Agent): Promise<Map<string, Buffer>> {
  const token = await tokenOf(a);
  const res = await a.post("/account/export").type("form").send({ _csrf: token }).buffer(true).parse(binary);
  assert.equal(res.status, 200, `export: ${res.status}`);
  assert.equal(res.headers["content-type"], "application/zip");
  return unzip(res.body as Buffer);
}

describe("download my data", () => {
  it("the archive holds a's words and photos only: nothing of b, c or staff, even from the chats a shares with c", async () => {
    // c writes in a's group and direct chat and sends a photo there; b and staff have their own things.
    const cText = `c's own words ${Date.now()}`;
    assert.equal((await postMessage(w.c.agent, w.owned.groupId, `${cText} in the group`)).status, 303);
    assert.equal((await postMessage(w.c.agent, w.owned.directId, `${cText} in private`)).status, 303);
    const cPhoto = await upload(w.c.agent, `/chats/${w.owned.groupId}/photos`, await uploadToken(w.c.agent, `/chats/${w.owned.groupId}/photos/new`),
      [{ filename: "c-photo.png", data: await png(30, 30), contentType: "image/png", field: "photos" }], { field: "photos" });
    assert.equal(cPhoto.status, 303);
    const zip = await download(w.a.agent);
    const all = everything(zip);
    assert.ok(all.includes(w.owned.noteText), "a's note is there");
    assert.ok(all.includes(w.owned.messageText), "a's message is there");
    for (const foreign of [cText, "b's note", w.b.email, w.c.email, w.staff.email, "c-photo.png"]) {
      assert.ok(!all.includes(foreign), `${foreign} is not in a's archive`);
    }
    const mine = new Set((await app.sql<{ id: number }>("SELECT id FROM images WHERE owner_id = $1", [w.a.userId])).map((r) => r.id));
    const photos = json<{ id: number }[]>(zip, "photos.json");
    assert.ok(photos.length > 0);
    for (const p of photos) assert.ok(mine.has(p.id), `photo ${p.id} is a's`);
    for (const name of zip.keys()) {
      const m = /^photos\/(\d+)\.webp$/.exec(name);
      if (m) assert.ok(mine.has(Number(m[1])), `${name} is a's`);
    }
  });

  it("entry names are the app's own: hostile upload names (traversal, absolute, drive letters, NUL, markup) name no file in it", async () => {
    const hostile = ["../../../etc/cron.d/evil.png", "..\\..\\windows\\evil.png", "/etc/passwd.png", "C:\\boot.png", "a\u0000b.png", "<img src=x onerror=alert(1)>.png", "….png"];
    const p = w.b;
    for (const filename of hostile) {
      const res = await upload(p.agent, "/gallery", await uploadToken(p.agent), [{ filename, data: await png(20, 20), contentType: "image/png" }]);
      // (A NUL is refused outright, 400: the rest are stored under a cleaned name.)
      assert.ok([303, 400].includes(res.status), `${filename}: ${res.status}`);
    }
    const zip = await download(p.agent);
    const known = /^(README\.txt|profile\.json|notes\.json|notes\.html|messages\.json|messages\.html|photos\.json|photos\/\d+\.webp)$/;
    for (const name of zip.keys()) assert.match(name, known, `an entry named ${JSON.stringify(name)}`);
    const names = json<{ originalName?: string; name?: string }[]>(zip, "photos.json").map((x) => x.originalName ?? x.name);
    // The names people gave are kept as data (cleaned by the upload), inside the JSON: never a path.
    assert.ok(names.length >= hostile.length - 1);
    const html = [...zip.entries()].filter(([n]) => n.endsWith(".html")).map(([, b]) => b.toString("utf8")).join("\n");
    assert.doesNotMatch(html, /<img src=x/, "markup in a name is escaped in the readable pages");
  });

  it("a ready export's link opens for its owner only; bent, made-up and expired ids are 404 and send no file", async () => {
    // a's background export, built by the worker when the world was made.
    const row = { id: w.owned.exportId };
    const [{ status }] = await app.sql<{ status: string }>("SELECT status FROM data_exports WHERE id = $1", [row.id]);
    assert.equal(status, "ready");
    const link = `/account/export/${row.id}`;
    assert.equal((await w.a.agent.get(link)).status, 200, "its owner downloads it");
    for (const who of [w.b, w.c, w.staff]) assert.equal((await who.agent.get(link)).status, 404, `${who.username}`);
    const visitor = await anonymous(app).get(link);
    assert.equal(visitor.status, 303);
    for (const bent of [`${link}.zip`, `/account/export/${row.id.toUpperCase()}`, "/account/export/..%2F..%2Fsession-secret",
      "/account/export/%2e%2e%2f%2e%2e%2fpg%2fPG_VERSION", `/account/export/${row.id}%00`, `/account/export/${row.id.slice(0, -1)}${row.id.endsWith("0") ? "1" : "0"}`]) {
      const res = await raw(app, "GET", bent, { cookie: w.a.cookie });
      assert.ok([404, 303].includes(res.status), `${bent}: ${res.status}`);
      assert.notEqual(res.headers["content-type"], "application/zip", bent);
    }
    // A pending one is not downloadable, nor one expired a second ago.
    const [pending] = await app.sql<{ id: string }>(
      "INSERT INTO data_exports (id, user_id, status, expires_at) VALUES (gen_random_uuid(), $1, 'pending', now() + interval '1 hour') RETURNING id", [w.a.userId]);
    assert.equal((await w.a.agent.get(`/account/export/${pending.id}`)).status, 404);
    await app.sql("UPDATE data_exports SET expires_at = now() - interval '1 second' WHERE id = $1", [row.id]);
    assert.equal((await w.a.agent.get(link)).status, 404);
  });
});

describe("delete my account", () => {
  /** Someone with a note, a gallery photo as avatar, a chat with c and a photo sent there, an export, and two logged-in browsers. */
  async function doomed(prefix: string) {
    const p = await person(app, prefix);
    assert.equal((await formPost(p, "/notes", { data: `${prefix}'s note` })).status, 303);
    const avatar = await uploadImage(app, p, "me.png");
    assert.equal((await formPost(p, `/gallery/${avatar}/avatar`, {})).status, 303);
    const chatId = await openDirect(p.agent, w.c.userId);
    await uploadImage(app, p, "sent.png", `/chats/${chatId}/photos`, "photos", `/chats/${chatId}/photos/new`);
    const elsewhere = agent(app);
    const token = await tokenFor(elsewhere);
    assert.equal((await elsewhere.post("/login").type("form").send({ login: p.username, password: p.password, _csrf: token })).status, 303);
    const files = (await app.sql<{ path: string; thumb: string }>("SELECT path, thumb_path AS thumb FROM images WHERE owner_id = $1", [p.userId]))
      .flatMap((r) => [r.path, r.thumb]);
    assert.equal(files.length, 4);
    return { p, chatId, elsewhere, files };
  }

  const exists = async (id: number) => (await app.sql("SELECT 1 FROM users WHERE id = $1", [id])).length === 1;
  const deleteOwn = async (p: Person, form: Record<string, string>, token?: string | null) =>
    p.agent.post("/account/delete").type("form").send(token === null ? form : { ...form, _csrf: token ?? csrfFrom((await p.agent.get("/account/delete")).text) });

  it("is refused without the CSRF token, with another session's token, with a wrong or no password: nothing changes", async () => {
    const { p, elsewhere } = await doomed("delrefuse");
    const foreign = csrfFrom((await elsewhere.get("/account/delete")).text);
    await unchanged(app, "refused deletions", async () => {
      assert.equal((await deleteOwn(p, { current_password: p.password }, null)).status, 403, "no token");
      assert.equal((await deleteOwn(p, { current_password: p.password }, "forged")).status, 403, "a made-up token");
      assert.equal((await deleteOwn(p, { current_password: p.password }, foreign)).status, 403, "the other session's token");
      assert.equal((await deleteOwn(p, { current_password: "not my password" })).status, 422, "a wrong password");
      assert.equal((await deleteOwn(p, {})).status, 422, "no password");
      // Someone else's id in the form changes whose account nothing: it is the session's own.
      assert.equal((await deleteOwn(w.b, { current_password: "not b's", user_id: String(p.userId), id: String(p.userId) })).status, 422);
    });
    assert.ok(await exists(p.userId));
  });

  it("with two-factor on, the password alone is not enough: no code, a wrong, spent or made-up one is a 422", async () => {
    const { p } = await doomed("del2fa");
    const user = (await User.findOneBy({ id: p.userId }))!;
    const secret = app.twoFactor.newSecret();
    const into = Date.now() % 30_000;
    if (into > 25_000) await new Promise((r) => setTimeout(r, 30_000 - into + 200));
    assert.ok(await app.twoFactor.enable(user, secret, await generate({ secret, epoch: Math.floor(Date.now() / 1000) })));
    // The code that turned it on is spent; a recovery code's shape that is nobody's.
    const spent = await generate({ secret, epoch: Math.floor(Date.now() / 1000) });
    const forms: Record<string, string>[] = [{ current_password: p.password }, { current_password: p.password, code: "000000" }, { current_password: p.password, code: spent }, { current_password: p.password, code: "abcde-fghjk-mnpqr" }];
    for (const form of forms) {
      assert.equal((await deleteOwn(p, form)).status, 422, JSON.stringify(form));
    }
    assert.ok(await exists(p.userId));
  });

  it("guessing the password is limited per account (429), and a right one then is refused too", async () => {
    const { p } = await doomed("delguess");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await deleteOwn(p, { current_password: `guess ${i}` })).status);
    assert.ok(statuses.includes(429), statuses.join(", "));
    assert.equal((await deleteOwn(p, { current_password: p.password })).status, 429);
    assert.ok(await exists(p.userId));
  });

  it("done right: the account, its rows and files go, every session and socket of it ends, nobody else's things change", async () => {
    const { p, chatId, elsewhere, files } = await doomed("delok");
    const sockets = await Promise.all([connect(app, p.agent), connect(app, elsewhere)]);
    const closed = sockets.map((s) => new Promise<void>((resolve) => s.once("disconnect", () => resolve())));
    const cBefore = await app.sql("SELECT id, message FROM messages WHERE user_id = $1 ORDER BY id", [w.c.userId]);
    const res = await deleteOwn(p, { current_password: p.password });
    assert.equal(res.status, 303);
    await Promise.all(closed);
    assert.equal(await exists(p.userId), false);
    for (const table of ["notes", "images", "messages", "chat_members", "data_exports"]) {
      const col = table === "images" ? "owner_id" : "user_id";
      assert.equal((await app.sql(`SELECT 1 FROM ${table} WHERE ${col} = $1`, [p.userId])).length, 0, table);
    }
    assert.equal((await app.sql("SELECT 1 FROM session WHERE (sess -> 'passport' ->> 'user') = $1", [String(p.userId)])).length, 0);
    for (const browser of [p.agent, elsewhere]) {
      const page = await browser.get("/profile");
      assert.equal(page.status, 303, "both browsers are logged out");
    }
    await assert.rejects(connected(socketFor(app, { cookie: cookieOf(elsewhere) })), "no new socket either");
    for (const rel of files) {
      assert.equal(fs.existsSync(path.join(app.mediaRoot, rel)), false, `${rel} removed`);
      assert.equal((await raw(app, "GET", `/media/${rel}`, { cookie: w.c.cookie })).status, 404);
    }
    await assertMediaConsistent(app);
    assert.deepEqual(await app.sql("SELECT id, message FROM messages WHERE user_id = $1 ORDER BY id", [w.c.userId]), cBefore, "c's messages stay");
    assert.equal((await w.c.agent.get(`/chats/${chatId}`)).status < 500, true);
    const [audit] = await app.sql<{ action: string }>("SELECT action FROM audit_logs WHERE target_type = 'user' AND target_id = $1 ORDER BY id DESC LIMIT 1", [String(p.userId)]);
    assert.equal(audit.action, "user.self_delete");
  });
});
