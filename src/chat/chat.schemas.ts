// One zod schema per chat form and per socket event payload.
import { z } from "zod";
import { INT4_MAX } from "../db/sql";
import { REACTIONS } from "./message-reaction.entity";
import { MUTE_CHOICES } from "./chat-member.entity";

export const MESSAGE_MAX = 4000;
export const CHAT_NAME_MAX = 100;
/** A single form may name at most this many people; bigger groups are built in several steps. */
export const MEMBERS_PER_FORM = 50;

// Postgres text cannot hold U+0000: a NUL that got this far failed in the database (a 500, or a "server" ack).
const noNul = (s: string) => !s.includes("\u0000");

export const messageText = z
  .string({ error: "chat.errors.write_message" })
  .trim()
  .min(1, "chat.errors.write_message")
  .max(MESSAGE_MAX, "chat.errors.message_too_long")
  .refine(noNul, "chat.errors.message_nul");

/** Postgres int: anything else can only be a miss. */
const dbId = z.number({ error: "chat.errors.not_found" }).int().min(1).max(INT4_MAX);

/** The plain-HTML send form carries a client id generated when the page was rendered: a double submit stores once. */
export const sendMessageSchema = z.object({
  text: messageText,
  client_id: z.union([z.uuid(), z.literal("")]).optional(),
  // The message answered: an id, or nothing (a bad one is dropped, as a quote of another chat is).
  reply_to: z.coerce.number().int().min(1).max(INT4_MAX).optional().catch(undefined),
});

/** Photos' words: optional, else as a message's text. */
const caption = z
  .string()
  .trim()
  .max(MESSAGE_MAX, "chat.errors.message_too_long")
  .refine(noNul, "chat.errors.message_nul");

/** Photos a message may carry (uploads and gallery photos together). */
export const PHOTOS_MAX = 10;

/** Gallery photo ids: repeated fields (checkboxes) or one comma-separated field (the script's). */
const galleryIds = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v.join(",") : v).split(/[\s,]+/).filter(Boolean).map(Number))
  .pipe(z.array(z.number("chat.photos.errors.choose").int("chat.photos.errors.choose").min(1).max(INT4_MAX)).max(PHOTOS_MAX, "chat.photos.errors.over_limit"));

/** The photo form (multipart with the uploads, or the gallery picker's plain form). */
export const sendPhotosSchema = z.object({
  text: caption.default(""),
  client_id: z.union([z.uuid(), z.literal("")]).optional(),
  reply_to: z.coerce.number().int().min(1).max(INT4_MAX).optional().catch(undefined),
  from_gallery: galleryIds.optional(),
});

export const editMessageSchema = z.object({
  text: messageText,
  client_id: z.union([z.uuid(), z.literal("")]).optional(),
});

const reaction = z.enum(REACTIONS, { error: "chat.errors.no_such_reaction" });

/** A reaction button: which one, and whether to add it ("1") or take it back ("0"). */
export const reactSchema = z.object({ emoji: reaction, on: z.enum(["0", "1"], { error: "chat.errors.invalid" }) });

export const searchQuerySchema = z.object({
  q: z.string().transform((s) => s.replace(/\u0000/g, "")).pipe(z.string().trim().max(200)).catch(""),
  page: z.coerce.number().int().min(1).max(1000).catch(1),
});

const chatName = z
  .string({ error: "chat.errors.name_required" })
  .trim()
  .min(1, "chat.errors.name_required")
  .max(CHAT_NAME_MAX, "chat.errors.name_too_long")
  .refine(noNul, "chat.errors.name_nul");

/**
 * Usernames typed as a list ("olena, taras  ivan") or sent as repeated fields (a multi-select);
 * de-duplicated case-insensitively, keeping the first spelling.
 */
const usernameList = z
  .union([z.string(), z.array(z.string())], { error: "chat.errors.members_required" })
  .transform((v) => {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const name of (Array.isArray(v) ? v.join(" ") : v).split(/[\s,;]+/)) {
      const n = name.replace(/^@/, "");
      if (n && !seen.has(n.toLowerCase())) {
        seen.add(n.toLowerCase());
        out.push(n);
      }
    }
    return out;
  })
  .pipe(
    z
      .array(z.string().max(150, "chat.errors.not_username").refine(noNul, "chat.errors.not_username"))
      .min(1, "chat.errors.members_required")
      .max(MEMBERS_PER_FORM, "chat.errors.too_many_members"),
  );

export const createGroupSchema = z.object({ name: chatName, members: usernameList });
export const renameSchema = z.object({ name: chatName });
export const addMembersSchema = z.object({ members: usernameList });
/** "Leave group": delete_if_last=1 when the person was told that leaving deletes the group (anything else: they were not). */
export const leaveSchema = z.object({ delete_if_last: z.literal("1").optional().catch(undefined) });

export const peopleQuerySchema = z.object({
  // A NUL is dropped, as the notes search does (the directory query would fail on it).
  q: z.string().transform((s) => s.replace(/\u0000/g, "")).pipe(z.string().trim().max(100)).catch(""),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});

// Socket payloads: anything not matching is refused with an error ack.
export const joinPayload = z.object({ chatId: dbId });
export const messagePayload = z
  .object({
    chatId: dbId,
    text: z.string({ error: "chat.errors.write_message" }),
    clientId: z.uuid("chat.errors.invalid"),
    replyToId: dbId.optional(),
    /** Photos from the sender's gallery, copied into the message (the text is then an optional caption). */
    photoIds: z.array(dbId).min(1).max(PHOTOS_MAX, "chat.photos.errors.over_limit").optional(),
  })
  .transform((p, ctx) => {
    const text = (p.photoIds ? caption : messageText).safeParse(p.text);
    if (!text.success) {
      ctx.addIssue({ code: "custom", message: text.error.issues[0].message });
      return z.NEVER;
    }
    return { ...p, text: text.data };
  });
export const editPayload = z.object({ chatId: dbId, messageId: dbId, text: messageText, clientId: z.uuid("chat.errors.invalid") });
export const deletePayload = z.object({ chatId: dbId, messageId: dbId });
export const reactPayload = z.object({
  chatId: dbId, messageId: dbId, emoji: reaction, on: z.boolean({ error: "chat.errors.invalid" }), clientId: z.uuid("chat.errors.invalid").optional(),
});
export const typingPayload = z.object({ chatId: dbId, typing: z.boolean().default(true) });
export const syncPayload = z.object({
  chatId: dbId,
  afterId: z.number().int().min(0).max(INT4_MAX),
  sinceVersion: z.number().int().min(0).max(INT4_MAX).optional(),
});
export const readPayload = z.object({ chatId: dbId, messageId: z.number().int().min(1).max(INT4_MAX) });

/** The mute form: for how long (or "off" to unmute). */
export const muteSchema = z.object({
  for: z.enum(MUTE_CHOICES, { error: "chat.mute.errors.choose" }),
});
