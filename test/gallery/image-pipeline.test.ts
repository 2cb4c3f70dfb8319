// The pipeline on its own: recognising formats by bytes, refusing the rest, what a stored image looks like.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import sharp from "sharp";
import { ImageRejected, processImage, sniff } from "../../src/gallery/image-pipeline";
import { translator } from "../../src/i18n";
import {
  animatedGif, gif, gifPolyglot, htmlPage, jpeg, jpegWithGps, jpegWithPdfComment, pdfDoc, pixelBombPng, png, pngWithHtmlChunk, svgWithScript, textFile, webp,
} from "./helpers";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-pipeline-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (data: Buffer) => {
  const p = path.join(dir, `f${++n}`);
  fs.writeFileSync(p, data);
  return p;
};

describe("sniff", () => {
  it("recognises the four accepted formats by their first bytes", async () => {
    assert.equal(sniff(await jpeg(10, 10)), "jpeg");
    assert.equal(sniff(await png(10, 10)), "png");
    assert.equal(sniff(await webp(10, 10)), "webp");
    assert.equal(sniff(await gif(10, 10)), "gif");
  });
  it("recognises nothing else, whatever it is called", () => {
    for (const data of [svgWithScript, htmlPage, pdfDoc, textFile, Buffer.alloc(0), Buffer.from("RIFF\0\0\0\0WAVE")]) assert.equal(sniff(data), null);
  });
});

describe("processImage", () => {
  it("re-encodes to WebP within 1600 px with a 256 px square thumbnail and no metadata", async () => {
    const out = await processImage(file(await jpegWithGps()));
    assert.deepEqual([out.width, out.height], [800, 600]);
    const web = await sharp(out.web).metadata();
    assert.deepEqual([web.format, web.width, web.height, web.exif, web.icc], ["webp", 800, 600, undefined, undefined]);
    const thumb = await sharp(out.thumb).metadata();
    assert.deepEqual([thumb.format, thumb.width, thumb.height, thumb.exif], ["webp", 256, 256, undefined]);
  });

  it("keeps an animated GIF animated: an animated WebP of every frame, and an animated thumbnail", async () => {
    const anim = await animatedGif(60, 40, 3);
    assert.equal((await sharp(anim).metadata()).pages, 3);
    const out = await processImage(file(anim));
    assert.deepEqual([out.width, out.height, out.frames], [60, 40, 3]);
    const web = await sharp(out.web).metadata();
    assert.deepEqual([web.format, web.pages, web.width, web.height], ["webp", 3, 60, 40]);
    const thumb = await sharp(out.thumb).metadata();
    assert.deepEqual([thumb.format, thumb.pages, thumb.width, thumb.height], ["webp", 3, 256, 256]);
    // The frames are still different pictures: the second is blue.
    const second = await sharp(out.web, { page: 1 }).stats();
    assert.ok(second.dominant.b > 200 && second.dominant.r < 60, `second (blue) frame kept, got ${JSON.stringify(second.dominant)}`);
  });

  it("a still GIF stays one frame", async () => {
    const out = await processImage(file(await gif(30, 20)));
    assert.equal(out.frames, 1);
    assert.equal((await sharp(out.web).metadata()).pages ?? 1, 1);
  });

  it("refuses an animation whose frames together exceed the pixel budget, or with too many frames (decompression bombs)", async () => {
    // 2000 × 2000 × 11 frames = 44 megapixels decoded, though each frame is small enough on its own.
    await assert.rejects(processImage(file(await animatedGif(2000, 2000, 11))), (err: ImageRejected) =>
      err.key === "gallery.rejected.animation_too_large" && err.params.frames === 11);
    await assert.rejects(processImage(file(await animatedGif(4, 4, 501))), (err: ImageRejected) =>
      err.key === "gallery.rejected.too_many_frames" && err.params.frames === 501);
    const en = translator("en");
    assert.match(en("gallery.rejected.animation_too_large", { name: "x.gif", width: 2000, height: 2000, frames: 11, max: 40 }), /11 frames/);
    assert.match(translator("uk")("gallery.rejected.too_many_frames", { name: "x.gif", frames: 501, max: 500 }), /забагато кадрів: 501/);
  });

  it("the polyglot test files really are valid images (so it is the content check that refuses them)", async () => {
    for (const make of [gifPolyglot, pngWithHtmlChunk, jpegWithPdfComment]) {
      const data = await make();
      const { info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
      assert.ok(info.width > 0);
    }
  });

  it("accepts a large noisy photo (compressed data does not trip the content check)", async () => {
    const out = await processImage(file(await jpeg(3000, 2000)));
    assert.deepEqual([out.width, out.height], [1600, 1067]);
  });

  // The refusal in English, as the uploader reads it.
  const english = (err: ImageRejected) => translator("en")(err.key, { ...err.params, name: "x" });
  const refusals: [string, () => Promise<Buffer> | Buffer, RegExp][] = [
    ["SVG", () => svgWithScript, /SVG/],
    ["HTML", () => htmlPage, /HTML page/],
    ["PDF", () => pdfDoc, /PDF/],
    ["text", () => textFile, /not a JPEG, PNG, WebP or GIF/],
    ["a GIF with HTML appended", gifPolyglot, /HTML, script or document data/],
    ["a PNG with an HTML text chunk", pngWithHtmlChunk, /HTML, script or document data/],
    ["a JPEG whose comment starts a PDF", jpegWithPdfComment, /HTML, script or document data/],
    ["pixel bomb", () => pixelBombPng(30000, 30000), /30000 × 30000 pixels/],
  ];
  for (const [what, make, message] of refusals) {
    it(`refuses ${what} with ImageRejected`, async () => {
      await assert.rejects(processImage(file(await make())), (err: unknown) => err instanceof ImageRejected && message.test(english(err)));
    });
  }
});
