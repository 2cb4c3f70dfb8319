import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { agent, loggedInAgent, postForm, tokenFor } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";
import {
  animatedGif, assertMediaConsistent, gif, gifPolyglot, htmlPage, hugeSolidPng, imageRows, jpeg, jpegRotated, jpegWithGps, listFiles,
  over10MB, pdfDoc, pixelBombPng, png, readMedia, svgWithScript, textFile, upload, uploadToken, webp,
} from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const avatarOf = async (userId: number) =>
  (await app.sql<{ profile_picture_id: number | null }>("SELECT profile_picture_id FROM users WHERE id = $1", [userId]))[0]
    .profile_picture_id;

/** A logged-in user with the upload form's token. */
async function uploader() {
  const u = await loggedInAgent(app);
  return { ...u, token: await uploadToken(u.agent) };
}

describe("uploading to the gallery", () => {
  it("stores a multi-upload of JPEG, PNG, WebP and GIF: re-encoded web size and thumbnail, rows, random names", async () => {
    const { agent: a, token, userId, user } = await uploader();
    const res = await upload(a, "/gallery", token, [
      { filename: "holiday.jpg", data: await jpeg(2400, 1800) },
      { filename: "diagram.png", data: await png(), contentType: "image/png" },
      { filename: "leaf.webp", data: await webp(), contentType: "image/webp" },
      { filename: "sun.gif", data: await gif(), contentType: "image/gif" },
    ]);
    assert.equal(res.status, 303, res.text.slice(0, 500));
    assert.equal(res.headers.location, "/gallery");

    const rows = await imageRows(app, userId);
    assert.deepEqual(rows.map((r) => r.original_name), ["holiday.jpg", "diagram.png", "leaf.webp", "sun.gif"]);
    for (const r of rows) {
      assert.equal(r.gallery_id, user.galleryId);
      assert.match(r.path, /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}\.webp$/, "random sharded relative path");
      assert.match(r.thumb_path, /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}\.thumb\.webp$/);
      const web = await sharp(readMedia(app, r.path)).metadata();
      assert.equal(web.format, "webp");
      assert.equal(web.width, r.width);
      assert.equal(web.height, r.height);
      assert.equal(readMedia(app, r.path).length, r.bytes);
      const thumb = await sharp(readMedia(app, r.thumb_path)).metadata();
      assert.deepEqual([thumb.format, thumb.width, thumb.height], ["webp", 256, 256]);
    }
    assert.deepEqual([rows[0].width, rows[0].height], [1600, 1200], "large photos are scaled to 1600 px");
    assert.deepEqual([rows[1].width, rows[1].height], [300, 200], "small ones are not enlarged");

    const page = await a.get("/gallery");
    assert.match(page.text, /Uploaded 4 images\./);
    for (const r of rows) assert.ok(page.text.includes(`src="/media/${r.thumb_path}"`), "thumbnail in the grid");
    await assertMediaConsistent(app);
  });

  it("keeps an animated GIF animated: the stored file and its thumbnail are animated WebP with every frame", async () => {
    const { agent: a, token, userId } = await uploader();
    const res = await upload(a, "/gallery", token, [{ filename: "wave.gif", data: await animatedGif(60, 40, 4), contentType: "image/gif" }]);
    assert.equal(res.status, 303, res.text.slice(0, 500));
    const [row] = await imageRows(app, userId);
    assert.deepEqual([row.width, row.height], [60, 40], "one frame's size, not the strip's");
    const web = await sharp(readMedia(app, row.path)).metadata();
    assert.deepEqual([web.format, web.pages, web.width, web.height], ["webp", 4, 60, 40]);
    const thumb = await sharp(readMedia(app, row.thumb_path)).metadata();
    assert.deepEqual([thumb.format, thumb.pages], ["webp", 4]);
    await assertMediaConsistent(app);
  });

  it("removes GPS and all other EXIF from the stored copy", async () => {
    const { agent: a, token, userId } = await uploader();
    const original = await jpegWithGps();
    const meta = await sharp(original).metadata();
    assert.ok(meta.exif && meta.exif.includes(Buffer.from("SpyCam")), "the test file really carries EXIF");
    assert.ok(meta.exif.readUInt16BE(0) !== undefined && original.includes(Buffer.from("secret-owner")));

    const res = await upload(a, "/gallery", token, [{ filename: "where-i-live.jpg", data: original }]);
    assert.equal(res.status, 303);
    const [row] = await imageRows(app, userId);
    for (const rel of [row.path, row.thumb_path]) {
      const stored = readMedia(app, rel);
      const m = await sharp(stored).metadata();
      assert.equal(m.exif, undefined, "no EXIF block");
      assert.equal(m.xmp, undefined, "no XMP block");
      assert.equal(m.icc, undefined, "no ICC profile");
      for (const needle of ["SpyCam", "Tracker", "secret-owner", "Exif"]) assert.ok(!stored.includes(Buffer.from(needle)), `no ${needle}`);
      // And served over HTTP exactly as stored (to its owner: gallery photos are private).
      const served = await a.get(`/media/${rel}`).buffer(true);
      assert.equal(served.status, 200);
      assert.ok(Buffer.from(served.body).equals(stored));
    }
    await assertMediaConsistent(app);
  });

  it("auto-orients: a landscape JPEG tagged 'rotate 90°' is stored upright (portrait)", async () => {
    const { agent: a, token, userId } = await uploader();
    const res = await upload(a, "/gallery", token, [{ filename: "phone.jpg", data: await jpegRotated() }]);
    assert.equal(res.status, 303);
    const [row] = await imageRows(app, userId);
    assert.deepEqual([row.width, row.height], [200, 400]);
    const m = await sharp(readMedia(app, row.path)).metadata();
    assert.deepEqual([m.width, m.height, m.orientation], [200, 400, undefined]);
  });

  const refused: [string, () => Promise<Buffer> | Buffer, string, RegExp][] = [
    ["a text file named .png", () => textFile, "photo.png", /“photo\.png” is not a JPEG, PNG, WebP or GIF image/],
    ["an SVG with a script", () => svgWithScript, "logo.svg", /“logo\.svg” is an SVG drawing/],
    ["an SVG named .jpg", () => svgWithScript, "cute-cat.jpg", /“cute-cat\.jpg” is an SVG drawing/],
    ["an HTML page named .gif", () => htmlPage, "funny.gif", /“funny\.gif” is an HTML page/],
    ["a PDF named .jpg", () => pdfDoc, "scan.jpg", /“scan\.jpg” is a PDF document/],
    ["a GIF with HTML appended (polyglot)", gifPolyglot, "poly.gif", /“poly\.gif” contains HTML, script or document data/],
    ["a PNG header on garbage", () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), textFile]), "broken.png", /“broken\.png” could not be read as an image/],
    ["a truncated JPEG", async () => (await jpeg()).subarray(0, 3000), "cut.jpg", /“cut\.jpg” could not be read as an image/],
    ["an empty file", () => Buffer.alloc(0), "empty.jpg", /“empty\.jpg” is empty/],
    ["a pixel bomb (tiny PNG declaring 20000 × 20000)", () => pixelBombPng(), "bomb.png", /“bomb\.png” is too large: 20000 × 20000 pixels \(at most 40 megapixels\)/],
    ["a real 42-megapixel PNG", hugeSolidPng, "huge.png", /“huge\.png” is too large: 7000 × 6000 pixels/],
  ];
  for (const [what, make, filename, message] of refused) {
    it(`refuses ${what} with 422 naming the file, storing nothing`, async () => {
      const { agent: a, token, userId } = await uploader();
      const res = await upload(a, "/gallery", token, [{ filename, data: await make(), contentType: "image/png" }]);
      assert.equal(res.status, 422);
      assert.match(res.text, message);
      assert.match(res.text, /Nothing was stored/);
      assert.deepEqual(await imageRows(app, userId), []);
      await assertMediaConsistent(app);
    });
  }

  it("stores the good files of a mixed upload and says plainly which one failed and why", async () => {
    const { agent: a, token, userId } = await uploader();
    const res = await upload(a, "/gallery", token, [
      { filename: "good-1.jpg", data: await jpeg() },
      { filename: "notes.png", data: textFile, contentType: "image/png" },
      { filename: "good-2.png", data: await png(), contentType: "image/png" },
    ]);
    assert.equal(res.status, 303);
    const rows = await imageRows(app, userId);
    assert.deepEqual(rows.map((r) => r.original_name), ["good-1.jpg", "good-2.png"]);
    const page = await a.get("/gallery");
    assert.match(page.text, /Uploaded 2 of 3 images\./);
    assert.match(page.text, /Not stored: “notes\.png” is not a JPEG, PNG, WebP or GIF image\./);
    await assertMediaConsistent(app);
  });

  it("says the same in Ukrainian, with Ukrainian plurals, to a reader who asks for it", async () => {
    const { agent: a, token, userId } = await uploader();
    const res = await upload(a, "/gallery", token, [
      { filename: "перша.jpg", data: await jpeg() },
      { filename: "нотатки.png", data: textFile, contentType: "image/png" },
      { filename: "друга.png", data: await png(), contentType: "image/png" },
    ]).set("Accept-Language", "uk");
    assert.equal(res.status, 303);
    assert.deepEqual((await imageRows(app, userId)).map((r) => r.original_name), ["перша.jpg", "друга.png"]);
    const page = await a.get("/gallery").set("Accept-Language", "uk");
    assert.match(page.text, /Завантажено 2 з 3 фотографій\./);
    assert.match(page.text, /Не збережено: «нотатки\.png» — не зображення JPEG, PNG, WebP або GIF\./);
    assert.match(page.text, />2 фотографії</, "the count, in the few form");
    const none = await upload(a, "/gallery", token, []).set("Accept-Language", "uk");
    assert.equal(none.status, 422);
    assert.match(none.text, /Виберіть принаймні одне зображення для завантаження\./);
    await assertMediaConsistent(app);
  });

  it("keeps the refusal's reason as a message, so a language switch before the page shows gives it in the new language", async () => {
    const { agent: a, token, userId } = await uploader();
    const res = await upload(a, "/gallery", token, [
      { filename: "good.jpg", data: await jpeg() },
      { filename: "notes.png", data: textFile, contentType: "image/png" },
    ]).set("Accept-Language", "en");
    assert.equal(res.status, 303);
    // The flash travels in the 303's signed cookie (src/http/flash.ts): its payload is the stored message.
    const flashCookie = /hromada\.flash=([^.;]+)\./.exec(String(res.headers["set-cookie"]));
    assert.ok(flashCookie, "the redirect carries the flash cookie");
    const stored = { data: Buffer.from(flashCookie[1], "base64url").toString("utf8") };
    assert.match(stored.data, /"key":"gallery\.rejected\.not_image","params":\{"name":"notes\.png"\}/, "the reason is stored as a key, not as English text");
    assert.doesNotMatch(stored.data, /is not a JPEG/);
    const switched = await a.post("/language").type("form").send({ lang: "uk", next: "/gallery", _csrf: token });
    assert.equal(switched.status, 303);
    const page = await a.get("/gallery").set("Accept-Language", "en");
    assert.match(page.text, /Завантажено 1 з 2 фотографій\./);
    assert.match(page.text, /Не збережено: «notes\.png» — не зображення JPEG, PNG, WebP або GIF\./);
    assert.doesNotMatch(page.text, /Not stored|is not a JPEG/);
    assert.deepEqual((await imageRows(app, userId)).map((r) => r.original_name), ["good.jpg"]);
  });

  it("answers 422 when every file of a multi-upload fails, listing each", async () => {
    const { agent: a, token, userId } = await uploader();
    const res = await upload(a, "/gallery", token, [
      { filename: "a.svg", data: svgWithScript },
      { filename: "b.pdf", data: pdfDoc },
    ]);
    assert.equal(res.status, 422);
    assert.match(res.text, /“a\.svg” is an SVG drawing/);
    assert.match(res.text, /“b\.pdf” is a PDF document/);
    assert.deepEqual(await imageRows(app, userId), []);
    await assertMediaConsistent(app);
  });

  it("answers 422 when no file was chosen", async () => {
    const { agent: a, token, userId } = await uploader();
    // What a browser sends for an empty file input: a part with an empty file name.
    const res = await upload(a, "/gallery", token, [{ filename: "", data: Buffer.alloc(0), contentType: "application/octet-stream" }]);
    assert.equal(res.status, 422);
    assert.match(res.text, /Choose at least one image to upload/);
    assert.deepEqual(await imageRows(app, userId), []);
    await assertMediaConsistent(app);
  });

  it("refuses a file over 10 MB with a friendly 413 page; nothing stored, temp files cleaned", async () => {
    const { agent: a, token, userId } = await uploader();
    const res = await upload(a, "/gallery", token, [
      { filename: "small.jpg", data: await jpeg() },
      { filename: "enormous.jpg", data: over10MB() },
    ]);
    assert.equal(res.status, 413);
    assert.match(res.text, /“enormous\.jpg” is larger than 10 MB/);
    // On the gallery's own form (not the error page with only "Go home"), marked invalid, ready to pick again.
    assert.match(res.text, /<div class="alert alert-danger" role="alert" id="upload-errors">[\s\S]*“enormous\.jpg” is larger than 10 MB[\s\S]*<\/div>/);
    assert.match(res.text, /<form method="post" action="\/gallery\?_csrf=[^"]+" enctype="multipart\/form-data" class="gallery-upload/);
    assert.match(res.text, /id="f-images" name="images"[^>]*aria-invalid="true"/);
    assert.deepEqual(await imageRows(app, userId), []);
    await assertMediaConsistent(app);
    // The server is fine afterwards.
    assert.equal((await a.get("/gallery")).status, 200);
  });

  it("refuses 21 files with 413; nothing stored, temp files cleaned", async () => {
    const { agent: a, token, userId } = await uploader();
    const small = await png(20, 20);
    const files = Array.from({ length: 21 }, (_, i) => ({ filename: `p${i}.png`, data: small, contentType: "image/png" }));
    const res = await upload(a, "/gallery", token, files);
    assert.equal(res.status, 413);
    assert.match(res.text, /at most 20 images at once/);
    assert.match(res.text, /id="upload-errors"[\s\S]*at most 20 images at once/, "shown on the gallery form itself");
    assert.match(res.text, /class="gallery-upload/);
    assert.deepEqual(await imageRows(app, userId), []);
    await assertMediaConsistent(app);
  });

  it("accepts exactly 20 files", async () => {
    const { agent: a, token, userId } = await uploader();
    const small = await png(20, 20);
    const files = Array.from({ length: 20 }, (_, i) => ({ filename: `p${i}.png`, data: small, contentType: "image/png" }));
    const res = await upload(a, "/gallery", token, files);
    assert.equal(res.status, 303);
    assert.equal((await imageRows(app, userId)).length, 20);
    await assertMediaConsistent(app);
  });

  it("refuses a body declaring more than any allowed upload before reading it", async () => {
    const { agent: a, token } = await uploader();
    const res = await a
      .post(`/gallery?_csrf=${token}`)
      .set("Content-Type", "multipart/form-data; boundary=x")
      .set("Content-Length", String(500 * 1024 * 1024))
      .send("--x--\r\n")
      .catch((err: { response?: { status: number } }) => err.response ?? { status: 0 });
    // Either the 413 arrives, or the client saw the connection closed after it (it declared more than it sent).
    assert.ok([413, 0].includes(res.status), `got ${res.status}`);
    await assertMediaConsistent(app);
  });

  it("keeps only a cleaned display name: no path parts, no control or bidi characters, escaped on the page", async () => {
    const { agent: a, token, userId } = await uploader();
    const data = await png(30, 30);
    const res = await upload(a, "/gallery", token, [
      { filename: "../../evil.jpg", data, contentType: "image/png" },
      { filename: "..\\..\\windows\\evil2.png", data, contentType: "image/png" },
      // Raw control bytes are not allowed in a header (see the next test); percent-encoded ones can arrive.
      { filename: "nul\x00bell\x07\x1b[31mred\u202Egnp.exe", data, contentType: "image/png", encoded: true },
      { filename: "line\r\nbreak.png", data, contentType: "image/png" },
      { filename: "<img src=x onerror=alert(1)>.png", data, contentType: "image/png" },
      { filename: "фото з відпустки.png", data, contentType: "image/png" },
      { filename: `${"x".repeat(300)}.png`, data, contentType: "image/png" },
    ]);
    assert.equal(res.status, 303);
    const names = (await imageRows(app, userId)).map((r) => r.original_name);
    assert.deepEqual(names.slice(0, 6), [
      "evil.jpg",
      "evil2.png",
      "nulbell[31mredgnp.exe",
      "line break.png",
      "<img src=x onerror=alert(1)>.png",
      "фото з відпустки.png",
    ]);
    assert.equal(Array.from(names[6]).length, 100);
    assert.match(names[6], /^x+…\.png$/);
    const page = await a.get("/gallery");
    assert.ok(!page.text.includes("<img src=x onerror"), "the name is escaped");
    assert.ok(page.text.includes("&lt;img src=x onerror=alert(1)&gt;.png"));
    await assertMediaConsistent(app);
  });

  it("answers 400 for raw control characters in a part header (malformed), storing nothing", async () => {
    const { agent: a, token, userId } = await uploader();
    const res = await upload(a, "/gallery", token, [
      { filename: "fine.jpg", data: await jpeg() },
      { filename: "bell\x07\x1b[31m.png", data: await png(), contentType: "image/png" },
    ]);
    assert.equal(res.status, 400);
    assert.match(res.text, /The upload could not be read/);
    assert.deepEqual(await imageRows(app, userId), []);
    await assertMediaConsistent(app);
  });
});

