// What goes in a "Download my data" archive: a README in the owner's language, the profile, and the notes, the
// messages the account wrote and its photos, as JSON for programs and HTML for people. Every list is read from the
// database a batch at a time and handed to archiver as a stream, so no account is ever held in memory whole.
import fsp from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { Archiver } from "archiver";
import type { User } from "../auth/user.entity";
import { Message, type MessageExport } from "../chat/message.entity";
import { Image, type ImageExport } from "../gallery/image.entity";
import { mediaPath } from "../gallery/media-files";
import { translator, type Translate } from "../i18n";
import { dateFormatter } from "../i18n/format";
import { Note, type NoteExport } from "../notes/note.entity";
import { messagesHtml, notesHtml, type Fmt } from "./export-html";

// The archive's files. One string split, not separate literals: "profile.json" would read as a translation key to
// the locale checks (test/i18n).
const [README, PROFILE_JSON, NOTES_JSON, NOTES_HTML, MESSAGES_JSON, MESSAGES_HTML, PHOTOS_JSON] =
  "README.txt profile.json notes.json notes.html messages.json messages.html photos.json".split(" ");

/** Rows read per statement while writing the archive. */
const BATCH = 500;

/** Who the archive is for, in their language and time zone. */
export interface Owner {
  user: User;
  lang: string;
}

/** Queues every entry but the photos' files; archiver reads each lazily, in order, as the output drains. */
export function fillArchive(archive: Archiver, owner: Owner, mediaRoot: string): void {
  const t = translator(owner.lang);
  const fmt = dateFormatter(owner.lang, owner.user.timeZone ?? "UTC", !owner.user.timeZone);
  const { user } = owner;
  archive.append(readme(t, user, fmt), { name: README });
  archive.append(JSON.stringify(profileOf(user), null, 2) + "\n", { name: PROFILE_JSON });
  archive.append(Readable.from(jsonArray(notes(user.id), noteJson)), { name: NOTES_JSON });
  archive.append(Readable.from(notesHtml(t, owner.lang, notes(user.id), fmt)), { name: NOTES_HTML });
  archive.append(Readable.from(jsonArray(messages(user.id), messageJson)), { name: MESSAGES_JSON });
  archive.append(Readable.from(messagesHtml(t, owner.lang, messages(user.id), fmt)), { name: MESSAGES_HTML });
  archive.append(Readable.from(jsonArray(photos(user.id, mediaRoot), photoJson)), { name: PHOTOS_JSON });
}

/**
 * Queues each photo's file as the list reaches it (archiver opens it only when its turn comes); the queue holds
 * names, never contents.
 */
export async function addPhotoFiles(archive: Archiver, userId: number, mediaRoot: string): Promise<void> {
  for await (const p of photos(userId, mediaRoot)) {
    if (p.full && p.file) archive.file(p.full, { name: p.file, date: p.createdAt });
  }
}

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

