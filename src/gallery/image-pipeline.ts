// The image pipeline: recognise an upload by its bytes, refuse anything but a plain raster image, and
// re-encode what is accepted (auto-oriented, metadata stripped) into a web-size picture and a square thumbnail.
import fs from "node:fs";
import os from "node:os";
import sharp, { type Metadata, type OutputInfo, type SharpOptions } from "sharp";

export const ACCEPTED = "JPEG, PNG, WebP or GIF";
/** About 40 megapixels: a 10 MB file can declare far more (a "pixel bomb"); past this we refuse before decoding. */
export const MAX_PIXELS = 40_000_000;
export const WEB_MAX = 1600;
export const THUMB_SIZE = 256;

type Format = "jpeg" | "png" | "webp" | "gif";

/** The upload is not an image we store; the message completes "“name” ...". */
export class ImageRejected extends Error {}

// Every input option matters for untrusted files: the pixel limit is checked against the header before any
// pixel is decoded, and failOn "warning" refuses truncated or corrupt data instead of storing half a picture.
const INPUT: SharpOptions = { limitInputPixels: MAX_PIXELS, failOn: "warning", sequentialRead: true };
// metadata() only parses the header, never pixels; without the limit it can report the declared size, so the
// refusal of a pixel bomb can say what it declared.
const HEADER_ONLY: SharpOptions = { limitInputPixels: false, failOn: "warning" };

let configured = false;
/**
 * sharp runs every pipeline on a libuv pool thread, so the event loop never waits for pixels. Two settings
 * keep uploads from starving everything else:
 * - concurrency(1): libvips threads per pipeline. Parallelism comes from running several pipelines (see
 *   `slots` below), and extra threads per image on a 2-4 core box would only fight the event loop for CPU.
 * - cache(false): each input is a one-off temp file; libvips' operation cache would only hold memory and
 *   open descriptors of files we have already deleted.
 */
export function configureSharp(): void {
  if (configured) return;
  configured = true;
  sharp.concurrency(1);
  sharp.cache(false);
}

/** A tiny semaphore: at most `max` image jobs at once across all requests. */
function limiter(max: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve)); // the finishing job hands its slot over
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

// One core stays for the event loop; and the libuv pool (4 threads by default) always keeps two threads
// free for static files, session-store I/O and bcrypt however many people upload at once.
const slots = limiter(Math.max(1, Math.min(2, os.availableParallelism() - 1)));

const startsWith = (head: Buffer, sig: string | number[], at = 0) => {
  const bytes = typeof sig === "string" ? Buffer.from(sig, "latin1") : Buffer.from(sig);
  return head.length >= at + bytes.length && head.subarray(at, at + bytes.length).equals(bytes);
};

/** The format the first bytes announce, if it is one we accept. */
export function sniff(head: Buffer): Format | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(head, "GIF87a") || startsWith(head, "GIF89a")) return "gif";
  if (startsWith(head, "RIFF") && startsWith(head, "WEBP", 8)) return "webp";
  return null;
}

/** A plain-words description of common things that are not accepted, for the refusal message. */
function describeForeign(head: Buffer): string {
  const text = head.toString("latin1").replace(/^\uFEFF|^\xEF\xBB\xBF/, "").trimStart().toLowerCase();
  if (text.startsWith("%pdf")) return "is a PDF document";
  if (text.includes("<svg") || (text.startsWith("<?xml") && text.includes("svg"))) return "is an SVG drawing";
  if (text.startsWith("<!doctype html") || text.startsWith("<html") || text.includes("<script")) return "is an HTML page";
  if (startsWith(head, "ftyp", 4)) return "is a HEIC/AVIF/MP4 file (save it as JPEG first)";
  if (startsWith(head, "BM") || startsWith(head, "II*\0") || startsWith(head, "MM\0*")) return "is a BMP or TIFF image (save it as JPEG or PNG first)";
  if (head.length === 0) return "is empty";
  return `is not a ${ACCEPTED} image`;
}

