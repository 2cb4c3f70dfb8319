// Gallery images: storing uploads (validate, re-encode, move into MEDIA_ROOT, then commit), avatars, deletion.
// Files and rows never disagree: files are placed before the transaction and removed again if it does not
// commit; on deletion the rows go first and the files after the commit.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { DataSource, EntityManager } from "typeorm";
import type { AppDeps } from "../deps";
import { HttpError, notFound } from "../http/errors";
import type { Message } from "../i18n";
import { cleanFileName, uploadTempDir } from "../http/upload";
import { Image } from "./image.entity";
import { admitImages, configureImageLimits, imageBacklogOf, ImageRejected, OUTPUT_EXT, setImagePipelineLogger, type Admission } from "./image-pipeline";
import { mediaPath, removeMediaFiles } from "./media-files";

/** What the upload middleware hands over: a temp file and the name the client gave it. */
export interface UploadFile {
  path: string;
  originalname: string;
}

/** A refused file's error is a message (gallery.rejected.*, naming the file) for the route to translate. */
export type UploadOutcome =
  | { name: string; ok: true; image: Image }
  | { name: string; ok: false; error: Message };

/** Who stores: the uploader's id and the gallery the images go into. */
export interface Uploader {
  id: number;
  galleryId: number;
}

/**
 * Runs in the upload's transaction with the last stored image, e.g. to make it a profile or group picture: its
 * owner (auth, chat) says how. Throwing rolls the upload back, files included.
 */
export type AfterStore = (em: EntityManager, picture: Image) => Promise<void>;

interface Prepared {
  name: string;
  web: string;
  thumb: string;
  tmpWeb: string;
  tmpThumb: string;
  width: number;
  height: number;
  bytes: number;
}

type Refused = { name: string; error: Message };

/**
 * Photos checked, re-encoded (or copied from the gallery) into scratch files, not yet stored: commitPhotos
 * stores them with the row that owns them, discardPhotos drops them.
 */
export interface StagedPhotos {
  ownerId: number;
  prepared: Prepared[];
  scratch: string[];
}

/** Refused photos (each message names its file): nothing of the upload was stored. 422; `errors` has every one. */
export class PhotosRefused extends HttpError {
  constructor(readonly errors: Message[]) {
    super(422, errors[0].key, errors[0].params);
  }
}

/**
 * The uploader already has so many images waiting to be processed that these would take them past
 * IMAGE_BACKLOG_PER_USER: 429, nothing of this upload kept (its temp files removed), and the message says to send
 * them again once the earlier ones are done. `count` is how many of theirs are still in progress.
 */
export class UploadsBusy extends HttpError {
  constructor(count: number) {
    super(429, "errors.upload.busy", { count });
  }
}

/**
 * Places in the image queue for `count` uploads of `userId`, or UploadsBusy. Taken before any file is processed,
 * for all of an upload's files at once: an upload is stored whole or refused whole, never cut off halfway
 * through for being over the limit.
 */
function admit(userId: number, count: number): Admission {
  const admission = admitImages(userId, count);
  if (!admission) throw new UploadsBusy(imageBacklogOf(userId));
  return admission;
}

/** The store callback found the row already there (a retried client id): the transaction is rolled back. */
class AlreadyStored extends Error {}

/** The temp dir's journals of files placed in MEDIA_ROOT before their rows commit (see storeUploads, sweepTemp). */
const JOURNAL_EXT = ".placing";

