// "Download my data" over HTTP against real PostgreSQL: the zip's contents, at once and in the background.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, loggedInAgent, newCredentials, postForm, tokenFor, type Agent } from "../helpers/agent";
import { linkIn, startInbox, type Inbox } from "../helpers/mail";
import { createGroup, openDirect, postMessage } from "../chat/helpers";
import { png, upload, uploadToken } from "../gallery/helpers";
import { binary, everything, json, text, unzip } from "./zip";

let app: TestApp;
let inbox: Inbox;
before(async () => {
  inbox = await startInbox();
  // Six items or fewer download at once; more are built in the background.
  app = await startTestApp({ SMTP_URL: inbox.url, EXPORT_INLINE_LIMIT: "6", EXPORT_LINK_HOURS: "2" });
});
after(async () => {
  await app.close();
  await inbox.close();
});

async function download(a: Agent) {
  const token = await tokenFor(a, "/account/export");
  return a.post("/account/export").type("form").send({ _csrf: token }).buffer(true).parse(binary);
}

async function addNote(a: Agent, data: string) {
  assert.equal((await postForm(a, "/notes", { data }, "/")).status, 303);
}

async function addPhoto(a: Agent, name: string): Promise<number> {
  const res = await upload(a, "/gallery", await uploadToken(a), [{ filename: name, data: await png(40, 30), contentType: "image/png" }]);
  assert.equal(res.status, 303);
  const [row] = await app.sql<{ id: number }>("SELECT id FROM images WHERE original_name = $1", [name]);
  return row.id;
}

async function latestMessageId(chatId: number, text: string): Promise<number> {
  const [row] = await app.sql<{ id: number }>("SELECT id FROM messages WHERE chat_id = $1 AND message = $2", [chatId, text]);
  return row.id;
}

const exportsOf = (userId: number) =>
  app.sql<{ id: string; status: string; bytes: string | null; attempts: number; expires_at: Date }>("SELECT * FROM data_exports WHERE user_id = $1 ORDER BY created_at", [userId]);

