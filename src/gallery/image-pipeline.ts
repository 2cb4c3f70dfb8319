// The image pipeline: recognise an upload by its bytes, refuse anything but a plain raster image, and
// re-encode what is accepted (auto-oriented, metadata stripped) into a web-size picture and a square thumbnail.
// The first kilobyte is checked here; reading the whole file and encoding happen in worker processes (the pool
// below, image-worker.ts, image-encoding.ts), so this module, like the web process, never loads sharp.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import type { TParams } from "../i18n";
import { ProcessPool, WorkerLost, type Owner, type PoolStats, type ProcessPoolOptions } from "./process-pool";

/** About 40 megapixels: a 10 MB file can declare far more (a "pixel bomb"); past this we refuse before decoding. */
export const MAX_PIXELS = 40_000_000;
/** Frames of an animated GIF or WebP; all of them together must also fit in MAX_PIXELS. */
export const MAX_FRAMES = 500;
export const WEB_MAX = 1600;
export const THUMB_SIZE = 256;

export type Format = "jpeg" | "png" | "webp" | "gif";

/** IMAGE_BACKLOG_PER_USER's default (the pool's until the config sets it): see config.ts. */
const DEFAULT_BACKLOG = 20;

/**
 * The upload is not an image we store. `key` (gallery.rejected.*) says why in a sentence about the file: the
 * caller adds its cleaned name as {{name}} to `params`. It crosses the worker's IPC channel as { key, params }.
 */
export class ImageRejected extends Error {
  constructor(
    readonly key: string,
    readonly params: TParams = {},
  ) {
    super(key);
  }
}

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

/** Which refusal (gallery.rejected.*) names a common thing that is not accepted, in plain words. */
function describeForeign(head: Buffer): string {
  const text = head.toString("latin1").replace(/^\uFEFF|^\xEF\xBB\xBF/, "").trimStart().toLowerCase();
  if (text.startsWith("%pdf")) return "gallery.rejected.pdf";
  if (text.includes("<svg") || (text.startsWith("<?xml") && text.includes("svg"))) return "gallery.rejected.svg";
  if (text.startsWith("<!doctype html") || text.startsWith("<html") || text.includes("<script")) return "gallery.rejected.html";
  if (startsWith(head, "ftyp", 4)) return "gallery.rejected.heic";
  if (startsWith(head, "BM") || startsWith(head, "II*\0") || startsWith(head, "MM\0*")) return "gallery.rejected.bmp";
  if (head.length === 0) return "gallery.rejected.empty";
  return "gallery.rejected.not_image";
}

// Markup, script or a document hidden inside something that also parses as an image: a polyglot made to be
// served as HTML/PDF somewhere. Re-encoding would drop it anyway; refusing says plainly what happened.
// Compressed image data is close to random bytes, so short patterns are looked for only in the first 1 KB,
// where browsers sniff for HTML and PDF readers look for "%PDF-"; the worker looks for longer ones over the
// whole file (image-encoding.ts).
const HEADER_MARKUP = /<svg|<\?php|%PDF-|<script|<html|<body|<iframe|<!doctype/i;

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
  /** 1 for a still image; an animation's frame count (the web file and thumbnail are animated WebP). */
  frames: number;
}

/** Output is WebP: smaller than JPEG at the same quality and keeps PNG/GIF transparency. */
export const OUTPUT_EXT = ".webp";

type WorkerRequest = { file: string; format: Format };
type WorkerReply = { encoded: Encoded } | { rejected: { key: string; params: TParams } } | { error: string };

// Under tsx (development, tests) this module is TypeScript, and the worker is loaded through tsx's require hook
// (resolved here, as the worker's working directory need not be the project's); compiled to dist/, both are .js.
const ext = path.extname(__filename);
const WORKER_ENTRY = path.join(__dirname, `image-worker${ext}`);
const WORKER_EXEC_ARGV = ext === ".ts" ? ["--require", require.resolve("tsx/cjs")] : [];