describe("CSRF and access for uploads", () => {
  it("refuses an upload without a token (403) before writing any file", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const res = await upload(a, "/gallery", null, [{ filename: "x.jpg", data: await jpeg() }]);
    assert.equal(res.status, 403);
    assert.deepEqual(await imageRows(app, userId), []);
    assert.deepEqual(listFiles(app.mediaRoot).filter((f) => f.startsWith(".tmp/")), []);
    await assertMediaConsistent(app);
  });

  it("refuses an upload carrying another session's token (403)", async () => {
    const victim = await loggedInAgent(app);
    const attacker = await uploader();
    const res = await upload(victim.agent, "/gallery", attacker.token, [{ filename: "x.jpg", data: await jpeg() }]);
    assert.equal(res.status, 403);
    assert.deepEqual(await imageRows(app, victim.userId), []);
    await assertMediaConsistent(app);
  });

  it("a token in the body of a multipart upload is not enough (it is read only after the check)", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const token = await tokenFor(a, "/gallery");
    const res = await upload(a, "/gallery", null, [{ filename: "x.jpg", data: await jpeg() }], { fields: { _csrf: token } });
    assert.equal(res.status, 403);
    assert.deepEqual(await imageRows(app, userId), []);
    await assertMediaConsistent(app);
  });

  it("sends anonymous visitors to the login page without storing anything", async () => {
    const a = agent(app);
    const token = await tokenFor(a, "/login");
    const res = await upload(a, "/gallery", token, [{ filename: "x.jpg", data: await jpeg() }]);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/login");
    assert.equal((await agent(app).get("/gallery")).status, 303);
    await assertMediaConsistent(app);
  });
});