describe("download my data, at once (a small account)", () => {
  it("streams a zip with README, profile, notes, my messages with their chats, and my photos; nobody else's words, nothing deleted", async () => {
    const me = await loggedInAgent(app, newCredentials("exp"));
    const other = await loggedInAgent(app, newCredentials("oth"));
    await addNote(me.agent, "first note <script>alert(1)</script>");
    await addNote(me.agent, "second note, line one\nline two");
    await addNote(other.agent, "the other person's private note");
    const group = await createGroup(me.agent, "Book club", [other.creds.username]);
    const direct = await openDirect(me.agent, other.userId);
    await postMessage(me.agent, group, "my words in the group");
    await postMessage(other.agent, group, "their words in the group");
    await postMessage(me.agent, direct, "my words to them directly");
    await postMessage(me.agent, group, "a message I took back");
    const gone = await latestMessageId(group, "a message I took back");
    assert.equal((await postForm(me.agent, `/chats/${group}/messages/${gone}/delete`, {}, "/chats")).status, 303);
    const photo = await addPhoto(me.agent, "holiday.png");
    await addPhoto(other.agent, "their-photo.png");

    const page = await me.agent.get("/account/export");
    assert.equal(page.status, 200);
    assert.match(page.text, /The file is made as it downloads/);
    assert.match((await me.agent.get("/profile")).text, /href="\/account\/export"/, "linked from the profile page");

    const res = await download(me.agent);
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/zip");
    assert.match(res.headers["content-disposition"], new RegExp(`^attachment; filename="?hromada-${me.creds.username}-\\d{4}-\\d{2}-\\d{2}\\.zip"?$`));
    const zip = await unzip(res.body as Buffer);
    const [img] = await app.sql<{ path: string }>("SELECT path FROM images WHERE id = $1", [photo]);
    const photoName = `photos/${photo}${path.extname(img.path)}`;
    assert.deepEqual([...zip.keys()].sort(), ["README.txt", "messages.html", "messages.json", "notes.html", "notes.json", photoName, "photos.json", "profile.json"].sort());

    const readme = text(zip, "README.txt");
    assert.match(readme, /Your Hromada data/);
    for (const f of ["profile.json", "notes.json", "notes.html", "messages.json", "messages.html", "photos.json", "photos/"]) assert.ok(readme.includes(f), `README names ${f}`);

    const profile = json<Record<string, unknown>>(zip, "profile.json");
    assert.equal(profile.username, me.creds.username);
    assert.equal(profile.email, me.creds.email);
    assert.equal(profile.twoFactorAuthentication, false);
    assert.ok(!("passwordHash" in profile) && !JSON.stringify(profile).includes("$2b$"), "no password hash");

    const notes = json<{ text: string; createdAt: string }[]>(zip, "notes.json");
    assert.deepEqual(notes.map((n) => n.text), ["first note <script>alert(1)</script>", "second note, line one\nline two"]);
    assert.ok(!Number.isNaN(Date.parse(notes[0].createdAt)));
    const notesHtml = text(zip, "notes.html");
    assert.match(notesHtml, /first note &lt;script&gt;alert\(1\)&lt;\/script&gt;/, "escaped for the browser");
    assert.doesNotMatch(notesHtml, /<script>/);

    const messages = json<{ text: string; chat: { id: number; type: string; name: string | null }; sentAt: string }[]>(zip, "messages.json");
    assert.deepEqual(
      messages.map((m) => [m.text, m.chat.type, m.chat.name, m.chat.id]).sort(),
      [
        ["my words in the group", "group", "Book club", group],
        ["my words to them directly", "direct", other.creds.username, direct],
      ].sort(),
    );
    const messagesHtml = text(zip, "messages.html");
    assert.match(messagesHtml, /Group: Book club/);
    assert.match(messagesHtml, new RegExp(`Direct chat with ${other.creds.username}`));

    const photos = json<{ id: number; file: string; originalName: string; caption: string; uploadedAt: string; profilePicture: boolean }[]>(zip, "photos.json");
    assert.equal(photos.length, 1);
    assert.equal(photos[0].id, photo);
    assert.equal(photos[0].file, photoName);
    assert.equal(photos[0].originalName, "holiday.png");
    assert.deepEqual(zip.get(photoName), fs.readFileSync(path.join(app.mediaRoot, img.path)), "the stored file itself");

    const all = everything(zip);
    for (const theirs of ["their words in the group", "the other person's private note", "their-photo.png", "a message I took back", other.creds.email]) {
      assert.ok(!all.includes(theirs), `"${theirs}" is not in my archive`);
    }
    const [audit] = await app.sql<{ actor_id: number; details: { username: string } }>("SELECT * FROM audit_logs WHERE action = 'user.export' AND target_id = $1", [String(me.userId)]);
    assert.equal(audit.actor_id, me.userId);
    assert.equal(audit.details.username, me.creds.username);
    assert.deepEqual(await exportsOf(me.userId), [], "nothing kept on the server");
  });

  it("writes the README and the readable pages in the account's language", async () => {
    const me = await loggedInAgent(app, newCredentials("ukexp"));
    assert.equal((await postForm(me.agent, "/profile/preferences", { locale: "uk", time_zone: "Europe/Kyiv" }, "/profile")).status, 303);
    await addNote(me.agent, "нотатка");
    const zip = await unzip((await download(me.agent)).body as Buffer);
    assert.match(text(zip, "README.txt"), /Ваші дані з Громади/);
    assert.match(text(zip, "README.txt"), /Europe\/Kyiv/);
    assert.match(text(zip, "notes.html"), /<html lang="uk">/);
    assert.match(text(zip, "messages.html"), /Ви ще не написали жодного повідомлення/);
    assert.deepEqual(json(zip, "messages.json"), []);
    assert.deepEqual(json(zip, "photos.json"), []);
  });

  it("is for logged-in people only, and limited per account (429 past five in a window)", async () => {
    const anon = agent(app);
    const res = await anon.get("/account/export");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/login");
    const me = await loggedInAgent(app, newCredentials("limit"));
    for (let i = 0; i < 5; i++) assert.equal((await download(me.agent)).status, 200);
    const limited = await download(me.agent);
    assert.equal(limited.status, 429);
    assert.match(limited.body.toString(), /Too many attempts/);
    const audits = await app.sql("SELECT 1 FROM audit_logs WHERE action = 'user.export' AND target_id = $1", [String(me.userId)]);
    assert.equal(audits.length, 5, "the refused one read nothing");
  });
});

