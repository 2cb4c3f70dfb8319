// What a chat page shows of a message, as one row: its columns and the SQL that reads them (author, avatar,
// reply quote, reactions, photos), shared by every query that hands a message to the presenter.

/**
 * A message with what a chat page shows next to it: its author's name and avatar thumbnail, the quoted message
 * of a reply, and its reactions with who reacted.
 */
export interface MessageRow {
  id: number;
  chat_id: number;
  user_id: number;
  message: string;
  client_id: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  version: number;
  username: string;
  avatar: string | null;
  reply_to_id: number | null;
  reply_username: string | null;
  reply_text: string | null;
  reply_deleted: boolean | null;
  reactions: { emoji: string; userId: number; username: string }[] | null;
  /** Its photos in order (chat photos: images.message_id), or null. */
  photos: PhotoRow[] | null;
}

export interface PhotoRow {
  id: number;
  path: string;
  thumb: string;
  width: number;
  height: number;
}

/** A reply's quote: the first line of the message it answers, shortened. */
export const REPLY_TEXT = "left(split_part(rm.message, E'\\n', 1), 120)";

export const MESSAGE_COLUMNS = `m.id, m.chat_id, m.user_id, m.message, m.client_id, m.created_at, m.edited_at, m.deleted_at, m.version,
  u.username, i.thumb_path AS avatar,
  m.reply_to_id, ru.username AS reply_username, ${REPLY_TEXT} AS reply_text, rm.deleted_at IS NOT NULL AS reply_deleted,
  (SELECT json_agg(json_build_object('emoji', r.emoji, 'userId', r.user_id, 'username', ru2.username) ORDER BY r.id)
     FROM message_reactions r JOIN users ru2 ON ru2.id = r.user_id WHERE r.message_id = m.id AND m.deleted_at IS NULL) AS reactions,
  (SELECT json_agg(json_build_object('id', p.id, 'path', p.path, 'thumb', p.thumb_path, 'width', p.width, 'height', p.height) ORDER BY p.position)
     FROM images p WHERE p.message_id = m.id) AS photos`;

export const MESSAGE_JOINS = `JOIN users u ON u.id = m.user_id LEFT JOIN images i ON i.id = u.profile_picture_id
  LEFT JOIN messages rm ON rm.id = m.reply_to_id LEFT JOIN users ru ON ru.id = rm.user_id`;