// Markup, script or a document hidden inside something that also parses as an image: a polyglot made to be
// served as HTML/PDF somewhere. Re-encoding would drop it anyway; refusing says plainly what happened.
// Compressed image data is close to random bytes, so the patterns are chosen to (practically) never match by
// chance: short ones only in the first 1 KB, where browsers sniff for HTML and PDF readers look for "%PDF-";
// over the whole file only ones long enough that a chance match is about one in a million 10 MB photos.
const HEADER_MARKUP = /<svg|<\?php|%PDF-|<script|<html|<body|<iframe|<!doctype/i;
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

/**
 * Looks for embedded markup: short patterns in the first 1 KB, tags over the whole file. Read in chunks
 * (the event loop gets a turn between them); a 2 MB photo costs about a millisecond of main-thread time.
 */
async function containsForeignContent(file: string, head: Buffer): Promise<boolean> {
  if (HEADER_MARKUP.test(head.subarray(0, 1024).toString("latin1"))) return true;
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) {
    const buf = tail.length ? Buffer.concat([tail, chunk as Buffer]) : (chunk as Buffer);
    if (hasMarkup(buf)) return true;
    tail = buf.subarray(Math.max(0, buf.length - LONGEST));
  }
  return false;
}

async function readHead(file: string, n = 1024): Promise<Buffer> {
  const fh = await fs.promises.open(file, "r");
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export interface Encoded {
  web: Buffer;
  thumb: Buffer;
  width: number;
  height: number;
}

/** Output is WebP: smaller than JPEG at the same quality and keeps PNG/GIF transparency. */
export const OUTPUT_EXT = ".webp";

/**
 * Checks an uploaded file and re-encodes it. Throws ImageRejected (with a message for the uploader) for
 * anything that is not a JPEG/PNG/WebP/GIF of sane dimensions; other errors are ours.
 */
export function processImage(file: string): Promise<Encoded> {
  return slots(async () => {
    const head = await readHead(file);
    const format = sniff(head);
    if (!format) throw new ImageRejected(describeForeign(head));
    if (await containsForeignContent(file, head)) {
      throw new ImageRejected("contains HTML, script or document data besides the image, so it was refused");
    }

    let meta: Metadata;
    try {
      meta = await sharp(file, HEADER_ONLY).metadata();
    } catch {
      throw new ImageRejected("could not be read as an image (it may be damaged or incomplete)");
    }
    // The header and the decoder must agree: a file dressed up as one format and parsed as another is refused.
    if (meta.format !== format) throw new ImageRejected(`is not a ${ACCEPTED} image`);
    const { width = 0, height = 0 } = meta;
    if (width * height > MAX_PIXELS || width < 1 || height < 1) {
      throw new ImageRejected(
        `is too large: ${width} × ${height} pixels (at most ${MAX_PIXELS / 1_000_000} megapixels)`,
      );
    }

    let web: { data: Buffer; info: OutputInfo };
    let thumb: Buffer;
    try {
      // No keepMetadata()/withMetadata(): sharp writes none of the input's EXIF, GPS, XMP or comments.
      // autoOrient first, so the stored pixels are upright once the Orientation tag is gone.
      web = await sharp(file, INPUT)
        .autoOrient()
        .resize({ width: WEB_MAX, height: WEB_MAX, fit: "inside", withoutEnlargement: true })
        .webp({ quality: 82 })
        .timeout({ seconds: 60 })
        .toBuffer({ resolveWithObject: true });
      // From the web-size copy: the full-size decode happens once per upload.
      thumb = await sharp(web.data, INPUT)
        .resize(THUMB_SIZE, THUMB_SIZE, { fit: "cover", position: "centre" })
        .webp({ quality: 78 })
        .timeout({ seconds: 30 })
        .toBuffer();
    } catch (err) {
      if (/pixel limit/i.test(String((err as Error)?.message))) {
        throw new ImageRejected(`is too large (more than ${MAX_PIXELS / 1_000_000} megapixels)`);
      }
      throw new ImageRejected("could not be read as an image (it may be damaged or incomplete)");
    }
    return { web: web.data, thumb, width: web.info.width, height: web.info.height };
  });
}
