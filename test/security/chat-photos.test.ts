// Promise: "only you see your data", for photos sent in chats (#18). A chat photo's page, web file and thumbnail
// answer the chat's current members and nobody else: every kind of outsider gets the same 404 as for a name that
// does not exist, however the URL was come by (copied before a removal, guessed from the other file's name, put
// under another chat's id, used with the gallery's routes). A message can carry copies of the sender's own gallery
// photos only: another account's photo, an avatar's original or another chat's photo, named by id in the form or
// over the socket, is refused and nothing is written. What is refused for gallery uploads (polyglots, bombs,
// oversized files) is refused here too, with no message stored.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { describe, it } from "node:test";
import type { TestApp } from "../helpers/app";
import { agent, postForm, type Agent } from "../helpers/agent";
import { ask, connect, cookieOf, createGroup, openDirect } from "../chat/helpers";
import {
  gifPolyglot, htmlPage, jpegWithPdfComment, pdfDoc, pixelBombPng, png, pngWithHtmlChunk, svgWithScript, textFile, upload, uploadToken,
} from "../gallery/helpers";
import { formPost, person, raw, unchanged, uploadImage, useWorld, type Person, type World } from "./helpers";

let app: TestApp;
let w: World;
useWorld((a, world) => {
  app = a;
  w = world;
});

interface Photo {
  id: number;
  path: string;
  thumb: string;
}

const photoOf = async (id: number): Promise<Photo> =>
  (await app.sql<Photo>("SELECT id, path, thumb_path AS thumb FROM images WHERE id = $1", [id]))[0];

/** Page, web file and thumbnail of a chat photo, as `who` (null: no session) sees them: their statuses. */
async function access(chatId: number, photo: Photo, who: Agent | null): Promise<number[]> {
  const headers: Record<string, string> = who ? { cookie: cookieOf(who) } : {};
  return Promise.all([
    raw(app, "GET", `/chats/${chatId}/photos/${photo.id}`, headers),
    raw(app, "GET", `/media/${photo.path}`, headers),
    raw(app, "GET", `/media/${photo.thumb}`, headers),
  ].map(async (r) => (await r).status));
}

/** A group of `owner` with `members`, and one photo `owner` sent in it. */
async function groupWithPhoto(owner: Person, members: Person[]): Promise<{ chatId: number; photo: Photo }> {
  const chatId = await createGroup(owner.agent, `photos ${crypto.randomBytes(3).toString("hex")}`, members.map((m) => m.username));
  const id = await uploadImage(app, owner, "p.png", `/chats/${chatId}/photos`, "photos", `/chats/${chatId}/photos/new`);
  return { chatId, photo: await photoOf(id) };
}

