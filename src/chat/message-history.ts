// Reading a chat's history: pages before and after an id (keyset), one message, a retry's message, and the
// changes a reconnecting client missed. Attached to Message as statics (`this` is Message).
import type { EntityManager } from "typeorm";
import type { Message } from "./message.entity";
import { MESSAGE_COLUMNS, MESSAGE_JOINS, type MessageRow } from "./message-rows";

/** Up to `limit` messages of a chat with ids below `beforeId`, oldest first (keyset pagination, never OFFSET). */
export async function pageBefore(this: typeof Message, chatId: number, beforeId: number, limit: number): Promise<MessageRow[]> {
  const rows: MessageRow[] = await this.query(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m ${MESSAGE_JOINS}
      WHERE m.chat_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3`,
    [chatId, beforeId, limit],
  );
  return rows.reverse();
}

/** Up to `limit` messages of a chat after `afterId`, oldest first: what a reconnecting client missed. */
export function pageAfter(this: typeof Message, chatId: number, afterId: number, limit: number): Promise<MessageRow[]> {
  return this.query(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m ${MESSAGE_JOINS}
      WHERE m.chat_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`,
    [chatId, afterId, limit],
  );
}

/** The message a user sent with this client id (a retry finds the first attempt's message). */
export async function byClientId(this: typeof Message, userId: number, clientId: string): Promise<MessageRow | null> {
  const [row]: MessageRow[] = await this.query(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m ${MESSAGE_JOINS} WHERE m.user_id = $1 AND m.client_id = $2`,
    [userId, clientId],
  );
  return row ?? null;
}

/** One message as a chat page shows it (in the caller's transaction when given one). */
export async function view(this: typeof Message, id: number, em: EntityManager = this.getRepository().manager): Promise<MessageRow | null> {
  const [row]: MessageRow[] = await em.query(`SELECT ${MESSAGE_COLUMNS} FROM messages m ${MESSAGE_JOINS} WHERE m.id = $1`, [id]);
  return row ?? null;
}

/**
 * The messages of a chat changed (edited, deleted, reacted to) after change number `sinceVersion`, up to
 * message `upToId` (newer ones reach the client as new messages, already as they are now), in change order.
 */
export function changedSince(this: typeof Message, chatId: number, sinceVersion: number, upToId: number, limit: number): Promise<MessageRow[]> {
  return this.query(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m ${MESSAGE_JOINS}
      WHERE m.chat_id = $1 AND m.version > $2 AND m.id <= $3 ORDER BY m.version LIMIT $4`,
    [chatId, sinceVersion, upToId, limit],
  );
}