const POOL_DEFAULTS: Omit<ProcessPoolOptions, "warn"> = {
  entry: WORKER_ENTRY,
  execArgv: WORKER_EXEC_ARGV,
  // Image jobs at once across all requests. A 40-megapixel decode holds a few hundred MB, which bounds how many
  // may run together; and one core stays for the event loop (the workers' lower priority gives it the core
  // first, but two encodes on a two-core box would still leave the database and bcrypt nothing).
  size: Math.max(1, Math.min(2, os.availableParallelism() - 1)),
  // Uploads come in bursts (several files in one form, a few forms in a row): a worker kept for 30 s serves a
  // burst without paying its start (about a quarter of a second of CPU, mostly loading libvips) per file, and
  // its memory goes back soon after.
  idleMs: 30_000,
  // glibc's malloc fragments in a long-lived multi-threaded process (sharp's docs warn of it): RSS creeps up
  // with every large decode. A fresh process every 100 jobs returns all of it, for one start per 100 uploads.
  maxJobs: 100,
  // A backstop behind sharp's own timeouts (60 s + 30 s for the two pipelines): a decoder stuck in native
  // code, or a scan that never ends, would hold its slot forever.
  timeoutMs: 90_000,
  // One person's images one at a time, by default (IMAGE_JOBS_PER_USER, set from the config at start-up; see
  // ProcessPool.dispatch and configureImageLimits).
  perOwner: 1,
  // Nice 10 against the web process's 0: when both want the same core the event loop gets about 90% of it (the
  // kernel weighs them 1024 to 110), yet encoding runs at full speed whenever the core is otherwise free.
  niceness: 10,
};

let logger: Pick<Logger, "warn"> | undefined;
/** Where the pool reports a worker lost during a job, or a priority it could not lower. */
export function setImagePipelineLogger(l: Pick<Logger, "warn">): void {
  logger = l;
}

/** What the uploader is told when the worker died under their image (it may well be the image's fault). */
const LOST_MESSAGES: Record<WorkerLost["reason"], string> = {
  crashed: "gallery.rejected.crashed",
  timeout: "gallery.rejected.timeout",
  closed: "gallery.rejected.closed",
};

/** How many images of one person may be processed at once, and how many may wait (see ImagePool.admit). */
export interface ImageLimits {
  /** Running at once (IMAGE_JOBS_PER_USER). */
  perUser: number;
  /** Admitted and not yet done, running or waiting (IMAGE_BACKLOG_PER_USER). */
  backlogPerUser: number;
}

/** Places in the image queue for one upload's files, taken by admit(): each file processed through it gives its place back. */
export interface Admission {
  /** processImage for one of the admitted files, as the admitted user's job. */
  process(file: string): Promise<Encoded>;
  /** Gives back the places not used yet (files refused before processing, or never sent); safe to call twice. */
  release(): void;
}

export interface ImagePool {
  /** See processImage. */
  process(file: string, owner?: Owner): Promise<Encoded>;
  /**
   * Admits `count` images of `userId` for processing, or answers null when that person already has images
   * admitted and these would take them past backlogPerUser. All of an upload's images or none: a refusal leaves
   * nothing half-stored. One upload is always admitted when the person has nothing in progress, so a
   * backlog smaller than the form's file limit does not refuse every full form.
   */
  admit(userId: number, count: number): Admission | null;
  /** Images of this person admitted and not yet done. */
  backlogOf(userId: number): number;
  setLimits(limits: ImageLimits): void;
  stats(): PoolStats<WorkerRequest>;
  /** Ends the worker processes (a later job starts new ones). */
  close(): Promise<void>;
}

