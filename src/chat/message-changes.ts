// Changing a message after it was sent: its author's edit, and a deletion (its author's or staff's), each one
// statement that locks the chat. Attached to Message as Message.edit and Message.erase (`this` is Message).
import type { EntityManager } from "typeorm";
import type { Message } from "./message.entity";
import { MESSAGE_COLUMNS, MESSAGE_JOINS, type MessageRow } from "./message-rows";
import { mutedSql } from "./unread";

/**
 * Its author changes a message's text, in ONE statement (the chat's lock is held for one round trip, as a send
 * holds it): it locks the chat row (membership checked) and the message, and only if the change is allowed and
 * real (the author's, not a retry of `clientId`, not deleted, within `windowMs`, a different text) takes the
 * chat's next change number, keeps the text before in message_edits and makes the mentions follow the new text
 * (`mentions` as for store). The flags say why nothing changed; the row is the message as it is afterwards.
 * mentioned / unmentioned: the members for whom it is unread and who gained a mention (muted ones apart, in
 * muted_mentioned: their navbar's "@" leaves muted chats out, their chat list does not), or lost their chat's
 * last unread one.
 */
export async function edit(
  this: typeof Message,
  chatId: number,
  userId: number,
  id: number,
  text: string,
  clientId: string | null,
  windowMs: number,
  mentions: string[],
): Promise<ChangedMessageRow> {
  const [row]: ChangedMessageRow[] = await this.query(
    `WITH chat AS (
       SELECT c.id, c.is_group, c.last_message_id FROM chats c
        WHERE c.id = $1 AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2)
        FOR UPDATE OF c
     ), msg AS (
       SELECT m.id, m.user_id, m.message, m.deleted_at IS NOT NULL AS deleted,
              extract(epoch FROM now() - m.created_at) * 1000 < $6::float8 AS in_window,
              $5::uuid IS NOT NULL AND EXISTS (SELECT 1 FROM message_edits e WHERE e.message_id = m.id AND e.client_id = $5) AS repeated
         FROM messages m JOIN chat ON chat.id = m.chat_id WHERE m.id = $3 FOR UPDATE OF m
     ), go AS (
       SELECT * FROM msg WHERE user_id = $2 AND NOT repeated AND NOT deleted AND in_window AND message <> $4
     ), seq AS (
       UPDATE chats c SET change_seq = c.change_seq + 1 FROM go WHERE c.id = $1 RETURNING c.change_seq
     ), kept AS (
       INSERT INTO message_edits (message_id, previous_text, client_id) SELECT id, message, $5 FROM go
     ), upd AS (
       UPDATE messages m SET message = $4, edited_at = now(), version = seq.change_seq FROM seq WHERE m.id = $3
       RETURNING ${CHANGED_COLUMNS}
     ), named AS (
       SELECT cm.user_id, cm.last_read_message_id, ${mutedSql("cm")} AS muted FROM go JOIN chat ON chat.is_group
         JOIN chat_members cm ON cm.chat_id = $1 AND cm.user_id <> go.user_id
         JOIN users u ON u.id = cm.user_id
        WHERE cardinality($7::text[]) > 0 AND lower(u.username) = ANY($7::text[])
     ), unnamed AS (
       DELETE FROM message_mentions mm USING go
        WHERE mm.message_id = go.id AND mm.user_id NOT IN (SELECT user_id FROM named) RETURNING mm.user_id
     ), newly AS (
       INSERT INTO message_mentions (message_id, chat_id, user_id) SELECT $3, $1, user_id FROM named
       ON CONFLICT (message_id, user_id) DO NOTHING RETURNING user_id
     )
     SELECT ${CHANGE_FLAGS}, (SELECT repeated FROM msg) AS repeated, (SELECT in_window FROM msg) AS in_window,
            (SELECT array_agg(n.user_id) FROM newly JOIN named n USING (user_id) WHERE n.last_read_message_id < $3 AND NOT n.muted) AS mentioned,
            (SELECT array_agg(n.user_id) FROM newly JOIN named n USING (user_id) WHERE n.last_read_message_id < $3 AND n.muted) AS muted_mentioned,
            ${unmentionedSql("$1", "$3")} AS unmentioned,
            ${MESSAGE_COLUMNS}
       FROM (SELECT 1) one
       LEFT JOIN (SELECT * FROM upd UNION ALL
                  SELECT ${CHANGED_COLUMNS} FROM messages m WHERE m.id = $3 AND EXISTS (SELECT 1 FROM msg) AND NOT EXISTS (SELECT 1 FROM upd)) m ON true
       ${MESSAGE_JOINS.replace("JOIN users u", "LEFT JOIN users u")}`,
    [chatId, userId, id, text, clientId, windowMs, mentions],
  );
  return row;
}

/**
 * Deletes a message as its chat sees it, in ONE statement as edit: the row stays as a placeholder (its place in
 * the history, the replies to it), its text, earlier versions, reactions and mentions are erased. `memberId`:
 * its author (a member); null: staff (any message). previous_text is the text it had (for the audit log).
 */
