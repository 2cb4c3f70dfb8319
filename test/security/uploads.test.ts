// Promise: "uploads are made safe" — against bodies that are not well-formed. Each request below is written
// byte by byte (bad or missing boundaries, cut-off bodies, nameless and oversized fields, prototype-polluting
// field names, multipart sent where it is not expected and the reverse) and is refused with a 4xx page, never a
// 500: no image row, no file in MEDIA_ROOT or its temp dir, and the server uploads normally afterwards.
// The file contents themselves are covered by test/gallery/gallery.routes.test.ts (types disguised as images,
// SVG/HTML/PDF polyglots, files over 10 MB, 21 files, pixel bombs, traversal and control characters in names,
// EXIF/GPS removal) and test/gallery/media.test.ts (/media traversal, dotfiles, listings); animations that decode
// to far more than they weigh (a GIF screen that lies about its frames, animated WebP bombs) are below, on every
// upload route.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { assertMediaConsistent, imageRows, listFiles, png, upload, uploadToken } from "../gallery/helpers";
import { openDirect } from "../chat/helpers";
import { person, raw, tokenOf, type Person } from "./helpers";

let app: TestApp;
let u: Person;
let token: string;
let image: Buffer;
before(async () => {
  app = await startTestApp();
  u = await person(app, "uploader");
  token = await uploadToken(u.agent);
  image = await png(40, 30);
});
after(() => app.close());

const CRLF = "\r\n";
const boundary = () => `----hromada${crypto.randomBytes(6).toString("hex")}`;

/** One part: its raw header lines, then its content. */
const part = (b: string, headers: string[], content: Buffer | string) =>
  Buffer.concat([Buffer.from(`--${b}${CRLF}${headers.join(CRLF)}${CRLF}${CRLF}`), Buffer.from(content), Buffer.from(CRLF)]);
const filePart = (b: string, name = "images", filename = "x.png") =>
  part(b, [`Content-Disposition: form-data; name="${name}"; filename="${filename}"`, "Content-Type: image/png"], image);
const fieldPart = (b: string, name: string, value: string) => part(b, [`Content-Disposition: form-data; name="${name}"`], value);
const end = (b: string) => Buffer.from(`--${b}--${CRLF}`);

/** POSTs raw bytes to an upload route as this user, the token in the action URL as the form has it. */
function post(body: Buffer, contentType: string, url = "/gallery", headers: Record<string, string> = {}) {
  return raw(app, "POST", `${url}?_csrf=${encodeURIComponent(token)}`, {
    cookie: u.cookie, "content-type": contentType, "content-length": String(body.length), ...headers,
  }, body);
}

async function assertNothingStored(what: string) {
  assert.deepEqual(await imageRows(app, u.userId), [], `${what}: no image row`);
  await assertMediaConsistent(app);
}