describe("download my data, in the background (a large account)", () => {
  async function bigAccount(prefix: string) {
    const me = await loggedInAgent(app, newCredentials(prefix));
    for (let i = 0; i < 6; i++) await addNote(me.agent, `${prefix} note ${i}`);
    await addPhoto(me.agent, `${prefix}.png`);
    return me;
  }

  it("queues one export, builds it, mails a link that only its owner can open, and drops it when it expires", async () => {
    const me = await bigAccount("bg");
    const other = await loggedInAgent(app, newCredentials("bgother"));
    assert.match((await me.agent.get("/account/export")).text, /Prepare my data/);
    const res = await postForm(me.agent, "/account/export", {}, "/account/export");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/account/export");
    const followed = await me.agent.get("/account/export");
    assert.match(followed.text, /We are preparing your archive and will email you|Your archive is ready/);
    await app.exports.drain();
    const rows = await exportsOf(me.userId);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, "ready");
    const file = path.join(app.config.dataDir, "exports", `${rows[0].id}.zip`);
    assert.equal(fs.statSync(file).size, Number(rows[0].bytes));
    const hoursLeft = (rows[0].expires_at.getTime() - Date.now()) / 3600_000;
    assert.ok(hoursLeft > 1.9 && hoursLeft <= 2, `expires in EXPORT_LINK_HOURS (${hoursLeft})`);

    const mail = await inbox.waitFor(me.creds.email, (m) => /ready to download/.test(m.subject ?? ""));
    const link = linkIn(mail, "/account/export/");
    assert.equal(link, `/account/export/${rows[0].id}`);
    assert.ok(mail.html && (mail.html as string).includes(link), "both parts carry the link");
    assert.match(mail.text ?? "", /expires in 2 hours/);

    const page = await me.agent.get("/account/export");
    assert.match(page.text, /Your archive is ready/);
    assert.ok(page.text.includes(`href="${link}"`));

    const got = await me.agent.get(link).buffer(true).parse(binary);
    assert.equal(got.status, 200);
    assert.match(got.headers["content-disposition"], /attachment; filename="?hromada-bg/);
    const zip = await unzip(got.body as Buffer);
    assert.equal(json<unknown[]>(zip, "notes.json").length, 6);
    assert.equal(json<unknown[]>(zip, "photos.json").length, 1);
    assert.equal([...zip.keys()].filter((k) => k.startsWith("photos/")).length, 1);

    // Someone else's link, a made-up one and a malformed one are simply not there; a visitor is sent to log in.
    assert.equal((await other.agent.get(link)).status, 404);
    assert.equal((await me.agent.get("/account/export/00000000-0000-4000-8000-000000000000")).status, 404);
    assert.equal((await me.agent.get("/account/export/not-a-uuid")).status, 404);
    const anon = await agent(app).get(link);
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.location, "/login");

    // Expired: the link is dead at once, and the sweep removes the row and the file.
    await app.sql("UPDATE data_exports SET expires_at = now() - interval '1 second' WHERE id = $1", [rows[0].id]);
    assert.equal((await me.agent.get(link)).status, 404);
    await app.exports.sweep();
    assert.deepEqual(await exportsOf(me.userId), []);
    assert.ok(!fs.existsSync(file), "the expired file is gone");
  });

  it("asking again while an export is being prepared queues nothing more", async () => {
    const me = await bigAccount("twice");
    // A worker (of this or another process) holds it: its lease runs for a while yet.
    await app.sql(
      `INSERT INTO data_exports (id, user_id, status, expires_at, attempts, lease_until) VALUES (gen_random_uuid(), $1, 'pending', now() + interval '1 hour', 1, now() + interval '10 minutes')`,
      [me.userId],
    );
    const page = await me.agent.get("/account/export");
    assert.match(page.text, /Your archive is being prepared/);
    assert.doesNotMatch(page.text, /Prepare my data/, "no button while one is on its way");
    const res = await postForm(me.agent, "/account/export", {}, "/account/export");
    assert.equal(res.status, 303);
    assert.match((await me.agent.get("/account/export")).text, /already being prepared/);
    assert.equal((await exportsOf(me.userId)).length, 1);
  });

  it("picks up a pending export left by a process that died mid-build, and removes files no row owns", async () => {
    const me = await bigAccount("crash");
    // As a process that leased it and died would leave it: one try counted, its lease run out, a half-written file.
    const [row] = await app.sql<{ id: string }>(
      `INSERT INTO data_exports (id, user_id, status, expires_at, attempts, lease_until)
       VALUES (gen_random_uuid(), $1, 'pending', now() + interval '1 hour', 1, now() - interval '1 minute') RETURNING id`,
      [me.userId],
    );
    const dir = path.join(app.config.dataDir, "exports");
    fs.mkdirSync(dir, { recursive: true });
    const stale = path.join(dir, `${row.id}.zip.999.1.part`);
    fs.writeFileSync(stale, "half");
    fs.utimesSync(stale, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    const orphan = path.join(dir, "11111111-1111-4111-8111-111111111111.zip");
    fs.writeFileSync(orphan, "no row owns this");
    // A lease still running belongs to a live worker elsewhere: left alone.
    const other = await bigAccount("leased");
    await app.sql(
      `INSERT INTO data_exports (id, user_id, status, expires_at, attempts, lease_until) VALUES (gen_random_uuid(), $1, 'pending', now() + interval '1 hour', 1, now() + interval '10 minutes')`,
      [other.userId],
    );

    await app.exports.drain();
    const [done] = await exportsOf(me.userId);
    assert.equal(done.status, "ready");
    assert.equal(done.attempts, 2);
    assert.ok(fs.existsSync(path.join(dir, `${row.id}.zip`)));
    assert.ok(!fs.existsSync(stale), "the dead build's part file is swept");
    assert.ok(!fs.existsSync(orphan), "a file with no row is swept");
    assert.equal((await exportsOf(other.userId))[0].status, "pending", "another worker's lease is respected");
    await inbox.waitFor(me.creds.email, (m) => /ready to download/.test(m.subject ?? ""));
  });

  it("retries a failed build later, gives up after three tries and says so; asking again queues a new one", async () => {
    const me = await bigAccount("fail");
    // The exports folder cannot be made (a file is in its place): every build fails.
    const dir = path.join(app.config.dataDir, "exports");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.writeFileSync(dir, "in the way");
    try {
      assert.equal((await postForm(me.agent, "/account/export", {}, "/account/export")).status, 303);
      await app.exports.drain();
      let [row] = await exportsOf(me.userId);
      assert.equal(row.status, "pending", "tried again later");
      assert.equal(row.attempts, 1);
      await app.sql("UPDATE data_exports SET attempts = 2, lease_until = now() - interval '1 second' WHERE id = $1", [row.id]);
      await app.exports.drain();
      [row] = await exportsOf(me.userId);
      assert.equal(row.status, "failed");
      assert.equal(row.attempts, 3);
    } finally {
      fs.rmSync(dir, { force: true });
    }
    const page = await me.agent.get("/account/export");
    assert.match(page.text, /could not be prepared/);
    assert.match(page.text, /Prepare my data/);
    assert.equal((await postForm(me.agent, "/account/export", {}, "/account/export")).status, 303);
    await app.exports.drain();
    assert.deepEqual((await exportsOf(me.userId)).map((r) => r.status), ["failed", "ready"]);
  });
});

// Made after every test of the first app: ActiveRecord follows the newest data source.
describe("lowered limits (EXPORT_RATE_LIMIT, PEOPLE_SUGGEST_PER_MINUTE)", () => {
  let strict: TestApp;
  before(async () => {
    strict = await startTestApp({ EXPORT_RATE_LIMIT: "2", PEOPLE_SUGGEST_PER_MINUTE: "3" });
  });
  after(() => strict.close());

  it("are honoured: the third export and the fourth look-up are refused, per account, and the refused export reads nothing", async () => {
    const me = await loggedInAgent(strict, newCredentials("low"));
    const other = await loggedInAgent(strict, newCredentials("low-oth"));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await download(me.agent)).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal((await download(other.agent)).status, 200, "another account has its own count");
    const audits = await strict.sql("SELECT 1 FROM audit_logs WHERE action = 'user.export' AND target_id = $1", [String(me.userId)]);
    assert.equal(audits.length, 2, "the refused one read nothing");

    const looks = [];
    for (let i = 0; i < 4; i++) looks.push((await me.agent.get("/people.json?q=lo")).status);
    assert.deepEqual(looks, [200, 200, 200, 429]);
    assert.equal((await other.agent.get("/people.json?q=lo")).status, 200);
  });
});