export async function erase(this: typeof Message, em: EntityManager, chatId: number, memberId: number | null, id: number): Promise<ChangedMessageRow> {
  const [row]: ChangedMessageRow[] = await em.query(
    `WITH chat AS (
       SELECT c.id, c.last_message_id FROM chats c
        WHERE c.id = $1 AND ($2::int IS NULL OR EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2))
        FOR UPDATE OF c
     ), msg AS (
       SELECT m.id, m.user_id, m.message, m.deleted_at IS NOT NULL AS deleted
         FROM messages m JOIN chat ON chat.id = m.chat_id WHERE m.id = $3 FOR UPDATE OF m
     ), go AS (
       SELECT * FROM msg WHERE ($2::int IS NULL OR user_id = $2) AND NOT deleted
     ), seq AS (
       UPDATE chats c SET change_seq = c.change_seq + 1 FROM go WHERE c.id = $1 RETURNING c.change_seq
     ), edits AS (
       DELETE FROM message_edits e USING go WHERE e.message_id = go.id
     ), reactions AS (
       DELETE FROM message_reactions r USING go WHERE r.message_id = go.id
     ), unnamed AS (
       DELETE FROM message_mentions mm USING go WHERE mm.message_id = go.id RETURNING mm.user_id
     ), upd AS (
       UPDATE messages m SET message = '', deleted_at = now(), version = seq.change_seq FROM seq WHERE m.id = $3
       RETURNING ${CHANGED_COLUMNS}
     )
     SELECT ${CHANGE_FLAGS}, (SELECT message FROM msg) AS previous_text, ${unmentionedSql("$1", "$3")} AS unmentioned,
            ${MESSAGE_COLUMNS}
       FROM (SELECT 1) one
       LEFT JOIN (SELECT * FROM upd UNION ALL
                  SELECT ${CHANGED_COLUMNS} FROM messages m WHERE m.id = $3 AND EXISTS (SELECT 1 FROM msg) AND NOT EXISTS (SELECT 1 FROM upd)) m ON true
       ${MESSAGE_JOINS.replace("JOIN users u", "LEFT JOIN users u")}`,
    [chatId, memberId, id],
  );
  return row;
}

/**
 * What Message.edit and Message.erase answer: why nothing changed (allowed: a member; found: the message is in
 * the chat; author: its author's id; deleted: it was deleted before), whether it changed, and the message as it
 * is afterwards (its columns null when not found). is_last: it is the chat's newest message, whose preview the
 * chat lists show; members: then every member (whose lists follow), else null.
 */
export type ChangedMessageRow = MessageRow & {
  allowed: boolean;
  found: boolean;
  author: number | null;
  was_deleted: boolean | null;
  changed: boolean;
  is_group: boolean | null;
  is_last: boolean;
  members: number[] | null;
  repeated?: boolean | null;
  in_window?: boolean | null;
  previous_text?: string | null;
  mentioned?: number[] | null;
  muted_mentioned?: number[] | null;
  unmentioned: number[] | null;
};

/** The columns of a message row that a change's statement returns (for MESSAGE_COLUMNS over it as `m`). */
const CHANGED_COLUMNS = "m.id, m.chat_id, m.user_id, m.message, m.client_id, m.created_at, m.edited_at, m.deleted_at, m.version, m.reply_to_id";

/** What a change's statement (edit, remove) tells about itself: its CTEs chat, msg, upd (see ChangedMessageRow). */
const CHANGE_FLAGS = `EXISTS (SELECT 1 FROM chat) AS allowed, EXISTS (SELECT 1 FROM msg) AS found,
  (SELECT user_id FROM msg) AS author, (SELECT deleted FROM msg) AS was_deleted, EXISTS (SELECT 1 FROM upd) AS changed,
  (SELECT c.is_group FROM chats c WHERE c.id = (SELECT id FROM chat)) AS is_group,
  coalesce((SELECT last_message_id FROM chat) = (SELECT id FROM msg), false) AS is_last,
  CASE WHEN EXISTS (SELECT 1 FROM upd) AND (SELECT last_message_id FROM chat) = (SELECT id FROM msg)
       THEN (SELECT array_agg(cm.user_id) FROM chat_members cm WHERE cm.chat_id = (SELECT id FROM chat)) END AS members`;

/**
 * The members who lost a mention in message `id` (the statement's CTE unnamed) for whom it was unread and who
 * have no other unread mention in chat `chatId` left: their list's "@" goes.
 */
const unmentionedSql = (chatId: string, id: string) => `(SELECT array_agg(x.user_id) FROM unnamed x
  JOIN chat_members cm ON cm.chat_id = ${chatId} AND cm.user_id = x.user_id
 WHERE cm.last_read_message_id < ${id} AND NOT EXISTS (
   SELECT 1 FROM message_mentions o WHERE o.user_id = x.user_id AND o.chat_id = ${chatId} AND o.message_id <> ${id}
      AND o.message_id > cm.last_read_message_id))`;