describe("malformed multipart bodies", () => {
  const cases: [string, () => [Buffer, string], number | number[], RegExp?][] = [
    ["no boundary in the Content-Type", () => {
      const b = boundary();
      return [Buffer.concat([filePart(b), end(b)]), "multipart/form-data"];
    }, 400, /could not be read|not in the expected form/],
    // Read as a form with no parts at all: "choose an image".
    ["an empty boundary", () => {
      const b = boundary();
      return [Buffer.concat([filePart(b), end(b)]), "multipart/form-data; boundary="];
    }, [400, 422]],
    ["a boundary the body does not use", () => {
      const b = boundary();
      return [Buffer.concat([filePart(b), end(b)]), `multipart/form-data; boundary=${boundary()}`];
    }, 400],
    ["a body cut off in the middle of the file (no closing boundary)", () => {
      const b = boundary();
      const whole = filePart(b);
      return [whole.subarray(0, Math.floor(whole.length / 2)), `multipart/form-data; boundary=${b}`];
    }, 400],
    ["a body without its closing boundary", () => {
      const b = boundary();
      return [filePart(b), `multipart/form-data; boundary=${b}`];
    }, 400],
    ["an empty body", () => [Buffer.alloc(0), `multipart/form-data; boundary=${boundary()}`], 400],
    ["garbage instead of parts", () => [crypto.randomBytes(4096), `multipart/form-data; boundary=${boundary()}`], 400],
    ["a file part with an empty field name", () => {
      const b = boundary();
      return [Buffer.concat([filePart(b, ""), end(b)]), `multipart/form-data; boundary=${b}`];
    }, 400],
    ["a file part with no name at all", () => {
      const b = boundary();
      return [Buffer.concat([part(b, [`Content-Disposition: form-data; filename="x.png"`, "Content-Type: image/png"], image), end(b)]), `multipart/form-data; boundary=${b}`];
    }, 400],
    ["a text field with an empty name", () => {
      const b = boundary();
      return [Buffer.concat([fieldPart(b, "", "x"), filePart(b), end(b)]), `multipart/form-data; boundary=${b}`];
    }, 400],
    ["a file in a field the route does not take", () => {
      const b = boundary();
      return [Buffer.concat([filePart(b, "avatar"), end(b)]), `multipart/form-data; boundary=${b}`];
    }, 400],
    ["too many text fields (6; the limit is 5)", () => {
      const b = boundary();
      return [Buffer.concat([...Array.from({ length: 6 }, (_, i) => fieldPart(b, `f${i}`, "x")), filePart(b), end(b)]), `multipart/form-data; boundary=${b}`];
    }, 413, /too many or too large form fields/],
    ["a field name over 100 bytes", () => {
      const b = boundary();
      return [Buffer.concat([fieldPart(b, "n".repeat(150), "x"), filePart(b), end(b)]), `multipart/form-data; boundary=${b}`];
    }, 413],
    ["a field value over 2 KB", () => {
      const b = boundary();
      return [Buffer.concat([fieldPart(b, "next", `/${"a".repeat(5000)}`), filePart(b), end(b)]), `multipart/form-data; boundary=${b}`];
    }, 413],
    // (No file: whether or not such names are refused, what matters is that they reach no prototype.)
    ["prototype-polluting field names", () => {
      const b = boundary();
      return [Buffer.concat([fieldPart(b, "__proto__[isStaff]", "true"), fieldPart(b, "constructor[prototype][isStaff]", "true"), end(b)]), `multipart/form-data; boundary=${b}`];
    }, [400, 422]],
    ["deeply nested field names", () => {
      const b = boundary();
      return [Buffer.concat([fieldPart(b, `a${"[b]".repeat(30)}`, "x"), end(b)]), `multipart/form-data; boundary=${b}`];
    }, [400, 413, 422]],
  ];

  for (const [what, make, status, message] of cases) {
    it(`refuses ${what} with ${([] as number[]).concat(status).join(" or ")}, storing nothing`, async () => {
      const [body, contentType] = make();
      const res = await post(body, contentType);
      assert.ok(([] as number[]).concat(status).includes(res.status), `${what}: ${res.status} ${res.text.slice(0, 200)}`);
      assert.match(res.headers["content-type"] ?? "", /text\/html/, "a page, not a crash");
      if (message) assert.match(res.text, message);
      await assertNothingStored(what);
      assert.equal(({} as Record<string, unknown>).isStaff, undefined, "nothing reached Object.prototype");
    });
  }

  it("the same malformed bodies sent to the avatar routes are refused the same way", async () => {
    const b = boundary();
    for (const url of ["/profile/avatar"]) {
      const cut = filePart(b, "image");
      const res = await post(cut.subarray(0, cut.length - 10), `multipart/form-data; boundary=${b}`, url);
      assert.equal(res.status, 400, url);
      const nameless = await post(Buffer.concat([filePart(b, ""), end(b)]), `multipart/form-data; boundary=${b}`, url);
      assert.equal(nameless.status, 400, url);
    }
    await assertNothingStored("avatar routes");
  });
});

describe("the wrong kind of body", () => {
  it("multipart/mixed (not a form upload) is refused by the CSRF check: the token is read from the body there", async () => {
    const b = boundary();
    const res = await post(Buffer.concat([filePart(b), end(b)]), `multipart/mixed; boundary=${b}`);
    assert.equal(res.status, 403);
    await assertNothingStored("multipart/mixed");
  });

  it("an upload route sent a urlencoded or JSON body: no file, 422, nothing written", async () => {
    const form = await u.agent.post(`/gallery?_csrf=${encodeURIComponent(token)}`).type("form").send({ images: image.toString("base64") });
    assert.equal(form.status, 403, "a urlencoded body carries its token in the body, and it has none");
    const t = await tokenOf(u);
    const json = await u.agent.post("/gallery").set("X-CSRF-Token", t).send({ images: [{ filename: "x.png", data: image.toString("base64") }] });
    assert.equal(json.status, 422);
    assert.match(json.text, /Choose at least one image/);
    await assertNothingStored("non-multipart bodies");
  });

  it("a multipart body sent to a route that takes no upload is never parsed: nothing is stored anywhere", async () => {
    const b = boundary();
    const body = Buffer.concat([fieldPart(b, "data", "a note smuggled in multipart"), filePart(b), end(b)]);
    const res = await post(body, `multipart/form-data; boundary=${b}`, "/notes");
    assert.equal(res.status, 422, "the note form sees no text");
    assert.equal((await app.sql("SELECT 1 FROM notes WHERE user_id = $1", [u.userId])).length, 0);
    await assertNothingStored("multipart to /notes");
  });
});

