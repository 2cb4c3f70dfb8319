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
  gif, gifPolyglot, htmlPage, jpeg, jpegWithGps, jpegWithPdfComment, pdfDoc, pixelBombPng, png, pngWithHtmlChunk, svgWithScript, textFile, webp,
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

  it("keeps only the first frame of an animated GIF", async () => {
    // Two 60×40 frames stacked: red, then blue.
    const pixels = Buffer.alloc(60 * 80 * 3);
    for (let i = 0; i < 60 * 80; i++) pixels.set(i < 60 * 40 ? [255, 0, 0] : [0, 0, 255], i * 3);
    const anim = await sharp(pixels, { raw: { width: 60, height: 80, channels: 3, pageHeight: 40 } }).gif().toBuffer();
    assert.equal((await sharp(anim).metadata()).pages, 2);
    const out = await processImage(file(anim));
    assert.deepEqual([out.width, out.height], [60, 40]);
    const { dominant } = await sharp(out.web).stats();
    assert.ok(dominant.r > 200 && dominant.b < 60, `first (red) frame kept, got ${JSON.stringify(dominant)}`);
    assert.equal((await sharp(out.web).metadata()).pages ?? 1, 1);
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
