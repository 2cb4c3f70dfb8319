// Searching the messages of all a user's chats (Message.search, `this` is Message).
import { matchParam, matchSql, type SearchPlan } from "../search/query";
import type { Message } from "./message.entity";

/**
 * Messages of the user's chats matching a search (deleted ones have no text left to match), newest first, with
 * their chat's title parts (messages_message_fts_idx serves the full-text form).
 */
export function search(this: typeof Message, userId: number, plan: SearchPlan, limit: number, offset: number): Promise<MessageSearchRow[]> {
  return this.query(
    `SELECT m.id, m.chat_id AS "chatId", m.message AS text, m.created_at AS "createdAt", u.username,
            c.is_group AS "isGroup", c.chat_name AS "chatName",
            (SELECT ou.username FROM chat_members o JOIN users ou ON ou.id = o.user_id
              WHERE o.chat_id = c.id AND o.user_id <> $1 ORDER BY o.id LIMIT 1) AS "otherUsername"
       FROM messages m
       JOIN chat_members me ON me.chat_id = m.chat_id AND me.user_id = $1
       JOIN chats c ON c.id = m.chat_id
       JOIN users u ON u.id = m.user_id
      WHERE m.deleted_at IS NULL AND ${matchSql(plan, "m.message", "$2")}
      ORDER BY m.id DESC LIMIT $3 OFFSET $4`,
    [userId, matchParam(plan), limit, offset],
  );
}

export interface MessageSearchRow {
  id: number;
  chatId: number;
  text: string;
  createdAt: Date;
  username: string;
  isGroup: boolean;
  chatName: string | null;
  otherUsername: string | null;
}