const isFkViolation = (err: unknown) =>
  ((err as { driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code) === "23503";

export class ImagesService {
  private ds: DataSource;
  private logger: Logger;
  private mediaRoot: string;
  private tmpDir: string;

  constructor({ config, ds, logger }: Pick<AppDeps, "config" | "ds" | "logger">) {
    this.ds = ds;
    this.logger = logger;
    this.mediaRoot = config.mediaRoot;
    this.tmpDir = uploadTempDir(config.mediaRoot);
    setImagePipelineLogger(logger);
    configureImageLimits(config.imageLimits);
  }

  /**
   * Stores the good files of an upload in the user's gallery (one transaction for all of them) and reports
   * each bad one with a message naming it. The temp files are always removed.
   */
  async storeUploads(uploader: Uploader, files: UploadFile[], afterStore?: AfterStore): Promise<UploadOutcome[]> {
    const scratch = files.map((f) => f.path);
    const placed: string[] = [];
    let journal: string | undefined;
    let committed = false;
    let admission: Admission | undefined;
    try {
      admission = admit(uploader.id, files.length);
      // allSettled, not all: a failing file must not leave the others still writing after the cleanup below.
      const settled = await Promise.allSettled(files.map((f) => this.prepare(f, scratch, admission!)));
      const crashed = settled.find((s) => s.status === "rejected");
      if (crashed) throw (crashed as PromiseRejectedResult).reason;
      const results = settled.map((s) => (s as PromiseFulfilledResult<Prepared | Refused>).value);
      const good = results.filter((r): r is Prepared => "web" in r);
      if (!good.length) return results.map((r) => ({ name: r.name, ok: false, error: (r as Refused).error }));

      // Written before anything is placed: should this process die before the rows commit (a SIGKILL, a power
      // cut), sweepTemp reads it and removes the files that no row names.
      journal = await this.writeJournal(good);
      for (const p of good) await this.place(p, placed);
      const images = await this.ds.transaction((em) => this.insert(em, uploader, good, afterStore));
      committed = true;

      const byPrepared = new Map(good.map((p, i) => [p, images[i]]));
      return results.map((r) =>
        "web" in r ? { name: r.name, ok: true as const, image: byPrepared.get(r)! } : { name: r.name, ok: false as const, error: r.error },
      );
    } finally {
      admission?.release();
      await Promise.all(scratch.map((f) => fs.rm(f, { force: true }).catch(() => {})));
      const leftover = !committed && placed.length ? await removeMediaFiles(this.mediaRoot, placed) : [];
      if (leftover.length) this.logger.warn({ files: leftover }, "could not remove media files; the temp sweep will retry");
      else if (journal) await fs.rm(journal, { force: true }).catch(() => {});
    }
  }

  /** Lists the files about to be placed in MEDIA_ROOT, in the temp dir, until their rows have committed. */
  private async writeJournal(good: Prepared[]): Promise<string> {
    const file = path.join(this.tmpDir, `${crypto.randomBytes(16).toString("hex")}${JOURNAL_EXT}`);
    await fs.mkdir(this.tmpDir, { recursive: true });
    await fs.writeFile(file, JSON.stringify(good.flatMap((p) => [p.web, p.thumb])), { flag: "wx" });
    return file;
  }

  /** A dead upload's journal: removes the files it lists that no image row names (the rows never committed). */
  private async settleJournal(file: string): Promise<void> {
    let listed: unknown;
    try {
      listed = JSON.parse(await fs.readFile(file, "utf8"));
    } catch {
      return; // cut short while being written: nothing was placed yet
    }
    const rels = Array.isArray(listed) ? listed.filter((p): p is string => typeof p === "string") : [];
    if (!rels.length) return;
    const named = await Image.namedPaths(rels);
    const failed = await removeMediaFiles(this.mediaRoot, rels.filter((r) => !named.has(r)));
    if (failed.length) throw new Error(`could not remove orphaned media files: ${failed.join(", ")}`);
  }

  /** Validates and re-encodes one upload into scratch files; a refusal is a result, not an exception. */
  private async prepare(file: UploadFile, scratch: string[], admission: Admission): Promise<Prepared | Refused> {
    const name = cleanFileName(file.originalname);
    let encoded;
    try {
      encoded = await admission.process(file.path);
    } catch (err) {
      if (err instanceof ImageRejected) return { name, error: { key: err.key, params: { ...err.params, name } } };
      throw err;
    }
    const names = await this.newNames(scratch);
    await Promise.all([fs.writeFile(names.tmpWeb, encoded.web, { flag: "wx" }), fs.writeFile(names.tmpThumb, encoded.thumb, { flag: "wx" })]);
    return { name, ...names, width: encoded.width, height: encoded.height, bytes: encoded.web.length };
  }

  /**
   * Fresh names for one image's two files: random, in two levels of shards (65,536 directories), so no directory
   * grows huge. The web file and the thumbnail get a name each: a profile picture's thumbnail is shown to
   * everyone, its full-size original only to its owner, so one name must not lead to the other.
   */
  private async newNames(scratch: string[]) {
    const id = crypto.randomBytes(16).toString("hex");
    const thumbId = crypto.randomBytes(16).toString("hex");
    const shard = (hex: string) => `${hex.slice(0, 2)}/${hex.slice(2, 4)}`;
    const tmpWeb = path.join(this.tmpDir, `${id}.web`);
    const tmpThumb = path.join(this.tmpDir, `${thumbId}.thumb`);
    scratch.push(tmpWeb, tmpThumb);
    await fs.mkdir(this.tmpDir, { recursive: true });
    return { web: `${shard(id)}/${id}${OUTPUT_EXT}`, thumb: `${shard(thumbId)}/${thumbId}.thumb${OUTPUT_EXT}`, tmpWeb, tmpThumb };
  }

  /** A copy of a stored gallery image's files under new names (already checked and re-encoded once). */
  private async prepareCopy(image: Image, scratch: string[]): Promise<Prepared> {
    const names = await this.newNames(scratch);
    await Promise.all([
      fs.copyFile(mediaPath(this.mediaRoot, image.path)!, names.tmpWeb, fs.constants.COPYFILE_EXCL),
      fs.copyFile(mediaPath(this.mediaRoot, image.thumbPath)!, names.tmpThumb, fs.constants.COPYFILE_EXCL),
    ]);
    return { name: image.originalName, ...names, width: image.width, height: image.height, bytes: image.bytes };
  }

  /**
   * Chat photos, step one (#18): uploads checked and re-encoded in the workers, and the owner's chosen gallery
   * photos copied (a copy, so deleting either one never breaks the other), into scratch files, in that order.
   * All or nothing: one refused file refuses them all (PhotosRefused, naming each), a gallery photo that is not
   * the owner's is a 404; either way the scratch files are gone. Slow (encoding): runs before any lock is taken.
   */
  async stagePhotos(ownerId: number, files: UploadFile[], galleryIds: number[]): Promise<StagedPhotos> {
    const scratch = files.map((f) => f.path);
    const staged: StagedPhotos = { ownerId, prepared: [], scratch };
    let admission: Admission | undefined;
    try {
      // Copies of gallery photos need no processing, so only the uploads count against the backlog.
      admission = admit(ownerId, files.length);
      const picked = galleryIds.length ? await Image.ownedAmong(galleryIds, ownerId) : [];
      // 404 as for any object not one's own, under its own message: on the socket it must not read as "you are no
      // longer in this chat" (a photo deleted from the gallery while the message was being written is ordinary).
      if (picked.length !== new Set(galleryIds).size) throw new HttpError(404, "chat.errors.photo_gone");
      const byId = new Map(picked.map((i) => [i.id, i]));
      const settled = await Promise.allSettled([
        ...files.map((f) => this.prepare(f, scratch, admission!)),
        ...galleryIds.map((id) => this.prepareCopy(byId.get(id)!, scratch)),
      ]);
      const crashed = settled.find((r) => r.status === "rejected");
      if (crashed) throw (crashed as PromiseRejectedResult).reason;
      const results = settled.map((r) => (r as PromiseFulfilledResult<Prepared | Refused>).value);
      const refused = results.filter((r): r is Refused => !("web" in r));
      if (refused.length) throw new PhotosRefused(refused.map((r) => r.error));
      staged.prepared = results as Prepared[];
      return staged;
    } catch (err) {
      await this.discardPhotos(staged);
      throw err;
    } finally {
      admission?.release();
    }
  }

  /** Drops staged photos that will not be stored. */
  async discardPhotos(staged: StagedPhotos): Promise<void> {
    await Promise.all(staged.scratch.map((f) => fs.rm(f, { force: true }).catch(() => {})));
  }

  /**
   * Chat photos, step two: places the staged files and, in one transaction, runs `store` (which writes the row
   * they belong to and answers its id, or null when that row already existed: a retry) and inserts the images
   * under that message in order. Null (nothing kept, files removed) when `store` answered null; the rows are
   * committed otherwise. The scratch files are always removed; a failure leaves no file behind.
   */
  async commitPhotos(staged: StagedPhotos, store: (em: EntityManager) => Promise<number | null>): Promise<Image[] | null> {
    const placed: string[] = [];
    let journal: string | undefined;
    let committed = false;
    try {
      journal = await this.writeJournal(staged.prepared);
      for (const p of staged.prepared) await this.place(p, placed);
      const images = await this.ds.transaction(async (em) => {
        const messageId = await store(em);
        if (messageId === null) throw new AlreadyStored();
        return em.save(
          staged.prepared.map((p, position) =>
            em.create(Image, {
              galleryId: null, messageId, position, ownerId: staged.ownerId, path: p.web, thumbPath: p.thumb,
              width: p.width, height: p.height, bytes: p.bytes, originalName: p.name,
            }),
          ),
        );
      }).catch((err: unknown) => {
        if (err instanceof AlreadyStored) return null;
        throw err;
      });
      committed = images !== null;
      return images;
    } finally {
      await this.discardPhotos(staged);
      const leftover = !committed && placed.length ? await removeMediaFiles(this.mediaRoot, placed) : [];
      if (leftover.length) this.logger.warn({ files: leftover }, "could not remove media files; the temp sweep will retry");
      else if (journal) await fs.rm(journal, { force: true }).catch(() => {});
    }
  }

  /** Moves finished files into MEDIA_ROOT (a rename: same filesystem), remembering them for a rollback. */
  private async place(p: Prepared, placed: string[]): Promise<void> {
    for (const [from, rel] of [[p.tmpWeb, p.web], [p.tmpThumb, p.thumb]] as const) {
      const to = mediaPath(this.mediaRoot, rel)!;
      await fs.mkdir(path.dirname(to), { recursive: true });
      placed.push(rel);
      await fs.rename(from, to);
    }
  }

  private async insert(em: EntityManager, uploader: Uploader, good: Prepared[], afterStore?: AfterStore): Promise<Image[]> {
    const rows = await em.save(
      good.map((p) =>
        em.create(Image, {
          galleryId: uploader.galleryId,
          ownerId: uploader.id,
          path: p.web,
          thumbPath: p.thumb,
          width: p.width,
          height: p.height,
          bytes: p.bytes,
          originalName: p.name,
        }),
      ),
    ).catch((err) => {
      // The uploader's account was deleted while the files were being processed.
      throw isFkViolation(err) ? notFound() : err;
    });
    await afterStore?.(em, rows[rows.length - 1]);
    return rows;
  }

  /**
   * Deletes one of the user's images (404 for anyone else's). The FKs set any avatar that used it back to
   * null (the placeholder); its files are removed once the delete has committed.
   */
  async destroyOwned(userId: number, imageId: number): Promise<void> {
    const deleted = await this.ds.transaction((em) => Image.deleteReturning(em, imageId, userId));
    if (!deleted) throw notFound();
    await this.removeFiles([deleted.path, deleted.thumbPath]);
  }

  /**
   * Deletes the chosen photos of the user in one transaction (anyone else's ids are ignored); avatars that used
   * one fall back to the placeholder. Their files go once the delete has committed. How many were deleted.
   */
  async destroyManyOwned(userId: number, ids: number[]): Promise<number> {
    const deleted = await this.ds.transaction((em) => Image.deleteManyOwned(em, ids, userId));
    await this.removeFiles(deleted.flatMap((d) => [d.path, d.thumbPath]));
    return deleted.length;
  }

  /** Removes stored files (after their rows are gone or were never committed); failures are logged, not thrown. */
  async removeFiles(relPaths: string[]): Promise<void> {
    const failed = await removeMediaFiles(this.mediaRoot, relPaths);
    if (failed.length) this.logger.warn({ files: failed }, "could not remove media files");
  }

  /**
   * Temp files a crashed process left behind (a live upload never takes this long; a younger file may be another
   * replica's upload in progress, as MEDIA_ROOT is shared). A journal among them also removes the files its
   * upload had placed in MEDIA_ROOT whose rows never committed.
   */
  async sweepTemp(olderThanMs = 3600_000): Promise<number> {
    let names: string[];
    try {
      names = await fs.readdir(this.tmpDir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const full = path.join(this.tmpDir, name);
      const st = await fs.stat(full).catch(() => null);
      if (st?.isFile() && Date.now() - st.mtimeMs > olderThanMs) {
        // A journal goes only once its orphans are gone (a failure here leaves it for the next sweep).
        if (name.endsWith(JOURNAL_EXT)) await this.settleJournal(full);
        await fs.rm(full, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