/** A pool of image worker processes; options override POOL_DEFAULTS (tests use small limits). */
export function createImagePool(options: Partial<ProcessPoolOptions> = {}, limits?: Partial<ImageLimits>): ImagePool {
  const pool = new ProcessPool<WorkerRequest, WorkerReply>({
    ...POOL_DEFAULTS,
    warn: (detail, message) => logger?.warn(detail, message),
    ...options,
  });
  let backlogPerUser = limits?.backlogPerUser ?? DEFAULT_BACKLOG;
  if (limits?.perUser) pool.setPerOwner(limits.perUser);
  /** Per user: images admitted and not yet done (in this process; see README, "Image processing"). */
  const backlog = new Map<number, number>();
  const giveBack = (userId: number, n: number) => {
    const left = (backlog.get(userId) ?? 0) - n;
    if (left > 0) backlog.set(userId, left);
    else backlog.delete(userId);
  };

  const self: ImagePool = {
    async process(file, owner) {
      // The first kilobyte says what most refusals need to: those are answered at once, without a worker.
      const head = await readHead(file);
      const format = sniff(head);
      if (!format) throw new ImageRejected(describeForeign(head));
      if (HEADER_MARKUP.test(head.toString("latin1"))) {
        throw new ImageRejected("gallery.rejected.markup");
      }
      let reply: WorkerReply;
      try {
        reply = await pool.run({ file, format }, owner);
      } catch (err) {
        // A per-file refusal, not an error: the other files of the same upload are still stored.
        if (err instanceof WorkerLost) throw new ImageRejected(LOST_MESSAGES[err.reason]);
        throw err;
      }
      if ("rejected" in reply) throw new ImageRejected(reply.rejected.key, reply.rejected.params);
      if ("error" in reply) throw new Error(`image worker: ${reply.error}`);
      return reply.encoded;
    },
    admit(userId, count) {
      const now = backlog.get(userId) ?? 0;
      // Nothing to process (a message of gallery copies only) is never refused, even past the backlog (which
      // one large upload may be).
      if (count > 0 && now > 0 && now + count > backlogPerUser) return null;
      if (count > 0) backlog.set(userId, now + count);
      let unclaimed = count;
      return {
        async process(file) {
          if (unclaimed <= 0) throw new Error("more files processed than were admitted");
          unclaimed--;
          try {
            return await self.process(file, userId);
          } finally {
            giveBack(userId, 1);
          }
        },
        release() {
          if (unclaimed > 0) giveBack(userId, unclaimed);
          unclaimed = 0;
        },
      };
    },
    backlogOf: (userId) => backlog.get(userId) ?? 0,
    setLimits(l) {
      backlogPerUser = l.backlogPerUser;
      pool.setPerOwner(l.perUser);
    },
    stats: () => pool.stats(),
    close: () => pool.close(),
  };
  return self;
}

const shared = createImagePool();

/**
 * Sets the shared pool's per-person limits (from the config, when the app is built). One pool per process: an
 * app built later (tests build several) sets them for all.
 */
export function configureImageLimits(limits: ImageLimits): void {
  shared.setLimits(limits);
}

/** Admits one upload's images of a user to the shared pool, or null (see ImagePool.admit). */
export function admitImages(userId: number, count: number): Admission | null {
  return shared.admit(userId, count);
}

/** Images of a user admitted to the shared pool and not yet done. */
export function imageBacklogOf(userId: number): number {
  return shared.backlogOf(userId);
}

/**
 * Checks an uploaded file and re-encodes it, in a worker process of lower priority (at most POOL_DEFAULTS.size
 * at once; further jobs wait). Throws ImageRejected (with a message for the uploader) for anything that is not
 * a JPEG/PNG/WebP/GIF of sane dimensions, or whose worker died or ran out of time; other errors are ours.
 */
export function processImage(file: string): Promise<Encoded> {
  return shared.process(file);
}

/** The shared pool's worker processes (pids, jobs done, busy), for tests and diagnostics. */
export function imageWorkerStats(): PoolStats<WorkerRequest> {
  return shared.stats();
}

/** Ends the shared pool's workers: the last step of a graceful shutdown, once no request is in flight. */
export function closeImageWorkers(): Promise<void> {
  return shared.close();
}
