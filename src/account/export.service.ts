// "Download my data": whether an account's zip is made at once or in the background, and the background worker.
// Small accounts (EXPORT_INLINE_LIMIT items or fewer) stream their zip straight into the response; larger ones are
// built by the worker here into DATA_DIR/exports, and the owner is mailed a link that works for EXPORT_LINK_HOURS.
// What the zip holds is in export-archive.ts.
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ZipArchive } from "archiver";
import { AuditLog } from "../admin/audit-log.entity";
import { User } from "../auth/user.entity";
import { Message } from "../chat/message.entity";
import { selectCounts } from "../db/sql";
import { BackgroundLoop } from "../background-loop";
import type { Config } from "../config";
import type { AppDeps } from "../deps";
import { Image } from "../gallery/image.entity";
import { FALLBACK_LANGUAGE, isLanguage } from "../i18n";
import { Note } from "../notes/note.entity";
import { DataExport } from "./data-export.entity";
import { addPhotoFiles, fillArchive, type Owner } from "./export-archive";

/** How long one process keeps a pending export to itself while building it; past it another worker takes it up. */
const LEASE_SECONDS = 30 * 60;
/** Builds tried before an export is marked failed (the page then offers to ask again). */
export const MAX_EXPORT_ATTEMPTS = 3;
/** The worker also looks on its own this often: exports queued by another process or left by one that died, expired files. */
const POLL_MS = 60_000;
/** A part file younger than this may be a build in progress (here or in another process). */
const ORPHAN_AGE_MS = 3600_000;

type Deps = Pick<AppDeps, "ds" | "config" | "logger" | "mailer">;

/** DATA_DIR/exports, where background exports are kept until they expire. */
export const exportsDir = (config: Config) => path.join(config.dataDir, "exports");
export const exportFile = (config: Config, id: string) => path.join(exportsDir(config), `${id}.zip`);

/** Removes the files of these exports (after the account that owned them was deleted); never throws. */
export async function removeExportFiles(config: Config, ids: string[]): Promise<void> {
  for (const id of ids) await fsp.rm(exportFile(config, id), { force: true }).catch(() => {});
}

export class ExportService {
  private loop: BackgroundLoop;

  constructor(private deps: Deps) {
    // A failed pass means the database is away: the poll tries again later; pending rows stay pending.
    this.loop = new BackgroundLoop((stopped) => this.pass(stopped), deps.logger, "export worker");
  }

  get dir(): string {
    return exportsDir(this.deps.config);
  }

  fileOf(id: string): string {
    return exportFile(this.deps.config, id);
  }

  /** Notes, messages (not deleted) and photos: what decides between at once and in the background. */
  async itemCount(userId: number): Promise<number> {
    const c = await selectCounts(this.deps.ds.manager, { notes: Note.countOf("$1"), messages: Message.liveCountOf("$1"), images: Image.countOf("$1") }, [userId]);
    return c.notes + c.messages + c.images;
  }

  isInline(items: number): boolean {
    return items <= this.deps.config.exportInlineLimit;
  }

  /** The archive's file name as the browser saves it. */
  static fileName(username: string, at = new Date()): string {
    return `hromada-${username}-${at.toISOString().slice(0, 10)}.zip`;
  }

  /** Streams the user's archive into `out` (an HTTP response, or a file); resolves once it is all written, with its size. Audited. */
  async writeArchive(userId: number, out: Writable, lang?: string): Promise<number> {
    const user = await User.findOneBy({ id: userId });
    if (!user) throw new Error(`no user ${userId} to export`);
    // Recorded as the reading starts: who read the whole account, and when, whether or not the download completed.
    await AuditLog.record(this.deps.ds.manager, {
      actor: user, action: "user.export", targetType: "user", targetId: user.id, details: { username: user.username },
    });
    const owner: Owner = { user, lang: isLanguage(lang) ? lang : isLanguage(user.locale) ? user.locale : FALLBACK_LANGUAGE };
    const archive = new ZipArchive({ zlib: { level: 6 } });
    const done = pipeline(archive, out);
    try {
      fillArchive(archive, owner, this.deps.config.mediaRoot);
      await addPhotoFiles(archive, user.id, this.deps.config.mediaRoot);
      await archive.finalize();
    } catch (err) {
      archive.abort();
      await done.catch(() => {});
      throw err;
    }
    await done;
    return archive.pointer();
  }

