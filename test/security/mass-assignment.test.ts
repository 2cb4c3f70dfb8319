// Promise: "only you see your data" — and only your own fields change. Every form of the app is sent valid, plus
// every column name an attacker might guess (is_staff=true, user_id=<someone else>, id=, owner_id=, gallery_id=,
// creator_id=, ..., in snake_case and camelCase, as form fields and as JSON). The database is compared row by row
// before and after: exactly the fields the form is for changed (or exactly the rows it creates appeared), and
// nothing of anyone else's. (test/auth and test/notes check is_staff and user_id on their own forms.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generate } from "otplib";
import type { TestApp } from "../helpers/app";
import { csrfFrom } from "../helpers/agent";
import { png, upload, uploadToken } from "../gallery/helpers";
import { aimAt, anonymous, ownRoutes, person, tokenOf, useWorld, type World } from "./helpers";

let app: TestApp;
let w: World;
useWorld((a, world) => ((app = a), (w = world)));

type Row = Record<string, unknown> & { id: number };
type Tables = Record<string, Map<number, Row>>;

const TABLES = [
  "users", "galleries", "notes", "chats", "chat_members", "messages", "images", "audit_logs",
  "message_edits", "message_reactions", "message_mentions", "mail_outbox", "recovery_codes", "data_exports",
];
/** Moved by the login itself, and by the mail worker after a commit (delivery bookkeeping). */
const IGNORED = ["users.last_login", "mail_outbox.attempts", "mail_outbox.next_attempt_at", "mail_outbox.sent_at", "mail_outbox.last_error"];

async function rows(): Promise<Tables> {
  // Mail queued earlier is sent (and its bodies dropped) first: the worker's background writes are not a request's.
  await app.mailer.drain();
  const out: Tables = {};
  for (const t of TABLES) {
    const found = await app.sql<Row>(`SELECT * FROM ${t} ORDER BY id`);
    out[t] = new Map(found.map((r) => [r.id, JSON.parse(JSON.stringify(r)) as Row]));
  }
  return out;
}

interface Changes {
  /** "table#id.column" for every changed value. */
  updated: string[];
  inserted: { table: string; row: Row }[];
  deleted: string[];
}

function compare(before: Tables, after: Tables, ignore: string[] = IGNORED): Changes {
  const out: Changes = { updated: [], inserted: [], deleted: [] };
  for (const t of TABLES) {
    for (const [id, row] of after[t]) {
      const old = before[t].get(id);
      if (!old) {
        out.inserted.push({ table: t, row });
        continue;
      }
      for (const col of Object.keys(row)) {
        if (ignore.includes(`${t}.${col}`)) continue;
        if (JSON.stringify(row[col]) !== JSON.stringify(old[col])) out.updated.push(`${t}#${id}.${col}`);
      }
    }
    for (const id of before[t].keys()) if (!after[t].has(id)) out.deleted.push(`${t}#${id}`);
  }
  out.updated.sort();
  return out;
}