/** An animation of `n` w×h frames, alternating dark and light (identical frames would be merged by the encoder). */
function alternating(w: number, h: number, n: number) {
  const px = Buffer.alloc(w * h * n * 3);
  for (let f = 0; f < n; f++) px.fill(f % 2 ? 0x20 : 0xe0, f * w * h * 3, (f + 1) * w * h * 3);
  return sharp(px, { raw: { width: w, height: h * n, channels: 3, pageHeight: h } });
}

/** A GIF whose logical screen (bytes 6-9) says something else than its frames. */
function withScreen(gifBytes: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(gifBytes);
  out.writeUInt16LE(width, 6);
  out.writeUInt16LE(height, 8);
  return out;
}

describe("decompression bombs in animations (small files that decode to far more than 40 megapixels)", () => {
  const bombs: [string, string, () => Promise<Buffer>, RegExp][] = [
    // The decoder grows the canvas to the frames, so the header check sees 5000 × 5000 × 2, not the 16 × 16 it says.
    ["a GIF whose screen says 16 × 16 around two 5000 × 5000 frames", "screen.gif",
      async () => withScreen(await alternating(5000, 5000, 2).gif({ colours: 2, effort: 1, dither: 0 }).toBuffer(), 16, 16), /2 frames|5000 × 5000/],
    ["an animated WebP of 11 frames of 2000 × 2000 (44 megapixels)", "anim.webp",
      () => alternating(2000, 2000, 11).webp({ effort: 0, quality: 10 }).toBuffer(), /11 frames/],
    ["an animated WebP of 501 frames", "frames.webp", () => alternating(4, 4, 501).webp({ effort: 0 }).toBuffer(), /501/],
  ];
  for (const [what, filename, make, message] of bombs) {
    it(`refuses ${what} with 422 on every upload route, storing nothing`, async () => {
      const data = await make();
      assert.ok(data.length < 200_000, `a small file (${data.length} bytes)`);
      // A chat of u's, for its photo form.
      const chatId = await openDirect(u.agent, (await person(app, "bombpal")).userId);
      const routes: [string, string, string][] = [
        ["/gallery", "images", "/gallery"], ["/profile/avatar", "image", "/profile"], [`/chats/${chatId}/photos`, "photos", `/chats/${chatId}/photos/new`],
      ];
      for (const [url, field, page] of routes) {
        const res = await upload(u.agent, url, await uploadToken(u.agent, page), [{ filename, data, contentType: "image/gif", field }], { field });
        assert.equal(res.status, 422, `${url}: ${res.status}`);
        assert.match(res.text, message, url);
      }
      await assertNothingStored(what);
      assert.equal((await app.sql("SELECT 1 FROM messages WHERE user_id = $1", [u.userId])).length, 0, "no message");
    });
  }

  it("a GIF whose screen claims 6000 × 6000 around 1-pixel frames is stored at its frames' size, not decoded as the screen", async () => {
    const data = withScreen(await alternating(1, 1, 2).gif({ colours: 2, dither: 0 }).toBuffer(), 6000, 6000);
    const res = await upload(u.agent, "/gallery", await uploadToken(u.agent), [{ filename: "screen.gif", data, contentType: "image/gif" }]);
    assert.ok(res.status === 303 || res.status === 422, `${res.status}`);
    for (const row of await imageRows(app, u.userId)) assert.ok(row.width <= 16 && row.height <= 16, `${row.width} × ${row.height}`);
    await app.sql("DELETE FROM images WHERE owner_id = $1", [u.userId]);
    for (const f of listFiles(app.mediaRoot).filter((f) => !f.startsWith(".tmp/"))) fs.rmSync(path.join(app.mediaRoot, f));
    await assertNothingStored("the screen-size GIF, removed");
  });
});

describe("afterwards", () => {
  it("the server is alive and a normal upload works", async () => {
    assert.deepEqual(listFiles(app.mediaRoot).filter((f) => f.startsWith(".tmp/")), []);
    const res = await upload(u.agent, "/gallery", await uploadToken(u.agent), [{ filename: "fine.png", data: image, contentType: "image/png" }]);
    assert.equal(res.status, 303);
    assert.equal((await imageRows(app, u.userId)).length, 1);
    await assertMediaConsistent(app);
  });
});
