// Storing a new message: the one statement every message takes (socket, form, photos). Attached to Message as
// Message.store (`this` is Message).
import type { EntityManager } from "typeorm";
import type { Message } from "./message.entity";
import { type MessageRow, REPLY_TEXT } from "./message-rows";
import { mutedSql } from "./unread";

/**
 * Stores a member's message in one statement that checks membership, locks the chat row, inserts, and moves the
 * chat's activity, newest message and the sender's read position:
 * - the chat row is locked before the INSERT takes its id and stays locked until commit, so within a chat ids
 *   are handed out in commit order, and the locked row's last_message_id is exactly the previous message
 *   (prev_id): a client can tell a gap from a reordering, and a chat:sync "after N" never skips a late commit;
 * - a retried clientId hits the (user_id, client_id) unique index and inserts nothing (ON CONFLICT DO NOTHING):
 *   id is then null;
 * - a reply keeps its reply_to_id only when that message is in the same chat (anything else is dropped: a
 *   client cannot quote a chat it cannot read);
 * - in a group, the members named in `mentions` (lower-case usernames, see mentionedNames) get a mention row.
 * allowed is false for a non-member; others lists the chat's other members (whose badges go up), mentioned
 * those of them the message mentions.
 */
export async function store(
  this: typeof Message,
  chatId: number,
  senderId: number,
  text: string,
  clientId: string | null,
  replyToId: number | null = null,
  mentions: string[] = [],
  /** The transaction to store in (a message with photos: its images are inserted in the same one). */
  em: EntityManager = this.getRepository().manager,
): Promise<StoredMessageRow> {
  const [row]: StoredMessageRow[] = await em.query(
    `WITH chat AS (
       SELECT c.id, c.is_group, c.chat_name, c.last_message_id FROM chats c
        WHERE c.id = $1 AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2)
        FOR UPDATE OF c
     ), ins AS (
       INSERT INTO messages (chat_id, user_id, message, client_id, reply_to_id)
       SELECT id, $2, $3, $4, (SELECT r.id FROM messages r WHERE r.id = $5 AND r.chat_id = $1) FROM chat
       ON CONFLICT (user_id, client_id) DO NOTHING
       RETURNING id, chat_id, user_id, message, client_id, created_at, reply_to_id
     ), bump AS (
       UPDATE chats c SET last_message_id = ins.id, last_message_at = GREATEST(c.last_message_at, ins.created_at)
         FROM ins WHERE c.id = ins.chat_id
     ), seen AS (
       UPDATE chat_members cm SET last_read_message_id = ins.id FROM ins
        WHERE cm.chat_id = ins.chat_id AND cm.user_id = ins.user_id AND cm.last_read_message_id < ins.id
     ), named AS (
       INSERT INTO message_mentions (message_id, chat_id, user_id)
       SELECT ins.id, ins.chat_id, cm.user_id FROM ins
         JOIN chat ON chat.is_group
         JOIN chat_members cm ON cm.chat_id = ins.chat_id AND cm.user_id <> ins.user_id
         JOIN users mu ON mu.id = cm.user_id
        WHERE cardinality($6::text[]) > 0 AND lower(mu.username) = ANY($6::text[])
       RETURNING user_id
     )
     SELECT EXISTS (SELECT 1 FROM chat) AS allowed, (SELECT is_group FROM chat) AS is_group, (SELECT chat_name FROM chat) AS chat_name,
            (SELECT last_message_id FROM chat) AS prev_id,
            m.id, m.chat_id, m.user_id, m.message, m.client_id, m.created_at, u.username, i.thumb_path AS avatar,
            NULL::timestamptz AS edited_at, NULL::timestamptz AS deleted_at, 0 AS version, NULL::json AS reactions, NULL::json AS photos,
            m.reply_to_id, ru.username AS reply_username, ${REPLY_TEXT} AS reply_text, rm.deleted_at IS NOT NULL AS reply_deleted,
            (SELECT array_agg(user_id) FROM chat_members cm WHERE chat_id = $1 AND user_id <> $2 AND NOT ${mutedSql("cm")}) AS others,
            (SELECT array_agg(user_id) FROM chat_members cm WHERE chat_id = $1 AND user_id <> $2 AND ${mutedSql("cm")}) AS muted_others,
            (SELECT array_agg(user_id) FROM named) AS mentioned
       FROM (SELECT 1) one
       LEFT JOIN ins m ON true
       LEFT JOIN users u ON u.id = m.user_id
       LEFT JOIN images i ON i.id = u.profile_picture_id
       LEFT JOIN messages rm ON rm.id = m.reply_to_id
       LEFT JOIN users ru ON ru.id = rm.user_id`,
    [chatId, senderId, text, clientId, replyToId, mentions],
  );
  return row;
}

/**
 * What Message.store answers: the stored message (all null on a retry), and what the broadcast needs to know.
 * `others`: the members to alert; `muted_others`: members who muted the chat (their list updates, quietly).
 */
export type StoredMessageRow = MessageRow & {
  allowed: boolean;
  is_group: boolean | null;
  chat_name: string | null;
  prev_id: number | null;
  others: number[] | null;
  muted_others: number[] | null;
  mentioned: number[] | null;
};
