// "Download my data": a zip of the account's profile, notes, the messages it wrote and its photos, with a README in
// the owner's language; JSON for programs, HTML for people. The zip is streamed by archiver as it is read, and every
// list is read from the database a batch at a time, so no account is ever held in memory whole. Small accounts
// (EXPORT_INLINE_LIMIT items or fewer) download at once; larger ones are built in the background by the worker here
// into DATA_DIR/exports, and the owner is mailed a link that works for EXPORT_LINK_HOURS.
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ZipArchive, type Archiver } from "archiver";
import { AuditLog } from "../admin/audit-log.entity";
import { User } from "../auth/user.entity";
import { Message, type MessageExport } from "../chat/message.entity";
import { selectCounts } from "../db/sql";
import { BackgroundLoop } from "../background-loop";
import type { Config } from "../config";
import type { AppDeps } from "../deps";
import { Image, type ImageExport } from "../gallery/image.entity";
import { mediaPath } from "../gallery/media-files";
import { FALLBACK_LANGUAGE, isLanguage, translator, type Translate } from "../i18n";
import { dateFormatter } from "../i18n/format";
import { Note, type NoteExport } from "../notes/note.entity";
import { DataExport } from "./data-export.entity";

// The archive's files. One string split, not separate literals: "profile.json" would read as a translation key to
// the locale checks (test/i18n).
const [README, PROFILE_JSON, NOTES_JSON, NOTES_HTML, MESSAGES_JSON, MESSAGES_HTML, PHOTOS_JSON] =
  "README.txt profile.json notes.json notes.html messages.json messages.html photos.json".split(" ");

/** Rows read per statement while writing the archive. */
const BATCH = 500;
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

/** Who the archive is for, in their language and time zone. */
interface Owner {
  user: User;
  lang: string;
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
      this.fill(archive, owner);
      // Each photo's file is queued as the list reaches it (archiver opens it only when its turn comes); the queue
      // holds names, never contents.
      for await (const p of photos(user.id, this.deps.config.mediaRoot)) {
        if (p.full && p.file) archive.file(p.full, { name: p.file, date: p.createdAt });
      }
      await archive.finalize();
    } catch (err) {
      archive.abort();
      await done.catch(() => {});
      throw err;
    }
    await done;
    return archive.pointer();
  }

  /** Queues every entry; archiver reads each lazily, in order, as the output drains. */
  private fill(archive: Archiver, owner: Owner): void {
    const t = translator(owner.lang);
    const fmt = dateFormatter(owner.lang, owner.user.timeZone ?? "UTC", !owner.user.timeZone);
    const { user } = owner;
    archive.append(readme(t, user, fmt), { name: README });
    archive.append(JSON.stringify(profileOf(user), null, 2) + "\n", { name: PROFILE_JSON });
    archive.append(Readable.from(jsonArray(notes(user.id), noteJson)), { name: NOTES_JSON });
    archive.append(Readable.from(notesHtml(t, owner.lang, notes(user.id), fmt)), { name: NOTES_HTML });
    archive.append(Readable.from(jsonArray(messages(user.id), messageJson)), { name: MESSAGES_JSON });
    archive.append(Readable.from(messagesHtml(t, owner.lang, messages(user.id), fmt)), { name: MESSAGES_HTML });
    archive.append(Readable.from(jsonArray(photos(user.id, this.deps.config.mediaRoot), photoJson)), { name: PHOTOS_JSON });
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

// --- what goes in the archive -----------------------------------------------------------------------------------

type Fmt = ReturnType<typeof dateFormatter>;

function profileOf(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    emailConfirmedAt: user.emailVerifiedAt,
    createdAt: user.createdAt,
    lastLogin: user.lastLogin,
    language: user.locale,
    timeZone: user.timeZone,
    theme: user.theme,
    staff: user.isStaff,
    twoFactorAuthentication: user.totpEnabledAt !== null,
    profilePictureId: user.profilePictureId,
    exportedAt: new Date(),
  };
}

function readme(t: Translate, user: User, fmt: Fmt): string {
  const lines = [
    t("profile.export.readme.title"),
    "",
    t("profile.export.readme.account", { username: user.username }),
    t("profile.export.readme.made", { when: fmt.dateTime(new Date()) }),
    "",
    t("profile.export.readme.contents"),
    "",
    ...[
      t("profile.export.readme.files.profile_json"),
      t("profile.export.readme.files.notes_json"),
      t("profile.export.readme.files.notes_html"),
      t("profile.export.readme.files.messages_json"),
      t("profile.export.readme.files.messages_html"),
      t("profile.export.readme.files.photos_json"),
      t("profile.export.readme.files.photos_dir"),
    ].map((line) => `- ${line}`),
    "",
    t("profile.export.readme.not_included"),
    t("profile.export.readme.times", { zone: user.timeZone ?? "UTC" }),
    "",
  ];
  return lines.join("\r\n");
}

