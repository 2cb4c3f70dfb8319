// Messages as the admin site and the account's own pages see them: counts, moderation lists, "Download my
// data" batches, the audit log's excerpt. Attached to Message as statics (`this` is Message).
import type { Message } from "./message.entity";

/** Every message (the admin site's counts). */
export const MESSAGE_COUNT = "SELECT count(*) FROM messages";

/** A user's messages; `userId` is an SQL expression (a parameter, or a column of the outer query). */
export function countOf(userId: string): string {
  return `SELECT count(*) FROM messages WHERE user_id = ${userId}`;
}

/** A user's messages that are not deleted (what "Download my data" holds); `userId` is an SQL expression. */
export function liveCountOf(userId: string): string {
  return `SELECT count(*) FROM messages WHERE user_id = ${userId} AND deleted_at IS NULL`;
}

/**
 * "Download my data": the user's own messages that are not deleted, chat by chat and oldest first, a batch at a
 * time after the (chatId, id) key given. Each carries its chat's name: a group's name, or in a direct chat the
 * other person's (null when their account is gone).
 */
export function exportBatch(this: typeof Message, userId: number, after: { chatId: number; id: number }, limit: number): Promise<MessageExport[]> {
  return this.query(
    `SELECT m.id, m.chat_id AS "chatId", c.is_group AS "isGroup",
            CASE WHEN c.is_group THEN c.chat_name ELSE other.username END AS "chatName",
            m.message AS text, m.created_at AS "createdAt", m.edited_at AS "editedAt", m.reply_to_id AS "replyToId"
       FROM messages m
       JOIN chats c ON c.id = m.chat_id
       LEFT JOIN users other ON NOT c.is_group AND other.id <> $1
            AND other.id IN (split_part(c.direct_key, ':', 1)::int, split_part(c.direct_key, ':', 2)::int)
      WHERE m.user_id = $1 AND m.deleted_at IS NULL AND (m.chat_id, m.id) > ($2, $3)
      ORDER BY m.chat_id, m.id
      LIMIT $4`,
    [userId, after.chatId, after.id, limit],
  );
}

/** Everyone's messages (or one author's), newest first, as excerpts with their chat and author. */
export function moderationPage(this: typeof Message, window: { limit: number; offset: number }, userId?: number): Promise<MessageExcerpt[]> {
  return this.query(
    `SELECT m.id, left(m.message, ${EXCERPT}) AS excerpt, length(m.message) > ${EXCERPT} AS truncated,
            m.edited_at AS "editedAt", m.deleted_at AS "deletedAt",
            (SELECT json_agg(json_build_object('text', e.previous_text, 'editedAt', e.edited_at) ORDER BY e.id DESC)
               FROM message_edits e WHERE e.message_id = m.id) AS edits,
            m.created_at AS "createdAt", m.chat_id AS "chatId", c.chat_name AS "chatName", c.is_group AS "isGroup",
            u.id AS "userId", u.username
     FROM messages m JOIN users u ON u.id = m.user_id JOIN chats c ON c.id = m.chat_id
     WHERE $3::int IS NULL OR m.user_id = $3
     ORDER BY m.id DESC LIMIT $1 OFFSET $2`,
    [window.limit, window.offset, userId ?? null],
  );
}

/** The chat a message is in, or null when there is no such message. */
export async function chatIdOf(this: typeof Message, id: number): Promise<number | null> {
  const [row]: { chat_id: number }[] = await this.query(`SELECT chat_id FROM messages WHERE id = $1`, [id]);
  return row?.chat_id ?? null;
}

/** How much of a message the audit log keeps of a deleted message. */
export function excerptOf(text: string): string {
  return text.slice(0, EXCERPT);
}

/** How much of a message the admin site shows in its lists and keeps in the audit log. */
const EXCERPT = 200;

export interface MessageExcerpt {
  id: number;
  excerpt: string;
  truncated: boolean;
  createdAt: Date;
  chatId: number;
  chatName: string | null;
  isGroup: boolean;
  userId: number;
  username: string;
  editedAt: Date | null;
  deletedAt: Date | null;
  /** The earlier versions of an edited message, newest first (staff only). */
  edits: { text: string; editedAt: string }[] | null;
}

/** A message as "Download my data" writes it. */
export interface MessageExport {
  id: number;
  chatId: number;
  isGroup: boolean;
  chatName: string | null;
  text: string;
  createdAt: Date;
  editedAt: Date | null;
  replyToId: number | null;
}
