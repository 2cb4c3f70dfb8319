// Gallery test helpers: real image files made with sharp, hand-built multipart bodies (so file names can carry
// anything a hostile client could send), and a check that MEDIA_ROOT and the images table agree.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import sharp from "sharp";
import type { Agent } from "../helpers/agent";
import type { TestApp } from "../helpers/app";

const solid = (width: number, height: number, rgb: [number, number, number] = [200, 60, 40]) =>
  sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });

/** Noise makes images that do not compress to nothing, like real photos. */
const noisy = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: "#888", noise: { type: "gaussian", mean: 128, sigma: 40 } } });

export const jpeg = (w = 640, h = 480) => noisy(w, h).jpeg({ quality: 80 }).toBuffer();
export const png = (w = 300, h = 200) => solid(w, h, [20, 120, 220]).png().toBuffer();
export const webp = (w = 300, h = 300) => solid(w, h, [30, 160, 60]).webp().toBuffer();
export const gif = (w = 120, h = 90) => solid(w, h, [240, 200, 0]).gif().toBuffer();

/** An animated GIF of `frames` w×h frames, alternating red and blue (few colours: quick to encode even when large). */
export function animatedGif(w = 60, h = 40, frames = 3): Promise<Buffer> {
  const pixels = Buffer.alloc(w * h * frames * 3);
  for (let i = 0; i < w * h * frames; i++) pixels.set(Math.floor(i / (w * h)) % 2 ? [0, 0, 255] : [255, 0, 0], i * 3);
  return sharp(pixels, { raw: { width: w, height: h * frames, channels: 3, pageHeight: h } })
    .gif({ delay: 100, effort: 1, colours: 2, dither: 0 })
    .toBuffer();
}

/** A JPEG carrying a camera make and GPS coordinates in its EXIF, as phones write them. */
export const jpegWithGps = () =>
  noisy(800, 600)
    .jpeg()
    .withExif({
      IFD0: { Make: "SpyCam", Model: "Tracker 3000", Copyright: "secret-owner" },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "50/1 27/1 1234/100",
        GPSLongitudeRef: "E",
        GPSLongitude: "30/1 31/1 2345/100",
      },
    })
    .toBuffer();

/** A landscape JPEG whose EXIF says "rotate 90° clockwise to view" (as a phone held upright writes it). */
export const jpegRotated = () => noisy(400, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer();

/** A valid, tiny PNG whose header declares 20000 × 20000 pixels (400 MP): a pixel bomb. */
export async function pixelBombPng(width = 20000, height = 20000): Promise<Buffer> {
  const buf = Buffer.from(await solid(1, 1).png().toBuffer());
  assert.equal(buf.toString("latin1", 12, 16), "IHDR");
  buf.writeUInt32BE(width, 16);
  buf.writeUInt32BE(height, 20);
  buf.writeUInt32BE(zlib.crc32(buf.subarray(12, 29)), 29);
  return buf;
}

/** A real 42-megapixel image (solid colour, so the PNG is small): decoding it would need ~130 MB. */
export const hugeSolidPng = () => solid(7000, 6000, [10, 10, 10]).png({ compressionLevel: 9 }).toBuffer();

/** More than 10 MB of bytes that start like a JPEG. */
export const over10MB = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(10 * 1024 * 1024 + 10)]);