/** What an attacker adds to a form: the columns of every table, pointing at someone else's rows. */
function extras(): Record<string, string> {
  const b = w.b;
  const o = w.bOwned;
  const fields: Record<string, string> = {
    id: String(o.noteId), user_id: String(b.userId), owner_id: String(b.userId), gallery_id: String(b.galleryId),
    creator_id: String(b.userId), chat_id: String(o.directId), profile_picture_id: String(o.imageId),
    is_staff: "true", is_active: "false", is_group: "false", direct_key: `${b.userId}:${w.a.userId}`,
    password_hash: "$2b$04$0000000000000000000000000000000000000000000000000000",
    last_read_message_id: "2147483647", created_at: "2000-01-01", last_login: "2000-01-01", date: "2000-01-01",
    path: "../../etc/passwd", thumb_path: "../../etc/passwd", width: "1", bytes: "1", original_name: "forged",
    // The chat's own: another chat's message (a is a member there too) and its bookkeeping.
    message_id: String(w.owned.directMessageId), reply_to: String(w.owned.directMessageId), reply_to_id: String(w.owned.directMessageId),
    version: "999", change_seq: "999", edited_at: "2000-01-01", deleted_at: "2000-01-01", muted_until: "infinity", previous_text: "forged",
    // The account's own: verification, two factors, where mail goes.
    email_verified_at: "2000-01-01", totp_secret: "JBSWY3DPEHPK3PXP", totp_enabled_at: "2000-01-01", to_address: w.b.email,
  };
  // The same in camelCase, as the entities name them.
  for (const [k, v] of Object.entries({ ...fields })) fields[k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = v;
  return fields;
}

async function run(what: string, send: () => Promise<{ status: number; headers: Record<string, string>; text: string }>, status = 303): Promise<Changes> {
  const before = await rows();
  const res = await send();
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  return compare(before, await rows());
}

const post = async (url: string, form: Record<string, string>, p = w.a) =>
  p.agent.post(url).type("form").send({ ...extras(), ...form, _csrf: await tokenOf(p) });

/** The POST routes whose form this file sends with extras (every route that reads fields from its body). */
const COVERED = [
  "POST /signup", "POST /login", "POST /profile", "POST /profile/password", "POST /notes", "POST /notes/:id/edit", "POST /chats",
  "POST /chats/:id/messages", "POST /chats/:id/rename", "POST /chats/:id/members", "POST /chats/direct", "POST /gallery/:id/avatar",
  "POST /gallery", "POST /profile/avatar", "POST /chats/:id/avatar", "POST /admin/users/:id/active", "POST /admin/users/:id/staff",
  "POST /admin/users/:id/delete", "POST /language", "POST /profile/preferences",
  "POST /theme",
  "POST /chats/:id/messages/:messageId/edit", "POST /chats/:id/messages/:messageId/reactions", "POST /chats/:id/mute",
  "POST /password/reset", "POST /password/reset/:token",
  "POST /gallery/:id/caption", "POST /gallery/bulk-delete", "POST /chats/:id/photos",
  "POST /login/two-factor", "POST /account/two-factor/enable", "POST /account/two-factor/recovery-codes", "POST /account/two-factor/disable",
  "POST /account/delete",
];

describe("extra fields in every form are ignored", () => {
  it("covers every route that reads a form or an upload", () => {
    const reading = Object.entries({ ...aimAt(w), ...ownRoutes(w) }).filter(([, aim]) => aim.upload || (aim.form && Object.keys(aim.form).length));
    assert.deepEqual(reading.map(([k]) => k).filter((k) => !COVERED.includes(k)), []);
  });

  it("login: nothing but the login itself", async () => {
    const anon = anonymous(app);
    const token = csrfFrom((await anon.get("/login")).text);
    const c = await run("login", () => anon.post("/login").type("form").send({ ...extras(), login: w.b.username, password: w.b.password, _csrf: token }));
    assert.deepEqual(c, { updated: [], inserted: [], deleted: [] });
  });

  it("sign-up: a new ordinary user with a new gallery of its own", async () => {
    const anon = anonymous(app);
    const token = csrfFrom((await anon.get("/signup")).text);
    const name = `mass_${process.pid}`;
    const c = await run("signup", () =>
      anon.post("/signup").type("form").send({ ...extras(), username: name, email: `${name}@example.test`, password: "correct horse battery", password_confirm: "correct horse battery", _csrf: token }));
    assert.deepEqual(c.updated, []);
    assert.deepEqual(c.deleted, []);
    // Its confirmation link goes to the address typed, not to_address=b's.
    assert.deepEqual(c.inserted.map((i) => i.table).sort(), ["galleries", "mail_outbox", "users"]);
    assert.equal(c.inserted.find((i) => i.table === "mail_outbox")!.row.to_address, `${name}@example.test`);
    const user = c.inserted.find((i) => i.table === "users")!.row;
    assert.equal(user.email_verified_at, null, "email_verified_at=2000-01-01 ignored: not confirmed");
    assert.equal(user.totp_secret ?? null, null);
    const gallery = c.inserted.find((i) => i.table === "galleries")!.row;
    assert.equal(user.is_staff, false);
    assert.equal(user.is_active, true);
    assert.equal(user.gallery_id, gallery.id, "its own new gallery, not b's");
    assert.equal(user.profile_picture_id, null);
    assert.notEqual(user.id, w.bOwned.noteId);
    assert.match(String(user.password_hash), /^\$2b\$04\$/, "the hash of the password typed");
    assert.notEqual(user.password_hash, extras().password_hash);
  });

  it("profile: only a's username and email", async () => {
    const c = await run("profile", () => post("/profile", { username: `${w.a.username}_2`, email: `two.${w.a.email}` }));
    assert.deepEqual(c.updated, [`users#${w.a.userId}.email`, `users#${w.a.userId}.username`]);
    // A new address is audited, and mailed: a confirmation link to the new one, a notice to the old one (never b's).
    assert.deepEqual(c.inserted.map((i) => i.table).sort(), ["audit_logs", "mail_outbox", "mail_outbox"]);
    const mails = c.inserted.filter((i) => i.table === "mail_outbox").map((i) => String(i.row.to_address)).sort();
    assert.deepEqual(mails, [w.a.email, `two.${w.a.email}`].sort());
    assert.deepEqual(c.deleted, []);
    w.a.username = `${w.a.username}_2`;
  });

  it("profile as JSON with is_staff: true: only a's username and email", async () => {
    const token = await tokenOf(w.a);
    const c = await run("profile (JSON)", () =>
      w.a.agent.post("/profile").set("X-CSRF-Token", token).send({ ...extras(), is_staff: true, isStaff: true, username: `${w.a.username}3`, email: `three.${w.a.email}` }));
    assert.deepEqual(c.updated, [`users#${w.a.userId}.email`, `users#${w.a.userId}.username`]);
    w.a.username = `${w.a.username}3`;
  });

  it("language switch: only a's language", async () => {
    const c = await run("language", () => post("/language", { lang: "uk", next: "/" }));
    assert.deepEqual(c.updated, [`users#${w.a.userId}.locale`]);
    assert.deepEqual([c.inserted, c.deleted], [[], []]);
  });

  it("colour scheme switch: only a's theme", async () => {
    const c = await run("theme", () => post("/theme", { theme: "dark", next: "/" }));
    assert.deepEqual(c.updated, [`users#${w.a.userId}.theme`]);
    assert.deepEqual([c.inserted, c.deleted], [[], []]);
  });

  it("language and time zone: only a's own two columns", async () => {
    const c = await run("preferences", () => post("/profile/preferences", { locale: "en", time_zone: "Europe/Kiev" }));
    assert.deepEqual(c.updated, [`users#${w.a.userId}.locale`, `users#${w.a.userId}.time_zone`]);
    assert.deepEqual([c.inserted, c.deleted], [[], []]);
  });

  it("password change: only a's password hash (b's untouched)", async () => {
    const c = await run("password", () =>
      post("/profile/password", { current_password: w.a.password, new_password: "a new long password", new_password_confirm: "a new long password" }));
    assert.deepEqual(c.updated, [`users#${w.a.userId}.password_hash`]);
    w.a.password = "a new long password";
  });

  it("adding a note: one note of a's, with a new id", async () => {
    const c = await run("note", () => post("/notes", { data: "mass assignment note" }));
    assert.deepEqual([c.updated, c.deleted], [[], []]);
    assert.equal(c.inserted.length, 1);
    const note = c.inserted[0].row;
    assert.deepEqual([c.inserted[0].table, note.user_id, note.data, note.updated_at], ["notes", w.a.userId, "mass assignment note", null]);
    assert.notEqual(new Date(String(note.date)).getUTCFullYear(), 2000);
  });

  it("editing a note: only its text and edit time", async () => {
    const id = w.owned.noteId;
    const c = await run("note edit", () => post(`/notes/${id}/edit`, { data: "edited with extras" }));
    assert.deepEqual(c.updated, [`notes#${id}.data`, `notes#${id}.updated_at`]);
  });

  it("creating a group: a is the creator, the members are the ones named, no picture", async () => {
    const c = await run("group", () => post("/chats", { name: "mass group", members: w.c.username }));
    assert.deepEqual(c.updated, []);
    const chat = c.inserted.find((i) => i.table === "chats")!.row;
    assert.deepEqual([chat.creator_id, chat.is_group, chat.direct_key, chat.profile_picture_id, chat.chat_name], [w.a.userId, true, null, null, "mass group"]);
    const members = c.inserted.filter((i) => i.table === "chat_members").map((i) => i.row);
    assert.deepEqual(members.map((m) => m.user_id).sort(), [w.a.userId, w.c.userId].sort());
    assert.ok(members.every((m) => m.chat_id === chat.id && m.last_read_message_id === 0));
  });

  it("sending a message: from a, in the chat of the URL", async () => {
    const chatId = w.owned.groupId;
    const c = await run("message", () => post(`/chats/${chatId}/messages`, { text: "mass message" }));
    const msg = c.inserted.find((i) => i.table === "messages")!.row;
    assert.deepEqual([msg.chat_id, msg.user_id, msg.message], [chatId, w.a.userId, "mass message"]);
    assert.equal(msg.reply_to_id, null, "a reply to another chat's message quotes nothing");
    assert.equal(c.inserted.length, 1);
    // The chat's newest message and the sender's read position move; nothing else.
    assert.deepEqual(c.updated.filter((u) => !u.startsWith(`chats#${chatId}.last_message`) && !/^chat_members#\d+\.last_read_message_id$/.test(u)), []);
  });

  it("editing a message: only its text, with the earlier text kept; the message and chat of the URL", async () => {
    const { groupId, messageId, messageText } = w.owned;
    const c = await run("edit", () => post(`/chats/${groupId}/messages/${messageId}/edit`, { text: "mass edit" }));
    assert.deepEqual(c.updated, [`chats#${groupId}.change_seq`, `messages#${messageId}.edited_at`, `messages#${messageId}.message`, `messages#${messageId}.version`]);
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.message_id, i.row.previous_text]), [["message_edits", messageId, messageText]]);
    assert.deepEqual(c.deleted, []);
  });

  it("reacting: a's reaction on the message of the URL, nothing else", async () => {
    const { groupId, messageId } = w.owned;
    const c = await run("react", () => post(`/chats/${groupId}/messages/${messageId}/reactions`, { emoji: "😮", on: "1" }));
    assert.deepEqual(c.updated, [`chats#${groupId}.change_seq`, `messages#${messageId}.version`]);
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.message_id, i.row.user_id, i.row.emoji]), [["message_reactions", messageId, w.a.userId, "😮"]]);
  });

  it("muting: only a's own membership of the chat of the URL", async () => {
    const { groupId } = w.owned;
    const [{ id }] = await app.sql<{ id: number }>("SELECT id FROM chat_members WHERE chat_id = $1 AND user_id = $2", [groupId, w.a.userId]);
    const c = await run("mute", () => post(`/chats/${groupId}/mute`, { for: "1h" }));
    assert.deepEqual(c.updated, [`chat_members#${id}.muted_until`]);
    assert.deepEqual([c.inserted, c.deleted], [[], []]);
  });

  it("asking for a reset link: one mail, to the address asked about", async () => {
    const r = w.resetUser;
    await app.sql("UPDATE users SET email_verified_at = now() WHERE id = $1", [r.id]);
    const anon = anonymous(app);
    const token = csrfFrom((await anon.get("/password/reset")).text);
    const c = await run("reset request", async () => {
      const res = await anon.post("/password/reset").type("form").send({ ...extras(), email: r.email, _csrf: token });
      await app.resets.settled();
      return res;
    }, 200);
    assert.deepEqual(c.updated, []);
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.to_address, i.row.template]), [["mail_outbox", r.email, "password_reset"]]);
  });

  it("choosing a new password through the link: only that account's password, and its audit entry", async () => {
    const r = w.resetUser;
    const anon = anonymous(app);
    const link = `/password/reset/${w.resetToken}`;
    const token = csrfFrom((await anon.get(link)).text);
    const c = await run("reset", () => anon.post(link).type("form").send({ ...extras(), new_password: "lantern copper meadow", new_password_confirm: "lantern copper meadow", _csrf: token }));
    assert.deepEqual(c.updated, [`users#${r.id}.password_hash`], "is_staff, email_verified_at, totp_secret ignored; b untouched");
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.action, i.row.target_id]), [["audit_logs", "user.password_reset", String(r.id)]]);
  });

  it("two-factor: turning it on, new codes, the login's second step and turning it off change a's own rows only", async () => {
    const a = { ...w.a, email: (await app.sql<{ email: string }>("SELECT email FROM users WHERE id = $1", [w.a.userId]))[0].email };
    const mine = (cols: string[]) => cols.map((c) => `users#${a.userId}.${c}`);
    const totp = mine(["totp_enabled_at", "totp_last_step", "totp_secret"]);
    const made = (c: Changes) => c.inserted.filter((i) => i.table !== "recovery_codes").map((i) => [i.table, i.row.action ?? i.row.to_address]);
    const codesOf = (c: Changes) => c.inserted.filter((i) => i.table === "recovery_codes").map((i) => i.row.user_id);
    // Away from the end of a 30-second step: the codes computed here are still good when they arrive.
    if (Date.now() % 30_000 > 25_000) await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 200));

    assert.deepEqual(await run("2fa setup", () => post("/account/two-factor/setup", {})), { updated: [], inserted: [], deleted: [] });
    const secret = /class="[^"]*two-factor-secret[^"]*"[^>]*>([A-Z2-7 ]+)</.exec((await a.agent.get("/account/two-factor")).text)![1].replace(/ /g, "");
    // Each answer is the page of the codes it made (status 200): kept here to read them off.
    let shown = "";
    const showing = async (res: Awaited<ReturnType<typeof post>>) => ((shown = res.text), res);
    const on = await run("2fa on", async () => showing(await post("/account/two-factor/enable", { code: await generate({ secret }), secret: "JBSWY3DPEHPK3PXP" })), 200);
    assert.deepEqual(on.updated, totp);
    assert.deepEqual(codesOf(on), Array(10).fill(a.userId));
    assert.deepEqual(made(on), [["audit_logs", "user.2fa_enable"], ["mail_outbox", a.email]]);
    assert.deepEqual(on.deleted, []);
    assert.equal((await app.sql("SELECT totp_secret FROM users WHERE id = $1", [a.userId]))[0].totp_secret, secret, "the key shown, not one sent");
    const first = [...shown.matchAll(/user-select-all">([a-z2-9-]+)</g)].map((m) => m[1]);
    assert.equal(first.length, 10);

    const regen = await run("2fa new codes", async () => showing(await post("/account/two-factor/recovery-codes", { code: first[0] })), 200);
    assert.deepEqual(regen.updated, []);
    assert.equal(regen.deleted.length, 10);
    assert.ok(regen.deleted.every((d) => d.startsWith("recovery_codes#")));
    assert.deepEqual(codesOf(regen), Array(10).fill(a.userId));
    assert.deepEqual(made(regen), [["audit_logs", "user.2fa_recovery_regenerate"]]);
    const fresh = [...shown.matchAll(/user-select-all">([a-z2-9-]+)</g)].map((m) => m[1]);
    assert.equal(fresh.length, 10);

    const anon = anonymous(app);
    const loginPage = await anon.get("/login");
    await anon.post("/login").type("form").send({ login: a.username, password: a.password, _csrf: csrfFrom(loginPage.text) }).expect(303);
    const stepToken = csrfFrom((await anon.get("/login/two-factor")).text);
    const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const step = await run("2fa login", () => anon.post("/login/two-factor").type("form").send({ ...extras(), code: next, _csrf: stepToken }));
    assert.deepEqual(step, { updated: mine(["totp_last_step"]), inserted: [], deleted: [] });

    const off = await run("2fa off", () => post("/account/two-factor/disable", { current_password: a.password, code: fresh[0] }));
    assert.deepEqual(off.updated, totp);
    assert.equal(off.deleted.length, 10);
    assert.deepEqual(made(off), [["audit_logs", "user.2fa_disable"], ["mail_outbox", a.email]]);
  });

  it("renaming a group: only its name", async () => {
    const chatId = w.owned.groupId;
    const c = await run("rename", () => post(`/chats/${chatId}/rename`, { name: "renamed with extras" }));
    assert.deepEqual(c.updated, [`chats#${chatId}.chat_name`]);
  });

  it("adding members: the one named, with history already read (not the last_read_message_id sent)", async () => {
    const chatId = w.owned.groupId;
    const c = await run("add members", () => post(`/chats/${chatId}/members`, { members: w.staff.username }));
    assert.deepEqual(c.updated, []);
    assert.equal(c.inserted.length, 1);
    const m = c.inserted[0].row;
    const [{ max }] = await app.sql<{ max: number }>("SELECT max(id) AS max FROM messages WHERE chat_id = $1", [chatId]);
    assert.deepEqual([m.chat_id, m.user_id, m.last_read_message_id], [chatId, w.staff.userId, max]);
  });

  it("opening a direct chat: a's chat with the person named, nobody else's", async () => {
    const c = await run("direct", () => post("/chats/direct", { user_id: String(w.staff.userId) }));
    const chat = c.inserted.find((i) => i.table === "chats")!.row;
    assert.deepEqual([chat.is_group, chat.creator_id, chat.direct_key], [false, w.a.userId, `${Math.min(w.a.userId, w.staff.userId)}:${Math.max(w.a.userId, w.staff.userId)}`]);
    assert.deepEqual(c.inserted.filter((i) => i.table === "chat_members").map((i) => i.row.user_id).sort(), [w.a.userId, w.staff.userId].sort());
  });

  it("setting an avatar: a's avatar, b's untouched", async () => {
    const c = await run("avatar", () => post(`/gallery/${w.owned.chatPictureId}/avatar`, {}));
    assert.deepEqual(c.updated, [`users#${w.a.userId}.profile_picture_id`]);
  });

  it("uploads (multipart): images of a's, in a's gallery, whatever the fields say", async () => {
    const extra = { owner_id: String(w.b.userId), gallery_id: String(w.b.galleryId), user_id: String(w.b.userId), chat_id: String(w.bOwned.directId) };
    const data = await png(30, 30);
    let c = await run("gallery upload", async () =>
      upload(w.a.agent, "/gallery", await uploadToken(w.a.agent), [{ filename: "m.png", data, contentType: "image/png" }], { fields: extra }));
    assert.deepEqual(c.updated, []);
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.owner_id, i.row.gallery_id]), [["images", w.a.userId, w.a.galleryId]]);

    c = await run("profile avatar upload", async () =>
      upload(w.a.agent, "/profile/avatar", await uploadToken(w.a.agent, "/profile"), [{ filename: "me.png", data, contentType: "image/png", field: "image" }], { field: "image", fields: extra }));
    assert.deepEqual(c.updated, [`users#${w.a.userId}.profile_picture_id`]);
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.owner_id, i.row.gallery_id]), [["images", w.a.userId, w.a.galleryId]]);

    const groupId = w.owned.groupId;
    c = await run("chat picture upload", async () =>
      upload(w.a.agent, `/chats/${groupId}/avatar`, await uploadToken(w.a.agent, `/chats/${groupId}/avatar`), [{ filename: "g.png", data, contentType: "image/png", field: "image" }], { field: "image", fields: extra }));
    assert.deepEqual(c.updated, [`chats#${groupId}.profile_picture_id`], "a's group, not b's chat");
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.owner_id, i.row.gallery_id]), [["images", w.a.userId, w.a.galleryId]]);

    // A chat photo: a's message in a's group (not b's chat), its image a's and in no gallery, whatever the fields say.
    c = await run("chat photo upload", async () =>
      upload(w.a.agent, `/chats/${groupId}/photos`, await uploadToken(w.a.agent, `/chats/${groupId}/photos/new`), [{ filename: "p.png", data, contentType: "image/png", field: "photos" }], { field: "photos", fields: extra }));
    const message = c.inserted.find((i) => i.table === "messages")!.row;
    assert.deepEqual([message.chat_id, message.user_id], [groupId, w.a.userId]);
    assert.deepEqual(c.inserted.filter((i) => i.table === "images").map((i) => [i.row.owner_id, i.row.gallery_id, i.row.message_id]), [[w.a.userId, null, message.id]]);
  });

  it("admin forms: each changes its one flag, and writes its audit entry", async () => {
    const target = w.c.userId;
    let c = await run("set active", () => post(`/admin/users/${target}/active`, { active: "1", staff: "1" }, w.staff));
    assert.deepEqual(c, { updated: [], inserted: [], deleted: [] }, "already active: nothing at all, staff=1 ignored");
    c = await run("set staff", () => post(`/admin/users/${target}/staff`, { staff: "1", active: "0" }, w.staff));
    assert.deepEqual(c.updated, [`users#${target}.is_staff`], "is_active=false and active=0 ignored");
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.action, i.row.actor_id]), [["audit_logs", "user.grant_staff", w.staff.userId]]);

    const doomed = await person(app, "doomed");
    c = await run("delete user", () => post(`/admin/users/${doomed.userId}/delete`, { confirm: doomed.username }, w.staff));
    assert.deepEqual(c.deleted.sort(), [`galleries#${doomed.galleryId}`, `users#${doomed.userId}`].sort(), "the user named in the URL, nobody in the extras");
    assert.deepEqual(c.updated, []);
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.action, i.row.target_id]), [["audit_logs", "user.delete", String(doomed.userId)]]);
  });

  it("delete my account: only the account whose session and password these are, whatever the form names", async () => {
    const leaving = await person(app, "leaving");
    const c = await run("delete my account", () => post("/account/delete", { current_password: leaving.password }, leaving));
    assert.deepEqual(c.deleted.sort(), [`galleries#${leaving.galleryId}`, `users#${leaving.userId}`].sort(), "b, named in the extras, stays");
    assert.deepEqual(c.updated, []);
    assert.deepEqual(c.inserted.map((i) => [i.table, i.row.action, i.row.target_id, i.row.actor_id]), [["audit_logs", "user.self_delete", String(leaving.userId), null]]);
  });
});
