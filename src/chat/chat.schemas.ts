// One zod schema per chat form and per socket event payload.
import { z } from "zod";
import { INT4_MAX } from "../db/sql";

export const MESSAGE_MAX = 4000;
export const CHAT_NAME_MAX = 100;
/** A single form may name at most this many people; bigger groups are built in several steps. */
export const MEMBERS_PER_FORM = 50;

// Postgres text cannot hold U+0000: a NUL that got this far failed in the database (a 500, or a "server" ack).
const noNul = (s: string) => !s.includes("\u0000");

export const messageText = z
  .string({ error: "Write a message." })
  .trim()
  .min(1, "Write a message.")
  .max(MESSAGE_MAX, "A message can be at most 4,000 characters.")
  .refine(noNul, "A message cannot contain NUL characters.");

/** Postgres int: anything else can only be a miss. */
const dbId = z.number({ error: "Expected a chat id." }).int().min(1).max(INT4_MAX);

/** The plain-HTML send form carries a client id generated when the page was rendered: a double submit stores once. */
export const sendMessageSchema = z.object({
  text: messageText,
  client_id: z.union([z.uuid(), z.literal("")]).optional(),
});

const chatName = z
  .string({ error: "Give the group a name." })
  .trim()
  .min(1, "Give the group a name.")
  .max(CHAT_NAME_MAX, "A group name can be at most 100 characters.")
  .refine(noNul, "A group name cannot contain NUL characters.");

/**
 * Usernames typed as a list ("olena, taras  ivan") or sent as repeated fields (a multi-select);
 * de-duplicated case-insensitively, keeping the first spelling.
 */
const usernameList = z
  .union([z.string(), z.array(z.string())], { error: "Name at least one person." })
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
      .array(z.string().max(150, "That is not a username.").refine(noNul, "That is not a username."))
      .min(1, "Name at least one person.")
      .max(MEMBERS_PER_FORM, `Add at most ${MEMBERS_PER_FORM} people at a time.`),
  );

export const createGroupSchema = z.object({ name: chatName, members: usernameList });
export const renameSchema = z.object({ name: chatName });
export const addMembersSchema = z.object({ members: usernameList });

export const peopleQuerySchema = z.object({
  // A NUL is dropped, as the notes search does (the directory query would fail on it).
  q: z.string().transform((s) => s.replace(/\u0000/g, "")).pipe(z.string().trim().max(100)).catch(""),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});

// Socket payloads: anything not matching is refused with an error ack.
export const joinPayload = z.object({ chatId: dbId });
export const messagePayload = z.object({ chatId: dbId, text: messageText, clientId: z.uuid("clientId must be a UUID.") });
export const typingPayload = z.object({ chatId: dbId, typing: z.boolean().default(true) });
export const syncPayload = z.object({ chatId: dbId, afterId: z.number().int().min(0).max(INT4_MAX) });
export const readPayload = z.object({ chatId: dbId, messageId: z.number().int().min(1).max(INT4_MAX) });