describe("who gets a chat photo", () => {
  it("members get page, file and thumbnail; a non-member, a visitor and a forged session get 404 for the files", async () => {
    const photo = await photoOf(w.owned.chatPhotoId);
    const chatId = w.owned.groupId;
    for (const member of [w.a, w.c]) assert.deepEqual(await access(chatId, photo, member.agent), [200, 200, 200]);
    assert.deepEqual(await access(chatId, photo, w.b.agent), [404, 404, 404], "a logged-in non-member");
    const [page, ...files] = await access(chatId, photo, null);
    assert.equal(page, 303, "a visitor is sent to log in, as from every chat page");
    assert.deepEqual(files, [404, 404]);
    const forged = `${w.c.cookie.replace(/\.[^.]+$/, "")}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
    for (const rel of [photo.path, photo.thumb]) assert.equal((await raw(app, "GET", `/media/${rel}`, { cookie: forged })).status, 404);
  });

  it("a member who leaves, is removed, or has the message deleted under them gets 404 for URLs they had opened", async () => {
    const [owner, leaver, removed, stays] = await Promise.all(["cpo", "cpl", "cpr", "cps"].map((p) => person(app, p)));
    const { chatId, photo } = await groupWithPhoto(owner, [leaver, removed, stays]);
    for (const m of [leaver, removed, stays]) assert.deepEqual(await access(chatId, photo, m.agent), [200, 200, 200]);
    assert.equal((await formPost(leaver, `/chats/${chatId}/leave`, {})).status, 303);
    assert.equal((await formPost(owner, `/chats/${chatId}/members/${removed.userId}/remove`, {})).status, 303);
    assert.deepEqual(await access(chatId, photo, leaver.agent), [404, 404, 404], "left");
    assert.deepEqual(await access(chatId, photo, removed.agent), [404, 404, 404], "removed");
    assert.deepEqual(await access(chatId, photo, stays.agent), [200, 200, 200]);
    const [{ messageId }] = await app.sql<{ messageId: number }>("SELECT message_id AS \"messageId\" FROM images WHERE id = $1", [photo.id]);
    assert.equal((await formPost(owner, `/chats/${chatId}/messages/${messageId}/delete`, {})).status, 303);
    for (const m of [owner, stays]) assert.deepEqual(await access(chatId, photo, m.agent), [404, 404, 404], "the message deleted");
  });

  it("a deactivated member, and a member whose session ended, get 404 for the files", async () => {
    const [owner, member, ended] = await Promise.all(["cpd", "cpd", "cpe"].map((p) => person(app, p)));
    const { chatId, photo } = await groupWithPhoto(owner, [member, ended]);
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [member.userId]);
    assert.deepEqual((await access(chatId, photo, member.agent)).slice(1), [404, 404], "deactivated");
    assert.equal((await formPost(ended, "/logout", {})).status, 303);
    assert.deepEqual((await access(chatId, photo, ended.agent)).slice(1), [404, 404], "logged out (the old cookie)");
  });

  it("the URL cannot be bent: another chat's id, the other file's name, the gallery's routes, another shard", async () => {
    const photo = await photoOf(w.owned.chatPhotoId);
    // b's own direct chat, with a's photo id: the photo is not in that chat.
    assert.equal((await w.b.agent.get(`/chats/${w.bOwned.directId}/photos/${photo.id}`)).status, 404);
    // c is in a's group and in a direct chat with a: the photo is only the group's.
    assert.equal((await w.c.agent.get(`/chats/${w.owned.directId}/photos/${photo.id}`)).status, 404);
    // The thumbnail's name says nothing of the web file's, and the names are not interchangeable.
    const hex = (rel: string) => /([0-9a-f]{32})/.exec(rel)![1];
    assert.notEqual(hex(photo.path), hex(photo.thumb));
    for (const guess of [photo.path.replace(".webp", ".thumb.webp"), photo.thumb.replace(".thumb.webp", ".webp"), `${photo.path.slice(3, 5)}/${photo.path.slice(0, 2)}/${photo.path.slice(6)}`]) {
      assert.equal((await raw(app, "GET", `/media/${guess}`, { cookie: w.c.cookie })).status, 404, guess);
    }
    // A chat photo is in no gallery: the gallery's pages and actions do not find it, not even for its sender.
    await unchanged(app, "the gallery's routes aimed at a chat photo", async () => {
      for (const url of [`/gallery/${photo.id}`, `/gallery/${photo.id}/delete`]) assert.equal((await w.a.agent.get(url)).status, 404, url);
      for (const url of [`/gallery/${photo.id}/avatar`, `/gallery/${photo.id}/caption`, `/gallery/${photo.id}/delete`]) {
        assert.equal((await formPost(w.a, url, { caption: "x" })).status, 404, url);
      }
      const bulk = await formPost(w.a, "/gallery/bulk-delete", { ids: String(photo.id), confirm: "yes" });
      assert.ok([303, 404, 422].includes(bulk.status), `bulk delete: ${bulk.status}`);
    });
  });
});

describe("copies from a gallery: one's own only", () => {
  it("another account's gallery photo, an avatar's original, another chat's photo: refused with 404 over the form and the socket, nothing written", async () => {
    const photo = await photoOf(w.owned.chatPhotoId);
    const bDirectWithStaff = w.bOwned.directId;
    const socket = await connect(app, w.b.agent);
    try {
      assert.deepEqual(await ask(socket, "chat:join", { chatId: bDirectWithStaff }), { ok: true });
      await unchanged(app, "sending others' photos", async () => {
        // w.owned.imageId is a's gallery photo and a's avatar: its original is a's alone.
        for (const id of [w.owned.imageId, w.owned.chatPictureId, photo.id, 2147483647]) {
          const form = await formPost(w.b, `/chats/${bDirectWithStaff}/photos`, { from_gallery: String(id), text: "look" });
          assert.equal(form.status, 404, `form, image ${id}: ${form.status}`);
          const ack = await ask(socket, "chat:message", { chatId: bDirectWithStaff, text: "look", clientId: crypto.randomUUID(), photoIds: [id] });
          assert.equal(ack.ok, false, `socket, image ${id}`);
        }
        // One's own photo with someone else's in the same message: the whole message is refused.
        const mixed = await formPost(w.b, `/chats/${bDirectWithStaff}/photos`, { from_gallery: [String(w.bOwned.imageId), String(w.owned.imageId)] });
        assert.equal(mixed.status, 404);
      });
    } finally {
      socket.disconnect();
    }
  });

  it("a member's copy of their own gallery photo is a new file: deleting the gallery photo leaves the chat's, and the chat's is not in the gallery", async () => {
    const [owner, member] = await Promise.all([person(app, "cpc"), person(app, "cpc")]);
    const galleryId = await uploadImage(app, owner, "mine.png");
    const chatId = await openDirect(owner.agent, member.userId);
    const res = await formPost(owner, `/chats/${chatId}/photos`, { from_gallery: String(galleryId) });
    assert.equal(res.status, 303);
    const [copy] = await app.sql<Photo & { gallery: number | null }>(
      "SELECT id, path, thumb_path AS thumb, gallery_id AS gallery FROM images WHERE owner_id = $1 AND message_id IS NOT NULL", [owner.userId]);
    const original = await photoOf(galleryId);
    assert.equal(copy.gallery, null);
    assert.notEqual(copy.path, original.path);
    assert.deepEqual(await access(chatId, copy, member.agent), [200, 200, 200]);
    assert.equal((await raw(app, "GET", `/media/${original.path}`, { cookie: member.cookie })).status, 404, "the gallery original stays private");
    assert.equal((await formPost(owner, `/gallery/${galleryId}/delete`, {})).status, 303);
    assert.deepEqual(await access(chatId, copy, member.agent), [200, 200, 200]);
  });
});

describe("refused uploads store no message", () => {
  const refused: [string, () => Promise<Buffer>, string, number][] = [
    ["an HTML page named .png", async () => htmlPage, "x.png", 422],
    ["an SVG with a script", async () => svgWithScript, "x.svg", 422],
    ["a PDF", async () => pdfDoc, "x.jpg", 422],
    ["text", async () => textFile, "x.png", 422],
    ["a GIF with an HTML page after it", gifPolyglot, "x.gif", 422],
    ["a PNG with HTML in a chunk", pngWithHtmlChunk, "x.png", 422],
    ["a JPEG with a PDF in a comment", jpegWithPdfComment, "x.jpg", 422],
    ["a pixel bomb (20000 × 20000 declared)", () => pixelBombPng(), "bomb.png", 422],
  ];
  for (const [what, make, filename, status] of refused) {
    it(`${what}: ${status}, alone or beside a good photo, and nothing written`, async () => {
      const chatId = w.owned.groupId;
      const data = await make();
      await unchanged(app, what, async () => {
        for (const files of [[{ filename, data }], [{ filename: "fine.png", data: await png(30, 30) }, { filename, data }]]) {
          const res = await upload(w.c.agent, `/chats/${chatId}/photos`, await uploadToken(w.c.agent, `/chats/${chatId}/photos/new`),
            files.map((f) => ({ ...f, contentType: "image/png", field: "photos" })), { field: "photos" });
          assert.equal(res.status, status, `${files.length} file(s): ${res.status}`);
        }
      });
    });
  }

  it("an outsider's upload is a 404 before anything is kept, whatever it is", async () => {
    await unchanged(app, "an outsider's photo", async () => {
      const res = await upload(w.b.agent, `/chats/${w.owned.groupId}/photos`, await uploadToken(w.b.agent, "/gallery"),
        [{ filename: "p.png", data: await png(20, 20), contentType: "image/png", field: "photos" }], { field: "photos" });
      assert.equal(res.status, 404);
      const anon = agent(app);
      const visitor = await postForm(anon, `/chats/${w.owned.groupId}/photos`, {}, "/login");
      assert.ok([303, 403].includes(visitor.status), `a visitor: ${visitor.status}`);
    });
  });
});
