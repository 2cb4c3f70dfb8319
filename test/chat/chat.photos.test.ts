// Photos in chats (#18): sent with a message over HTTP (uploads, with or without JavaScript) or the socket (gallery
// photos, copied), stored once per client id, seen by the chat's current members only (page, file, thumbnail),
// gone with their message; refused files leave nothing behind.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials, postForm, type Agent } from "../helpers/agent";
import { animatedGif, assertMediaConsistent, jpeg, over10MB, png, readMedia, textFile, upload, type FilePart } from "../gallery/helpers";
import { ask, closeAll, connect, cookieOf, createGroup, next, openDirect } from "./helpers";
import { removeMember } from "./removal";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const user = () => loggedInAgent(app, newCredentials("ph"));
type User = Awaited<ReturnType<typeof user>>;

/** The photo form's upload token (in its action URL). */
async function photoToken(a: Agent, chatId: number): Promise<string> {
  const res = await a.get(`/chats/${chatId}/photos/new`);
  assert.equal(res.status, 200, res.text.slice(0, 300));
  const m = /action="\/chats\/\d+\/photos\?_csrf=([^"&]+)"/.exec(res.text);
  assert.ok(m, "the photo form carries its token in the action");
  return decodeURIComponent(m[1]);
}

interface Sent {
  status: number;
  body: { ok: boolean; message?: { id: number; text: string; photos: { id: number; src: string; thumb: string }[] }; error?: string; errors?: string[] };
  text: string;
  headers: Record<string, string>;
}

/** Sends photos as chat.js does (XHR, JSON answer), or as the plain form (json: false). */
async function sendPhotos(
  a: Agent,
  chatId: number,
  files: FilePart[],
  fields: Record<string, string> = {},
  { json = true }: { json?: boolean } = {},
): Promise<Sent> {
  const token = await photoToken(a, chatId);
  const req = upload(a, `/chats/${chatId}/photos`, token, files.map((f) => ({ field: "photos", ...f })), {
    field: "photos",
    fields: { client_id: crypto.randomUUID(), ...fields },
  });
  const res = await (json ? req.set("Accept", "application/json") : req);
  return { status: res.status, body: res.body, text: res.text, headers: res.headers as Record<string, string> };
}

const photoRows = (messageId: number) =>
  app.sql<{ id: number; path: string; thumb_path: string; gallery_id: number | null; owner_id: number; position: number }>(
    "SELECT id, path, thumb_path, gallery_id, owner_id, position FROM images WHERE message_id = $1 ORDER BY position",
    [messageId],
  );
const counts = async () =>
  (await app.sql<{ messages: number; images: number }>("SELECT (SELECT count(*)::int FROM messages) AS messages, (SELECT count(*)::int FROM images) AS images"))[0];

type Raw = { status: number; headers: http.IncomingHttpHeaders };
/** GET with a given cookie (or none), nothing else: as a copied URL is opened. */
function rawGet(p: string, who: Agent | null): Promise<Raw> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: hostname, port, path: p, headers: who ? { cookie: cookieOf(who) } : {} }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
  });
}

/** The page, the web file and the thumbnail of a chat photo, as `who` gets them. */
async function access(chatId: number, photo: { id: number; path: string; thumb_path: string }, who: Agent | null) {
  const [page, file, thumb] = await Promise.all([
    rawGet(`/chats/${chatId}/photos/${photo.id}`, who),
    rawGet(`/media/${photo.path}`, who),
    rawGet(`/media/${photo.thumb_path}`, who),
  ]);
  return [page.status, file.status, thumb.status];
}

async function group(...others: User[]) {
  const a = await user();
  const chatId = await createGroup(a.agent, `Photos ${crypto.randomBytes(3).toString("hex")}`, others.map((o) => o.creds.username));
  return { a, chatId };
}

