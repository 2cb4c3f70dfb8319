// A conversation: either a direct chat between two users (directKey set) or a named group chat.
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type EntityManager,
  type Relation,
} from "typeorm";
import type { User } from "../auth/user.entity";
import type { Image } from "../gallery/image.entity";
import { mutedSql, unreadInChatSql } from "./unread";

// A group chat's picture may be changed by its creator and by its members (as in the app Hromada re-implements).
const CAN_EDIT_PICTURE = `c.is_group AND (c.creator_id = :userId OR EXISTS (
  SELECT 1 FROM chat_members m WHERE m.chat_id = c.id AND m.user_id = :userId))`;

@Entity("chats")
export class Chat extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ name: "chat_name", type: "varchar", length: 100, nullable: true })
  chatName: string | null;

  @Column({ name: "is_group", type: "boolean", default: false })
  isGroup: boolean;

  /** "<smaller user id>:<larger user id>" for direct chats; the unique index makes "start a chat" race-free. */
  @Column({ name: "direct_key", type: "varchar", length: 40, nullable: true, unique: true })
  directKey: string | null;

  // Indexed: /media asks whether an image is a group's picture (visible to every logged-in user).
  @Index("chats_profile_picture_id_idx")
  @Column({ name: "profile_picture_id", type: "int", nullable: true })
  profilePictureId: number | null;

  @ManyToOne("Image", { onDelete: "SET NULL", nullable: true })
  @JoinColumn({ name: "profile_picture_id" })
  profilePicture: Relation<Image> | null;

  @Column({ name: "creator_id", type: "int", nullable: true })
  creatorId: number | null;

  @ManyToOne("User", { onDelete: "SET NULL", nullable: true })
  @JoinColumn({ name: "creator_id" })
  creator: Relation<User> | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /**
   * The newest message's id, set under this row's lock as each message is stored: live messages carry their
   * predecessor's id from here, so clients detect gaps (0 before the first message).
   */
  @Column({ name: "last_message_id", type: "int", default: 0 })
  lastMessageId: number;

  /** Numbers the edits, deletions and reactions of the chat's messages, under this row's lock (messages.version). */
  @Column({ name: "change_seq", type: "int", default: 0 })
  changeSeq: number;

  @Index("chats_last_message_at_idx")
  @Column({ name: "last_message_at", type: "timestamptz", nullable: true })
  lastMessageAt: Date | null;

  /**
   * A user's chats, most recent activity first, each with its last message and unread count: one statement
   * (lateral joins), however many chats there are. A direct chat nobody has written in yet is listed only for the
   * person who opened it: it reaches the other person's list with its first message.
   */
  static listFor(userId: number, limit: number, offset = 0): Promise<ChatListRow[]> {
    return Chat.query(
      `SELECT c.id, c.chat_name, c.is_group, COALESCE(c.last_message_at, c.created_at) AS activity_at,
              ci.thumb_path AS avatar,
              other.id AS other_id, other.username AS other_username, other.avatar AS other_avatar,
              last.id AS last_id, last.message AS last_text, last.user_id AS last_user_id, last.username AS last_username,
              last.deleted AS last_deleted,
              ${unreadInChatSql("me")} AS unread, ${mutedSql("me")} AS muted,
              EXISTS (SELECT 1 FROM message_mentions mm
                       WHERE mm.user_id = me.user_id AND mm.chat_id = c.id AND mm.message_id > me.last_read_message_id) AS mentioned,
              (SELECT count(*)::int FROM chat_members mc WHERE mc.chat_id = c.id) AS member_count
         FROM chat_members me
         JOIN chats c ON c.id = me.chat_id
         LEFT JOIN images ci ON ci.id = c.profile_picture_id
         LEFT JOIN LATERAL (
           SELECT u.id, u.username, i.thumb_path AS avatar
             FROM chat_members o JOIN users u ON u.id = o.user_id LEFT JOIN images i ON i.id = u.profile_picture_id
            WHERE o.chat_id = c.id AND o.user_id <> me.user_id
            ORDER BY o.id LIMIT 1
         ) other ON NOT c.is_group
         LEFT JOIN LATERAL (
           SELECT m.id, left(m.message, 200) AS message, m.user_id, u.username, m.deleted_at IS NOT NULL AS deleted
             FROM messages m JOIN users u ON u.id = m.user_id
            WHERE m.chat_id = c.id ORDER BY m.id DESC LIMIT 1
         ) last ON true
        WHERE me.user_id = $1 AND (c.is_group OR last.id IS NOT NULL OR c.creator_id = me.user_id)
        ORDER BY activity_at DESC, c.id DESC
        LIMIT $2 OFFSET $3`,
      [userId, limit, offset],
    );
  }

  /** The chat as its member `userId` sees it (with every member), or nothing if they are not a member. */
  static async forMember(chatId: number, userId: number): Promise<ChatMemberView | null> {
    const rows: ChatMemberView[] = await Chat.query(
      `SELECT c.id, c.chat_name, c.is_group, c.creator_id, c.created_at, ci.thumb_path AS avatar, c.change_seq,
              me.last_read_message_id, ${unreadInChatSql("me")} AS unread, ${mutedSql("me")} AS muted,
              CASE WHEN ${mutedSql("me")} AND me.muted_until <> 'infinity' THEN me.muted_until END AS muted_until,
              (SELECT json_agg(json_build_object('id', u.id, 'username', u.username, 'avatar', i.thumb_path,
                                                 'lastRead', cm.last_read_message_id)
                               ORDER BY lower(u.username))
                 FROM chat_members cm JOIN users u ON u.id = cm.user_id LEFT JOIN images i ON i.id = u.profile_picture_id
                WHERE cm.chat_id = c.id) AS members
         FROM chats c
         JOIN chat_members me ON me.chat_id = c.id AND me.user_id = $2
         LEFT JOIN images ci ON ci.id = c.profile_picture_id
        WHERE c.id = $1`,
      [chatId, userId],
    );
    return rows[0] ?? null;
  }

  /**
   * The direct chat between two people, created on first use; null when the other person is not an active user.
   * The unique direct_key ("<min>:<max>") settles a race: of two simultaneous first messages, one INSERT wins and
   * the other waits for it, does nothing and reads the winner's chat.
   */
  static async openDirect(userId: number, otherId: number): Promise<number | null> {
    const key = `${Math.min(userId, otherId)}:${Math.max(userId, otherId)}`;
    const [row]: { created_id: number | null; other_ok: boolean }[] = await Chat.query(
      `WITH other AS (SELECT id FROM users WHERE id = $2 AND is_active),
            c AS (
              INSERT INTO chats (is_group, direct_key, creator_id) SELECT false, $3, $1 FROM other
              ON CONFLICT (direct_key) DO NOTHING RETURNING id
            ),
            m AS (INSERT INTO chat_members (chat_id, user_id) SELECT c.id, u FROM c, unnest(ARRAY[$1::int, $2::int]) u)
       SELECT (SELECT id FROM c) AS created_id, EXISTS (SELECT 1 FROM other) AS other_ok`,
      [userId, otherId, key],
    );
    if (!row.other_ok) return null;
    if (row.created_id) return row.created_id;
    const existing = await Chat.findOneOrFail({ select: { id: true }, where: { directKey: key } });
    return existing.id;
  }

  /** A new group (inside the caller's transaction, which adds its members); its id. */
  static async createGroup(em: EntityManager, name: string, creatorId: number): Promise<number> {
    const { identifiers } = await em.insert(Chat, { chatName: name, isGroup: true, creatorId });
    return identifiers[0].id as number;
  }

  /** Only a group's creator renames it: false for anyone else and for direct chats. */
  static async renameAsCreator(chatId: number, creatorId: number, name: string): Promise<boolean> {
    const { affected } = await Chat.createQueryBuilder()
      .update()
      .set({ chatName: name })
      .where("id = :chatId AND is_group AND creator_id = :creatorId", { chatId, creatorId })
      .execute();
    return affected === 1;
  }

  /** Locks a group for its creator until the caller's transaction ends; false when it is not their group. */
  static async lockAsCreator(em: EntityManager, chatId: number, creatorId: number): Promise<boolean> {
    const rows: unknown[] = await em.query(`SELECT 1 FROM chats WHERE id = $1 AND is_group AND creator_id = $2 FOR UPDATE`, [chatId, creatorId]);
    return rows.length === 1;
  }

  /** Locks a group one of its members is leaving until the caller's transaction ends; null when it is not theirs. */
  static async lockForMember(em: EntityManager, chatId: number, userId: number): Promise<Pick<Chat, "chatName" | "creatorId"> | null> {
    const [row]: { chat_name: string; creator_id: number | null }[] = await em.query(
      `SELECT c.chat_name, c.creator_id FROM chats c
        WHERE c.id = $1 AND c.is_group AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2)
        FOR UPDATE`,
      [chatId, userId],
    );
    return row ? { chatName: row.chat_name, creatorId: row.creator_id } : null;
  }

  // Used by the admin site (moderation and counts) and the people directory.

  static readonly COUNT = "SELECT count(*) FROM chats";

  /** Locks, in id order, the chats whose newest message is `userId`'s: their last_message_id moves when the user goes. */
  static async lockWithLastMessageBy(em: EntityManager, userId: number): Promise<number[]> {
    const chats = await em
      .createQueryBuilder(Chat, "c")
      .select("c.id")
      .where("c.last_message_id IN (SELECT id FROM messages WHERE user_id = :userId)", { userId })
      .orderBy("c.id")
      .setLock("pessimistic_write")
      .getMany();
    return chats.map((c) => c.id);
  }

  /** Points last_message_id back at each chat's newest remaining message (0 when none is left). */
  static async repointLastMessage(em: EntityManager, chatIds: number[]): Promise<void> {
    if (!chatIds.length) return;
    await em
      .createQueryBuilder()
      .update(Chat)
      .set({ lastMessageId: () => "COALESCE((SELECT max(m.id) FROM messages m WHERE m.chat_id = chats.id), 0)" })
      .where("id = ANY(:chatIds)", { chatIds })
      .execute();
  }

  /** The direct chat between `viewerId` and `otherId` that the viewer is still a member of, if any. */
  static async directIdOf(viewerId: number, otherId: number): Promise<number | null> {
    const chat = await Chat.createQueryBuilder("c")
      .select("c.id")
      .where("c.direct_key = :key", { key: `${Math.min(viewerId, otherId)}:${Math.max(viewerId, otherId)}` })
      .andWhere("EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = c.id AND cm.user_id = :viewerId)", { viewerId })
      .getOne();
    return chat?.id ?? null;
  }

  // The group picture (src/chat/chat-avatar.*): whoever may change it, per CAN_EDIT_PICTURE.

  /** A group chat `userId` may change the picture of, with its current picture; null otherwise. */
  static findForPictureEdit(chatId: number, userId: number): Promise<Chat | null> {
    return Chat.createQueryBuilder("c")
      .leftJoinAndSelect("c.profilePicture", "p")
      .where(`c.id = :chatId AND ${CAN_EDIT_PICTURE}`, { chatId, userId })
      .getOne();
  }

  /** Sets or clears (null) the picture if `userId` may; false otherwise. In the caller's transaction when given one. */
  static async setPicture(chatId: number, userId: number, imageId: number | null, em: EntityManager = Chat.getRepository().manager): Promise<boolean> {
    const res = await em
      .createQueryBuilder()
      .update(Chat)
      .set({ profilePictureId: imageId })
      .where(`id IN (SELECT c.id FROM chats c WHERE c.id = :chatId AND ${CAN_EDIT_PICTURE})`, { chatId, userId })
      .execute();
    return !!res.affected;
  }
}

export interface ChatListRow {
  id: number;
  chat_name: string | null;
  is_group: boolean;
  activity_at: Date;
  avatar: string | null;
  other_id: number | null;
  other_username: string | null;
  other_avatar: string | null;
  last_id: number | null;
  last_text: string | null;
  last_user_id: number | null;
  last_username: string | null;
  last_deleted: boolean | null;
  unread: number;
  mentioned: boolean;
  /** The reader muted this chat (its unread count is shown muted and left out of the total). */
  muted: boolean;
  member_count: number;
}

export interface ChatMemberView {
  id: number;
  chat_name: string | null;
  is_group: boolean;
  creator_id: number | null;
  created_at: Date;
  avatar: string | null;
  change_seq: number;
  last_read_message_id: number;
  unread: number;
  muted: boolean;
  /** When the reader's mute ends; null when not muted or muted until they unmute. */
  muted_until: Date | null;
  members: { id: number; username: string; avatar: string | null; lastRead: number }[] | null;
}
