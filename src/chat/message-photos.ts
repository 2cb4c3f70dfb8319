// Chat photos as messages carry them: the photo page's query (Message.photoFor, `this` is Message) and the
// media check's rule for their files.
import type { Message } from "./message.entity";

/**
 * A chat photo as a member sees it (the photo page): the image, its message (caption, author, time) and the
 * ids of the message's photos in order; null for anyone who is not a member of that chat now, a photo of
 * another chat, or a deleted one.
 */
export async function photoFor(this: typeof Message, imageId: number, chatId: number, userId: number): Promise<ChatPhotoRow | null> {
  const [row]: ChatPhotoRow[] = await this.query(
    `SELECT i.id, i.path, i.width, i.height, i.created_at AS "createdAt", m.id AS "messageId", m.message AS caption,
            m.created_at AS "sentAt", u.username AS sender,
            (SELECT array_agg(s.id ORDER BY s.position) FROM images s WHERE s.message_id = m.id) AS siblings
       FROM images i
       JOIN messages m ON m.id = i.message_id AND m.chat_id = $2 AND m.deleted_at IS NULL
       JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = $3
       JOIN users u ON u.id = m.user_id
      WHERE i.id = $1`,
    [imageId, chatId, userId],
  );
  return row ?? null;
}

/** A chat photo with its message, for the photo page. */
export interface ChatPhotoRow {
  id: number;
  path: string;
  width: number;
  height: number;
  createdAt: Date;
  messageId: number;
  caption: string;
  sentAt: Date;
  sender: string;
  siblings: number[];
}

/**
 * The media check's rule for chat photos (Image.mediaAccess): the file of a photo sent in a chat is served to that
 * chat's members as they are now (a removed member, or one who left, loses it at once), while the message is not
 * deleted. Two index probes: the
 * message by id, the membership by (chat_id, user_id).
 */
export const CHAT_PHOTO_ACCESS = `i.message_id IS NOT NULL AND EXISTS (
  SELECT 1 FROM messages pm JOIN chat_members pcm ON pcm.chat_id = pm.chat_id AND pcm.user_id = viewer.id
   WHERE pm.id = i.message_id AND pm.deleted_at IS NULL)`;