describe("viewing, deleting and avatars", () => {
  async function withImages(n = 2) {
    const u = await uploader();
    const files = [];
    for (let i = 0; i < n; i++) files.push({ filename: `photo-${i}.jpg`, data: await jpeg(320, 240) });
    const res = await upload(u.agent, "/gallery", u.token, files);
    assert.equal(res.status, 303);
    return { ...u, images: await imageRows(app, u.userId) };
  }

  it("shows an image at full size to its owner, 404 to anyone else and for malformed ids", async () => {
    const owner = await withImages(1);
    const [img] = owner.images;
    const page = await owner.agent.get(`/gallery/${img.id}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(`src="/media/${img.path}"`));
    assert.match(page.text, /photo-0\.jpg/);

    const other = await loggedInAgent(app);
    assert.equal((await other.agent.get(`/gallery/${img.id}`)).status, 404);
    assert.equal((await other.agent.get(`/gallery/${img.id}/delete`)).status, 404);
    for (const bad of ["abc", "0", "-1", "1.5", "99999999999", "1e3", "%20"]) {
      assert.equal((await owner.agent.get(`/gallery/${bad}`)).status, 404, bad);
    }
  });

  it("sets an image as avatar: stored on the user, shown in the navbar and on the profile", async () => {
    const { agent: a, userId, images } = await withImages(2);
    const res = await postForm(a, `/gallery/${images[1].id}/avatar`, {}, "/gallery");
    assert.equal(res.status, 303);
    assert.equal(await avatarOf(userId), images[1].id);
    const profile = await a.get("/profile");
    const thumb = `src="/media/${images[1].thumb_path}"`;
    assert.equal(profile.text.split(thumb).length - 1, 2, "navbar and the profile's avatar card");
    const gallery = await a.get("/gallery");
    assert.match(gallery.text, /Your avatar/);
    // Other people see it too, through the same avatar macro.
    const other = await loggedInAgent(app);
    const [{ username }] = await app.sql<{ username: string }>("SELECT username FROM users WHERE id = $1", [userId]);
    const person = await other.agent.get(`/people/${encodeURIComponent(username)}`);
    assert.equal(person.status, 200);
    assert.ok(person.text.includes(thumb), "on their page in the people directory");
  });

  it("set-as-avatar returns to a same-site page it is given, never another site", async () => {
    const { agent: a, images } = await withImages(1);
    let res = await postForm(a, `/gallery/${images[0].id}/avatar`, { next: `/gallery/${images[0].id}` }, "/gallery");
    assert.equal(res.headers.location, `/gallery/${images[0].id}`);
    res = await postForm(a, `/gallery/${images[0].id}/avatar`, { next: "//evil.example/" }, "/gallery");
    assert.equal(res.headers.location, "/gallery");
  });

  it("refuses to set or delete another user's image (404) and changes nothing", async () => {
    const owner = await withImages(1);
    const [img] = owner.images;
    const other = await withImages(1);
    let res = await postForm(other.agent, `/gallery/${img.id}/avatar`, {}, "/gallery");
    assert.equal(res.status, 404);
    assert.equal(await avatarOf(other.userId), null);
    res = await postForm(other.agent, `/gallery/${img.id}/delete`, {}, "/gallery");
    assert.equal(res.status, 404);
    assert.equal((await imageRows(app, owner.userId)).length, 1);
    for (const bad of ["abc", "0", "99999999999"]) {
      assert.equal((await postForm(other.agent, `/gallery/${bad}/delete`, {}, "/gallery")).status, 404);
      assert.equal((await postForm(other.agent, `/gallery/${bad}/avatar`, {}, "/gallery")).status, 404);
    }
    await assertMediaConsistent(app);
  });

  it("asks for confirmation before deleting (works without JavaScript), then deletes row and files", async () => {
    const { agent: a, userId, images } = await withImages(2);
    const confirm = await a.get(`/gallery/${images[0].id}/delete`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /Delete this photo\?/);
    assert.match(confirm.text, new RegExp(`action="/gallery/${images[0].id}/delete"`));

    const res = await postForm(a, `/gallery/${images[0].id}/delete`, {}, "/gallery");
    assert.equal(res.status, 303);
    const left = await imageRows(app, userId);
    assert.deepEqual(left.map((r) => r.id), [images[1].id]);
    assert.ok(!listFiles(app.mediaRoot).includes(images[0].path), "web file removed");
    assert.ok(!listFiles(app.mediaRoot).includes(images[0].thumb_path), "thumbnail removed");
    assert.equal((await a.get(`/gallery/${images[0].id}`)).status, 404);
    assert.equal((await postForm(a, `/gallery/${images[0].id}/delete`, {}, "/gallery")).status, 404, "deleting twice is a 404");
    await assertMediaConsistent(app);
  });

  it("deleting the avatar falls back to the initials placeholder", async () => {
    const { agent: a, userId, images, creds } = await withImages(1);
    await postForm(a, `/gallery/${images[0].id}/avatar`, {}, "/gallery");
    assert.equal(await avatarOf(userId), images[0].id);
    const res = await postForm(a, `/gallery/${images[0].id}/delete`, {}, "/gallery");
    assert.equal(res.status, 303);
    assert.equal(await avatarOf(userId), null);
    const page = await a.get("/gallery");
    assert.match(page.text, /Your avatar is back to your initials/);
    assert.ok(!page.text.includes(images[0].thumb_path));
    assert.match(page.text, /avatar-placeholder/);
    assert.ok(page.text.includes(`aria-label="${creds.username}&#39;s avatar"`) || page.text.includes(`aria-label="${creds.username}'s avatar"`));
    await assertMediaConsistent(app);
  });

  it("uploads a new avatar from the profile page: stored in the gallery and set", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const token = await uploadToken(a, "/profile");
    const res = await upload(a, "/profile/avatar", token, [{ filename: "me.png", data: await png(), contentType: "image/png" }], { field: "image" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/profile");
    const [row] = await imageRows(app, userId);
    assert.equal(row.original_name, "me.png");
    assert.equal(await avatarOf(userId), row.id);
    const profile = await a.get("/profile");
    assert.match(profile.text, /Your new avatar is set/);
    assert.ok(profile.text.includes(`src="/media/${row.thumb_path}"`));
    await assertMediaConsistent(app);
  });

  it("re-renders the profile with 422 for a bad avatar upload and keeps the old avatar", async () => {
    const { agent: a, userId, images } = await withImages(1);
    await postForm(a, `/gallery/${images[0].id}/avatar`, {}, "/gallery");
    const token = await uploadToken(a, "/profile");
    const res = await upload(a, "/profile/avatar", token, [{ filename: "me.svg", data: svgWithScript, contentType: "image/svg+xml" }], { field: "image" });
    assert.equal(res.status, 422);
    assert.match(res.text, /“me\.svg” is an SVG drawing/);
    assert.match(res.text, /Your profile/);
    assert.equal(await avatarOf(userId), images[0].id);
    assert.equal((await imageRows(app, userId)).length, 1);

    const none = await upload(a, "/profile/avatar", token, [{ filename: "", data: Buffer.alloc(0) }], { field: "image" });
    assert.equal(none.status, 422);
    assert.match(none.text, /Choose an image to upload/);
    await assertMediaConsistent(app);
  });

  it("refuses two files for the single avatar field with 413", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const token = await uploadToken(a, "/profile");
    const data = await png();
    const res = await upload(a, "/profile/avatar", token, [
      { filename: "a.png", data, contentType: "image/png" },
      { filename: "b.png", data, contentType: "image/png" },
    ], { field: "image" });
    assert.equal(res.status, 413);
    assert.deepEqual(await imageRows(app, userId), []);
    await assertMediaConsistent(app);
  });

  it("refuses a file in an unexpected field with 400, storing nothing", async () => {
    const { agent: a, token, userId } = await uploader();
    const res = await upload(a, "/gallery", token, [{ filename: "x.png", data: await png(), field: "other" }]);
    assert.equal(res.status, 400);
    assert.deepEqual(await imageRows(app, userId), []);
    await assertMediaConsistent(app);
  });

  it("removes the avatar on request, keeping the photo in the gallery", async () => {
    const { agent: a, userId, images } = await withImages(1);
    await postForm(a, `/gallery/${images[0].id}/avatar`, {}, "/gallery");
    const res = await postForm(a, "/profile/avatar/remove", {}, "/profile");
    assert.equal(res.status, 303);
    assert.equal(await avatarOf(userId), null);
    assert.equal((await imageRows(app, userId)).length, 1);
  });

  it("pages a large gallery", async () => {
    const { agent: a, userId, user } = await loggedInAgent(app);
    // Rows only (files are not the point here); removed again so the media check of other tests stays true.
    await app.sql(
      `INSERT INTO images (gallery_id, owner_id, path, thumb_path, width, height, bytes, original_name)
       SELECT $1, $2, 'x' || g, 'x' || g || '.thumb', 1, 1, 1, 'n' || g FROM generate_series(1, 50) g`,
      [user.galleryId, userId],
    );
    try {
      const p1 = await a.get("/gallery");
      assert.match(p1.text, /Page 1 of 2/);
      assert.match(p1.text, /n50/);
      const p2 = await a.get("/gallery?page=2");
      assert.match(p2.text, /n1</);
      assert.ok(!p2.text.includes(">n50<"));
      assert.equal((await a.get("/gallery?page=abc")).status, 200);
      assert.match((await a.get("/gallery?page=9")).text, /no photos on this page/);
    } finally {
      await app.sql("DELETE FROM images WHERE owner_id = $1", [userId]);
    }
  });
});