describe("sending photos", () => {
  it("over HTTP as the script sends them: one message with its photos in order, broadcast live, the unread preview says 📷", async () => {
    const [b, c] = await Promise.all([user(), user()]);
    const { a, chatId } = await group(b, c);
    const [sb, sc] = await Promise.all([connect(app, b.agent), connect(app, c.agent)]);
    assert.deepEqual(await ask(sb, "chat:join", { chatId }), { ok: true });
    const live = next<{ id: number; photos: unknown[]; text: string }>(sb, "chat:message", (m) => m.photos?.length > 0);
    const badge = next<{ chatId: number; text: string }>(sc, "chat:unread", (e) => e.chatId === chatId);

    const res = await sendPhotos(a.agent, chatId, [
      { filename: "first.jpg", data: await jpeg(800, 600) },
      { filename: "second.png", data: await png(300, 200), contentType: "image/png" },
    ], { text: `look @${c.creds.username}` });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.body.ok, true);
    const msg = res.body.message!;
    assert.equal(msg.text, `look @${c.creds.username}`);
    assert.equal(msg.photos.length, 2);

    const rows = await photoRows(msg.id);
    assert.deepEqual(rows.map((r) => [r.position, r.gallery_id, r.owner_id]), [[0, null, a.userId], [1, null, a.userId]]);
    assert.deepEqual(msg.photos.map((p) => p.src), rows.map((r) => r.path));
    for (const r of rows) assert.equal((await sharp(readMedia(app, r.path)).metadata()).format, "webp");
    assert.deepEqual((await app.sql("SELECT count(*)::int AS n FROM images WHERE gallery_id IS NOT NULL AND owner_id = $1", [a.userId]))[0], { n: 0 }, "not in the sender's gallery");

    const got = await live;
    assert.equal(got.id, msg.id);
    assert.equal(got.photos.length, 2);
    const unread = await badge;
    assert.equal(unread.text, `📷 look @${c.creds.username}`);
    // The caption's mention counts like a text message's.
    assert.equal((await app.sql("SELECT count(*)::int AS n FROM message_mentions WHERE message_id = $1 AND user_id = $2", [msg.id, c.userId]))[0].n, 1);
    const unreadRow = await app.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM messages m JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = $2 WHERE m.chat_id = $1 AND m.id > cm.last_read_message_id",
      [chatId, c.userId],
    );
    assert.equal(unreadRow[0].n, 1, "unread for the others");

    // The chat page draws the photos, each linking to its page, the caption as alt text.
    const page = await b.agent.get(`/chats/${chatId}`);
    for (const r of rows) {
      assert.ok(page.text.includes(`href="/chats/${chatId}/photos/${r.id}"`));
      assert.ok(page.text.includes(`src="/media/${r.thumb_path}"`));
    }
    assert.match(page.text, new RegExp(`alt="look @${c.creds.username}"`));
    closeAll(sb, sc);
    await assertMediaConsistent(app);
  });

  it("without JavaScript: the plain form redirects to the message; alt text says who sent a photo without caption", async () => {
    const b = await user();
    const chatId = await openDirect(b.agent, (await user()).userId);
    const res = await sendPhotos(b.agent, chatId, [{ filename: "one.jpg", data: await jpeg(400, 300) }], {}, { json: false });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const [msg] = await app.sql<{ id: number; message: string }>("SELECT id, message FROM messages WHERE chat_id = $1", [chatId]);
    assert.equal(res.headers.location, `/chats/${chatId}#m-${msg.id}`);
    assert.equal(msg.message, "");
    const [photo] = await photoRows(msg.id);
    const page = await b.agent.get(`/chats/${chatId}`);
    assert.ok(page.text.includes(`src="/media/${photo.path}"`), "a single photo is shown at its own shape");
    assert.match(page.text, new RegExp(`alt="Photo from ${b.creds.username}"`));
    const list = await b.agent.get("/chats");
    assert.match(list.text, /📷 Photo/, "the chat list's preview of a photo without caption");
  });

  it("the chat page offers both ways to attach: the device (paperclip) and the gallery's picker, in both languages", async () => {
    const b = await user();
    const chatId = await openDirect(b.agent, (await user()).userId);
    const page = await b.agent.get(`/chats/${chatId}`);
    assert.match(page.text, new RegExp(`id="photo-gallery" href="/chats/${chatId}/photos/new#from-gallery"\\s+title="From your gallery"`));
    const picker = await b.agent.get(`/chats/${chatId}/photos/new`);
    assert.match(picker.text, /id="from-gallery"/, "the link's target is on the photo page");
    const uk = await b.agent.get(`/chats/${chatId}`).set("Accept-Language", "uk");
    assert.match(uk.text, /id="photo-gallery"[^>]*title="З вашої галереї"/);
  });

  it("retrying with the same client id stores the message and its photos once", async () => {
    const b = await user();
    const { a, chatId } = await group(b);
    const clientId = crypto.randomUUID();
    const files = [{ filename: "x.jpg", data: await jpeg(320, 240) }];
    const first = await sendPhotos(a.agent, chatId, files, { client_id: clientId });
    const again = await sendPhotos(a.agent, chatId, files, { client_id: clientId });
    assert.equal(first.status, 200);
    assert.equal(again.status, 200);
    assert.equal(again.body.message!.id, first.body.message!.id);
    assert.deepEqual(again.body.message!.photos, first.body.message!.photos);
    assert.equal((await app.sql("SELECT count(*)::int AS n FROM messages WHERE client_id = $1", [clientId]))[0].n, 1);
    assert.equal((await photoRows(first.body.message!.id)).length, 1);
    await assertMediaConsistent(app);
  });

  it("over the socket from the gallery: copies, so deleting the gallery photo later leaves the chat's", async () => {
    const b = await user();
    const { a, chatId } = await group(b);
    const token = await (async () => {
      const res = await a.agent.get("/gallery");
      return decodeURIComponent(/\?_csrf=([^"&]+)"/.exec(res.text)![1]);
    })();
    assert.equal((await upload(a.agent, "/gallery", token, [{ filename: "mine.jpg", data: await jpeg(500, 400) }])).status, 303);
    const [original] = await app.sql<{ id: number; path: string }>("SELECT id, path FROM images WHERE owner_id = $1 AND gallery_id IS NOT NULL", [a.userId]);

    const sa = await connect(app, a.agent);
    const ack = await ask(sa, "chat:message", { chatId, text: "", clientId: crypto.randomUUID(), photoIds: [original.id] });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    const msg = ack.message as unknown as { id: number; photos: { id: number; src: string }[] };
    const [copy] = await photoRows(msg.id);
    assert.notEqual(copy.id, original.id);
    assert.notEqual(copy.path, original.path, "a copy under a new name");
    assert.deepEqual(readMedia(app, copy.path), readMedia(app, original.path));

    assert.equal((await postForm(a.agent, `/gallery/${original.id}/delete`, {}, "/gallery")).status, 303);
    assert.deepEqual(await access(chatId, copy, b.agent), [200, 200, 200], "the chat's copy stays");

    // Someone else's gallery photo, or a chat photo, cannot be picked: nothing is stored.
    const before = await counts();
    const [theirs] = await Promise.all([sendPhotos(b.agent, chatId, [{ filename: "b.jpg", data: await jpeg(100, 100) }])]);
    const refused = await ask(sa, "chat:message", { chatId, text: "", clientId: crypto.randomUUID(), photoIds: [theirs.body.message!.photos[0].id] });
    assert.equal(refused.ok, false);
    // Its own code: not "not_found", which the page takes as having left the chat (the socket stays in the room).
    assert.equal(refused.code, "photo_gone");
    assert.equal((await counts()).messages, before.messages + 1, "only b's own message");
    // A message needs text or photos.
    const empty = await ask(sa, "chat:message", { chatId, text: " ", clientId: crypto.randomUUID() });
    assert.equal(empty.code, "invalid");
    closeAll(sa);
    await assertMediaConsistent(app);
  });

  it("keeps an animated GIF animated (an animated WebP of every frame)", async () => {
    const { a, chatId } = await group(await user());
    const res = await sendPhotos(a.agent, chatId, [{ filename: "wave.gif", data: await animatedGif(60, 40, 5), contentType: "image/gif" }]);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const [row] = await photoRows(res.body.message!.id);
    const meta = await sharp(readMedia(app, row.path)).metadata();
    assert.deepEqual([meta.format, meta.pages], ["webp", 5]);
  });
});