  // --- the background path ---------------------------------------------------------------------------------------

  /** Queues (or finds) the user's background export and starts on it at once. */
  async requestBackground(userId: number): Promise<{ row: DataExport; created: boolean }> {
    const result = await this.deps.ds.transaction((em) => DataExport.pendingFor(em, userId, this.deps.config.exportLinkMs));
    this.kick();
    return result;
  }

  kick(): void {
    this.loop.kick();
  }

  /** Builds every pending export this process can lease, then sweeps; resolves when done. */
  drain(): Promise<void> {
    return this.loop.drain();
  }

  private async pass(stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const job = await DataExport.lease(LEASE_SECONDS, MAX_EXPORT_ATTEMPTS);
      if (!job) break;
      await this.build(job.id, job.userId, job.attempts);
    }
    await this.sweep();
  }

  private async build(id: string, userId: number, attempts: number): Promise<void> {
    const { logger, config, mailer, ds } = this.deps;
    const file = this.fileOf(id);
    // A file of its own per try: two workers (a lease that ran out under a slow build) never write into one.
    const part = `${file}.${process.pid}.${attempts}.part`;
    try {
      await fsp.mkdir(this.dir, { recursive: true });
      const bytes = await this.writeArchive(userId, fs.createWriteStream(part));
      await fsp.rename(part, file);
      const user = await User.findOneBy({ id: userId });
      const ready = await ds.transaction(async (em) => {
        if (!(await DataExport.markReady(em, id, bytes, config.exportLinkMs))) return false;
        if (user) {
          await mailer.enqueue(em, { email: user.email, locale: user.locale, timeZone: user.timeZone }, "export_ready", {
            username: user.username, url: mailer.link(`/account/export/${id}`), hours: Math.round(config.exportLinkMs / 3600_000),
          });
        }
        return true;
      });
      if (!ready) {
        // The account (and so the row) went while the archive was written: nothing may keep its data.
        await fsp.rm(file, { force: true });
        return;
      }
      mailer.kick();
      logger.info({ exportId: id, bytes }, "data export ready");
    } catch (err) {
      await fsp.rm(part, { force: true }).catch(() => {});
      const giveUp = attempts >= MAX_EXPORT_ATTEMPTS;
      await DataExport.markFailed(id, giveUp, 60 * 2 ** attempts);
      logger.error({ err, exportId: id, attempts, giveUp }, "data export failed");
    }
  }

  /** Removes expired exports (rows and files) and files whose row is gone (an account deleted mid-build). */
  async sweep(): Promise<void> {
    for (const id of await DataExport.deleteExpired()) await fsp.rm(this.fileOf(id), { force: true });
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return;
    }
    const idOf = (name: string) => /^([0-9a-f-]{36})\.zip/.exec(name)?.[1];
    const live = await DataExport.existing(names.map(idOf).filter((x): x is string => !!x));
    for (const name of names) {
      const id = idOf(name);
      if (name.endsWith(".part")) {
        // Being written now, maybe by another process (the folder may be shared); a dead build's is old.
        const stat = await fsp.stat(path.join(this.dir, name)).catch(() => null);
        if (stat && Date.now() - stat.mtimeMs < ORPHAN_AGE_MS) continue;
      } else if (id && live.has(id)) {
        continue;
      }
      await fsp.rm(path.join(this.dir, name), { force: true, recursive: true });
    }
  }

  /** Starts polling (server.ts): pending exports left by a restart or another process are taken up again. */
  start(): void {
    this.loop.start(POLL_MS);
  }

  /** Stops polling and waits for a build in progress (its lease would hand it on anyway). */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}