async function* batches<T extends { id: number }>(next: (after: T | null) => Promise<T[]>): AsyncGenerator<T> {
  let last: T | null = null;
  for (;;) {
    const rows = await next(last);
    for (const row of rows) yield row;
    if (rows.length < BATCH) return;
    last = rows[rows.length - 1];
  }
}

const notes = (userId: number) => batches<NoteExport>((last) => Note.exportBatch(userId, last?.id ?? 0, BATCH));
const messages = (userId: number) =>
  batches<MessageExport>((last) => Message.exportBatch(userId, last ? { chatId: last.chatId, id: last.id } : { chatId: 0, id: 0 }, BATCH));

/** The user's photos, each with where it sits in the archive (null when its file is missing from MEDIA_ROOT). */
async function* photos(userId: number, mediaRoot: string): AsyncGenerator<ImageExport & { file: string | null; full: string | null }> {
  for await (const img of batches<ImageExport>((last) => Image.exportBatch(userId, last?.id ?? 0, BATCH))) {
    const full = mediaPath(mediaRoot, img.path);
    const present = full !== null && (await fsp.stat(full).then((s) => s.isFile(), () => false));
    yield { ...img, full: present ? full : null, file: present ? `photos/${img.id}${path.extname(img.path).toLowerCase()}` : null };
  }
}

async function* jsonArray<T>(rows: AsyncIterable<T>, shape: (row: T) => unknown): AsyncGenerator<string> {
  let first = true;
  yield "[";
  for await (const row of rows) {
    yield (first ? "\n  " : ",\n  ") + JSON.stringify(shape(row));
    first = false;
  }
  yield first ? "]\n" : "\n]\n";
}

const noteJson = (n: NoteExport) => ({ id: n.id, text: n.text, createdAt: n.createdAt, updatedAt: n.updatedAt });

const messageJson = (m: MessageExport) => ({
  id: m.id,
  chat: { id: m.chatId, type: m.isGroup ? "group" : "direct", name: m.chatName },
  text: m.text,
  sentAt: m.createdAt,
  editedAt: m.editedAt,
  replyTo: m.replyToId,
});

const photoJson = (p: ImageExport & { file: string | null }) => ({
  id: p.id,
  file: p.file,
  caption: p.caption,
  originalName: p.originalName,
  uploadedAt: p.createdAt,
  width: p.width,
  height: p.height,
  bytes: p.bytes,
  profilePicture: p.isProfilePicture,
  inGallery: p.inGallery,
  sentInMessage: p.messageId,
});

// --- the HTML files: plain, self-contained pages to open from the unzipped folder ---------------------------------

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

function htmlStart(lang: string, title: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #212529; background: #fff; }
article { border-top: 1px solid #dee2e6; padding: .75rem 0; }
time, .meta { color: #595f64; font-size: .875rem; }
p { white-space: pre-wrap; margin: .25rem 0 0; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
`;
}

const HTML_END = "</body>\n</html>\n";

const time = (d: Date, fmt: Fmt) => `<time datetime="${new Date(d).toISOString()}">${escapeHtml(fmt.dateTime(new Date(d)))}</time>`;

async function* notesHtml(t: Translate, lang: string, rows: AsyncIterable<NoteExport>, fmt: Fmt): AsyncGenerator<string> {
  yield htmlStart(lang, t("profile.export.html.notes_title"));
  let any = false;
  for await (const n of rows) {
    any = true;
    const edited = n.updatedAt ? ` · ${escapeHtml(t("profile.export.html.edited"))} ${time(n.updatedAt, fmt)}` : "";
    yield `<article>\n<div class="meta">${time(n.createdAt, fmt)}${edited}</div>\n<p>${escapeHtml(n.text)}</p>\n</article>\n`;
  }
  if (!any) yield `<p>${escapeHtml(t("profile.export.html.no_notes"))}</p>\n`;
  yield HTML_END;
}

async function* messagesHtml(t: Translate, lang: string, rows: AsyncIterable<MessageExport>, fmt: Fmt): AsyncGenerator<string> {
  yield htmlStart(lang, t("profile.export.html.messages_title"));
  let chat: number | null = null;
  for await (const m of rows) {
    if (m.chatId !== chat) {
      if (chat !== null) yield "</section>\n";
      chat = m.chatId;
      const name = m.isGroup
        ? t("profile.export.html.group", { name: m.chatName ?? t("chat.group") })
        : t("profile.export.html.direct", { name: m.chatName ?? t("chat.deleted_account") });
      yield `<section>\n<h2>${escapeHtml(name)}</h2>\n`;
    }
    const edited = m.editedAt ? ` · ${escapeHtml(t("profile.export.html.edited"))} ${time(m.editedAt, fmt)}` : "";
    yield `<article id="m${m.id}">\n<div class="meta">${time(m.createdAt, fmt)}${edited}</div>\n<p>${escapeHtml(m.text)}</p>\n</article>\n`;
  }
  yield chat === null ? `<p>${escapeHtml(t("profile.export.html.no_messages"))}</p>\n` : "</section>\n";
  yield HTML_END;
}