describe("who sees a chat photo", () => {
  it("the chat's members only: a non-member, a logged-out visitor and a removed member get 404 (page, file, thumbnail)", async () => {
    const [b, c, outsider] = await Promise.all([user(), user(), user()]);
    const { a, chatId } = await group(b, c);
    const sent = await sendPhotos(b.agent, chatId, [{ filename: "p.jpg", data: await jpeg(320, 240) }]);
    const [photo] = await photoRows(sent.body.message!.id);

    for (const member of [a, b, c]) assert.deepEqual(await access(chatId, photo, member.agent), [200, 200, 200]);
    assert.deepEqual(await access(chatId, photo, outsider.agent), [404, 404, 404], "a non-member");
    const [page, file, thumb] = await access(chatId, photo, null);
    assert.equal(page, 303, "a logged-out visitor is sent to log in, as for every chat page");
    assert.deepEqual([file, thumb], [404, 404], "a logged-out visitor gets no file");
    // The page under another chat's id (one the outsider is in) is not a way in either.
    const theirs = await openDirect(outsider.agent, a.userId);
    assert.equal((await rawGet(`/chats/${theirs}/photos/${photo.id}`, outsider.agent)).status, 404);
    // Not a gallery photo: the gallery's pages and actions do not find it, not even for its sender.
    assert.equal((await rawGet(`/gallery/${photo.id}`, b.agent)).status, 404);
    assert.equal((await postForm(b.agent, `/gallery/${photo.id}/delete`, {}, "/gallery")).status, 404);

    // The sender removed from the group loses it like anyone else; the others keep it.
    await removeMember(a.agent, chatId, b.userId);
    assert.deepEqual(await access(chatId, photo, b.agent), [404, 404, 404], "a removed member (its sender)");
    assert.deepEqual(await access(chatId, photo, c.agent), [200, 200, 200]);
    const media = await rawGet(`/media/${photo.path}`, c.agent);
    assert.match(String(media.headers["cache-control"]), /^private/);
  });

  it("deleting the message removes its photos: rows at once, files after, every URL 404; the change carries no photos", async () => {
    const b = await user();
    const { a, chatId } = await group(b);
    const sent = await sendPhotos(a.agent, chatId, [{ filename: "1.jpg", data: await jpeg(200, 200) }, { filename: "2.jpg", data: await jpeg(200, 200) }]);
    const msgId = sent.body.message!.id;
    const photos = await photoRows(msgId);
    const sb = await connect(app, b.agent);
    await ask(sb, "chat:join", { chatId });
    const changed = next<{ id: number; deleted: boolean; photos: unknown[] }>(sb, "chat:changed", (m) => m.id === msgId);
    const res = await postForm(a.agent, `/chats/${chatId}/messages/${msgId}/delete`, {}, `/chats/${chatId}`);
    assert.equal(res.status, 303);
    const change = await changed;
    assert.deepEqual([change.deleted, change.photos], [true, []]);
    assert.deepEqual(await photoRows(msgId), []);
    for (const p of photos) {
      assert.deepEqual(await access(chatId, p, b.agent), [404, 404, 404]);
      assert.equal(fs.existsSync(path.join(app.mediaRoot, p.path)), false);
      assert.equal(fs.existsSync(path.join(app.mediaRoot, p.thumb_path)), false);
    }
    closeAll(sb);
    await assertMediaConsistent(app);
  });

  it("a group deleted when its last member leaves takes its photos' files with it", async () => {
    const a = await user();
    const chatId = await createGroup(a.agent, "Alone", [(await user()).creds.username]);
    const sent = await sendPhotos(a.agent, chatId, [{ filename: "1.jpg", data: await jpeg(200, 200) }]);
    const [photo] = await photoRows(sent.body.message!.id);
    const [other] = await app.sql<{ user_id: number }>("SELECT user_id FROM chat_members WHERE chat_id = $1 AND user_id <> $2", [chatId, a.userId]);
    await removeMember(a.agent, chatId, other.user_id);
    assert.equal((await postForm(a.agent, `/chats/${chatId}/leave`, { delete_if_last: "1" }, `/chats/${chatId}/settings`)).status, 303);
    assert.equal((await app.sql("SELECT count(*)::int AS n FROM chats WHERE id = $1", [chatId]))[0].n, 0);
    assert.equal(fs.existsSync(path.join(app.mediaRoot, photo.path)), false);
    await assertMediaConsistent(app);
  });
});

