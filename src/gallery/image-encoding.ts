// What the image worker does with an upload whose first bytes passed the checks in image-pipeline.ts: scan the
// whole file for hidden markup, check its header with sharp, re-encode it. It runs in the worker process
// (image-worker.ts); it imports nothing of the app, so the worker never loads the database or the web stack.
import fs from "node:fs";
import sharp, { type Metadata, type OutputInfo, type SharpOptions } from "sharp";
import { ImageRejected, MAX_FRAMES, MAX_PIXELS, THUMB_SIZE, WEB_MAX, type Encoded, type Format } from "./image-pipeline";

// Every input option matters for untrusted files: the pixel limit is checked against the header before any
// pixel is decoded, and failOn "warning" refuses truncated or corrupt data instead of storing half a picture.
const INPUT: SharpOptions = { limitInputPixels: MAX_PIXELS, failOn: "warning", sequentialRead: true };
// metadata() only parses the header, never pixels; without the limit it can report the declared size, so the
// refusal of a pixel bomb can say what it declared.
const HEADER_ONLY: SharpOptions = { limitInputPixels: false, failOn: "warning" };

/**
 * The worker process runs one job at a time, and several workers run side by side (see the pool in
 * image-pipeline.ts), so:
 * - concurrency(1): libvips threads per pipeline; more would only fight the web process for the cores.
 * - cache(false): each input is a one-off temp file; libvips' operation cache would only hold memory and
 *   open descriptors of files we have already deleted.
 */
export function configureSharp(): void {
  sharp.concurrency(1);
  sharp.cache(false);
}

// Markup, script or a document hidden inside something that also parses as an image: a polyglot made to be
// served as HTML/PDF somewhere. Re-encoding would drop it anyway; refusing says plainly what happened.
// Compressed image data is close to random bytes, so the tags looked for over the whole file are (practically)
// never matched by chance: about one in a million 10 MB photos. (The shorter patterns only looked for in the
// first 1 KB, where browsers sniff for HTML and PDF readers look for "%PDF-", are checked in image-pipeline.ts.)
// After a "<": the word, and what must follow it (whitespace or ">" for tags that are words in ordinary text too).
const BODY_TAGS: [string, RegExp | null][] = [
  ["script", null],
  ["iframe", null],
  ["html", /[\s>]/],
  ["body", /[\s>]/],
  ["!doctype", /\s/],
  ["?php", /\s/],
];
const LONGEST = 10;

/** Case-insensitive (ASCII) comparison of the bytes at `at` with `word`, without making strings. */
function bytesMatch(buf: Buffer, at: number, word: string): boolean {
  if (at + word.length > buf.length) return false;
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    const b = buf[at + k];
    if (c >= 0x61 && c <= 0x7a ? (b | 0x20) !== c : b !== c) return false;
  }
  return true;
}

/** Is there a markup tag in buf? memchr (Buffer.indexOf) finds each "<"; a few byte compares check what follows. */
function hasMarkup(buf: Buffer): boolean {
  for (let i = buf.indexOf(0x3c); i !== -1; i = buf.indexOf(0x3c, i + 1)) {
    for (const [word, after] of BODY_TAGS) {
      if (!bytesMatch(buf, i + 1, word)) continue;
      const next = buf[i + 1 + word.length];
      if (!after || (next !== undefined && after.test(String.fromCharCode(next)))) return true;
    }
  }
  return false;
}

/** Looks for markup tags over the whole file, read in chunks (a tag split between two is still found). */
async function bodyHasMarkup(file: string): Promise<boolean> {
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) {
    const buf = tail.length ? Buffer.concat([tail, chunk as Buffer]) : (chunk as Buffer);
    if (hasMarkup(buf)) return true;
    tail = buf.subarray(Math.max(0, buf.length - LONGEST));
  }
  return false;
}

/**
 * Checks the rest of an upload whose first bytes announce `format`, and re-encodes it. Throws ImageRejected
 * (with a message for the uploader) for anything that is not a JPEG/PNG/WebP/GIF of sane dimensions.
 */
export async function encodeImage(file: string, format: Format): Promise<Encoded> {
  if (await bodyHasMarkup(file)) {
    throw new ImageRejected("gallery.rejected.markup");
  }

  let meta: Metadata;
  try {
    meta = await sharp(file, HEADER_ONLY).metadata();
  } catch {
    throw new ImageRejected("gallery.rejected.unreadable");
  }
  // The header and the decoder must agree: a file dressed up as one format and parsed as another is refused.
  if (meta.format !== format) throw new ImageRejected("gallery.rejected.not_image");
  const { width = 0, height = 0 } = meta;
  if (width * height > MAX_PIXELS || width < 1 || height < 1) {
    throw new ImageRejected("gallery.rejected.too_many_pixels", { width, height, max: MAX_PIXELS / 1_000_000 });
  }
  // An animation is decoded whole, every frame at once: a small GIF of thousands of frames is a decompression bomb
  // as surely as one huge frame, so the frames together get the same pixel budget (and a frame count of their own).
  const frames = (format === "gif" || format === "webp") && (meta.pages ?? 1) > 1 ? meta.pages! : 1;
  if (frames > MAX_FRAMES) throw new ImageRejected("gallery.rejected.too_many_frames", { frames, max: MAX_FRAMES });
  if (width * height * frames > MAX_PIXELS) {
    throw new ImageRejected("gallery.rejected.animation_too_large", { width, height, frames, max: MAX_PIXELS / 1_000_000 });
  }
  // Every frame is kept (pages: -1), so an animated GIF or WebP stays animated as an animated WebP, its
  // thumbnail too (libvips resizes each frame); a still image is read as one page as before.
  const input: SharpOptions = frames > 1 ? { ...INPUT, animated: true } : INPUT;

  let web: { data: Buffer; info: OutputInfo };
  let thumb: Buffer;
  try {
    // No keepMetadata()/withMetadata(): sharp writes none of the input's EXIF, GPS, XMP or comments.
    // autoOrient first, so the stored pixels are upright once the Orientation tag is gone.
    web = await sharp(file, input)
      .autoOrient()
      .resize({ width: WEB_MAX, height: WEB_MAX, fit: "inside", withoutEnlargement: true })
      .webp({ quality: 82 })
      .timeout({ seconds: 60 })
      .toBuffer({ resolveWithObject: true });
    // From the web-size copy: the full-size decode happens once per upload.
    thumb = await sharp(web.data, input)
      .resize(THUMB_SIZE, THUMB_SIZE, { fit: "cover", position: "centre" })
      .webp({ quality: 78 })
      .timeout({ seconds: 30 })
      .toBuffer();
  } catch (err) {
    if (/pixel limit/i.test(String((err as Error)?.message))) {
      throw new ImageRejected("gallery.rejected.too_many_pixels_decoded", { max: MAX_PIXELS / 1_000_000 });
    }
    throw new ImageRejected("gallery.rejected.unreadable");
  }
  // An animation's output is a strip of its frames: one frame's height is the picture's.
  return { web: web.data, thumb, width: web.info.width, height: web.info.pageHeight ?? web.info.height, frames };
}