export const svgWithScript = Buffer.from(
  `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(document.cookie)</script><rect width="100" height="100"/></svg>`,
);
export const htmlPage = Buffer.from(`<!DOCTYPE html><html><body><script>fetch('/profile')</script></body></html>`);
export const pdfDoc = Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`);
export const textFile = Buffer.from("This is plain text pretending to be a PNG.\n".repeat(20));

/** A valid PNG with an HTML page in a tEXt chunk right after the header (a polyglot a browser could sniff as HTML). */
export async function pngWithHtmlChunk(): Promise<Buffer> {
  const base = await png(40, 40);
  const data = Buffer.from("Comment\0<html><body><script>alert(document.cookie)</script></body></html>", "latin1");
  const type = Buffer.from("tEXt", "latin1");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([type, data])));
  const afterIhdr = 8 + 25; // signature + IHDR chunk
  return Buffer.concat([base.subarray(0, afterIhdr), len, type, data, crc, base.subarray(afterIhdr)]);
}

/** A valid JPEG whose comment segment starts a PDF (a JPEG/PDF polyglot). */
export async function jpegWithPdfComment(): Promise<Buffer> {
  const base = await jpeg(64, 64);
  const text = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", "latin1");
  const len = Buffer.alloc(2);
  len.writeUInt16BE(text.length + 2);
  return Buffer.concat([base.subarray(0, 2), Buffer.from([0xff, 0xfe]), len, text, base.subarray(2)]);
}

/** A GIF that is a valid image and also carries an HTML payload (a polyglot). */
export const gifPolyglot = async () => Buffer.concat([await gif(), Buffer.from("<html><script>alert(1)</script></html>")]);

export interface FilePart {
  filename: string;
  /** Sent as RFC 5987 filename*=UTF-8''... (percent-encoded), which can carry any byte, control characters included. */
  encoded?: boolean;
  data: Buffer;
  contentType?: string;
  field?: string;
}

/** A multipart/form-data body built by hand; names are escaped the way browsers do (CR, LF and " only). */
export function multipart(files: FilePart[], fields: Record<string, string> = {}, defaultField = "images") {
  const boundary = `----hromada${crypto.randomBytes(8).toString("hex")}`;
  const chunks: Buffer[] = [];
  const esc = (s: string) => s.replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/"/g, "%22");
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${esc(name)}"\r\n\r\n${value}\r\n`));
  }
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${esc(f.field ?? defaultField)}"; ` +
          (f.encoded ? `filename*=UTF-8''${encodeURIComponent(f.filename)}` : `filename="${esc(f.filename)}"`) +
          `\r\n` +
          `Content-Type: ${f.contentType ?? "image/jpeg"}\r\n\r\n`,
      ),
      f.data,
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POSTs files as a browser's upload form would, with the CSRF token in the action URL. */
export function upload(a: Agent, url: string, token: string | null, files: FilePart[], opts: { field?: string; fields?: Record<string, string> } = {}) {
  const { body, contentType } = multipart(files, opts.fields, opts.field ?? "images");
  const target = token === null ? url : `${url}${url.includes("?") ? "&" : "?"}_csrf=${encodeURIComponent(token)}`;
  return a.post(target).set("Content-Type", contentType).send(body);
}

/** The CSRF token of an upload form (it is in the form's action URL). */
export async function uploadToken(a: Agent, page = "/gallery"): Promise<string> {
  const res = await a.get(page);
  assert.equal(res.status, 200, `GET ${page}`);
  const m = /\?_csrf=([^"&]+)"/.exec(res.text);
  assert.ok(m, `${page} has an upload form with the token in its action`);
  return decodeURIComponent(m[1]);
}

export function listFiles(root: string, base = root): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(root, e.name);
    return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p).split(path.sep).join("/")];
  });
}

export interface ImageRow {
  id: number;
  owner_id: number;
  gallery_id: number;
  path: string;
  thumb_path: string;
  width: number;
  height: number;
  bytes: number;
  original_name: string;
}

export const imageRows = (app: TestApp, ownerId?: number) =>
  ownerId === undefined
    ? app.sql<ImageRow>("SELECT * FROM images ORDER BY id")
    : app.sql<ImageRow>("SELECT * FROM images WHERE owner_id = $1 ORDER BY id", [ownerId]);

/**
 * MEDIA_ROOT holds exactly the files the images table points at: no orphan file, no row without its
 * files, nothing left in the upload temp dir, and nothing written next to MEDIA_ROOT.
 */
export async function assertMediaConsistent(app: TestApp): Promise<void> {
  const all = listFiles(app.mediaRoot);
  const tmp = all.filter((f) => f.startsWith(".tmp/"));
  assert.deepEqual(tmp, [], "no temp files left behind");
  const stored = all.filter((f) => !f.startsWith(".tmp/")).sort();
  const rows = await imageRows(app);
  const referenced = rows.flatMap((r) => [r.path, r.thumb_path]).sort();
  assert.deepEqual(stored, referenced, "files on disk are exactly the ones the database points at");
  const outside = fs.readdirSync(path.dirname(app.mediaRoot)).filter((n) => n !== "media" && n !== "data");
  assert.deepEqual(outside, [], "nothing written next to MEDIA_ROOT");
}

export const readMedia = (app: TestApp, rel: string) => fs.readFileSync(path.join(app.mediaRoot, rel));