describe("refused photos", () => {
  it("a file that is not an image refuses the whole message with a clear 422, and nothing is written", async () => {
    const { a, chatId } = await group(await user());
    const before = await counts();
    const res = await sendPhotos(a.agent, chatId, [
      { filename: "good.jpg", data: await jpeg(200, 200) },
      { filename: "notes.png", data: textFile, contentType: "image/png" },
    ], { text: "two" });
    assert.equal(res.status, 422);
    assert.equal(res.body.ok, false);
    assert.match(res.body.error!, /“notes\.png” is not a JPEG, PNG, WebP or GIF image/);
    assert.deepEqual(await counts(), before);
    await assertMediaConsistent(app);

    // Without JavaScript: the photo form again, with the reason, in the reader's language.
    const page = await sendPhotos(a.agent, chatId, [{ filename: "notes.png", data: textFile, contentType: "image/png" }], {}, { json: false });
    assert.equal(page.status, 422);
    assert.match(page.text, /notes\.png/);
    assert.match(page.text, /id="photo-errors"/);
  });

  it("too many files and a file over 10 MB are 413 with the limit in words; nothing is written", async () => {
    const { a, chatId } = await group(await user());
    const before = await counts();
    const small = await jpeg(50, 50);
    const many = await sendPhotos(a.agent, chatId, Array.from({ length: 11 }, (_, i) => ({ filename: `${i}.jpg`, data: small })));
    assert.equal(many.status, 413);
    assert.match(many.body.error!, /10/);
    const big = await sendPhotos(a.agent, chatId, [{ filename: "huge.jpg", data: over10MB() }]);
    assert.equal(big.status, 413);
    assert.match(big.body.error!, /huge\.jpg/);
    const none = await sendPhotos(a.agent, chatId, [], { text: "no photo" });
    assert.equal(none.status, 422);
    assert.match(none.body.error!, /Choose at least one photo/);
    assert.deepEqual(await counts(), before);
    await assertMediaConsistent(app);
  });

  it("a non-member's upload is a 404 before a byte is kept", async () => {
    const { chatId } = await group(await user());
    const outsider = await user();
    const token = await photoToken(outsider.agent, (await openDirect(outsider.agent, (await user()).userId)));
    const before = await counts();
    const res = await upload(outsider.agent, `/chats/${chatId}/photos`, token, [{ field: "photos", filename: "x.jpg", data: await jpeg(100, 100) }]);
    assert.equal(res.status, 404);
    assert.equal((await outsider.agent.get(`/chats/${chatId}/photos/new`)).status, 404);
    assert.deepEqual(await counts(), before);
    await assertMediaConsistent(app);
  });
});
