// Membership of a user in a chat, with their read position for unread counts.
import {
  BaseEntity, Column, CreateDateColumn, Entity, In, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique,
  type EntityManager, type Relation,
} from "typeorm";
import type { User } from "../auth/user.entity";
import type { Chat } from "./chat.entity";
import { unreadInChatSql, unreadMentionChatsSql, unreadTotalSql } from "./unread";

/** How long a chat can be muted: the mute form's choices. */
export const MUTE_HOURS = { "1h": 1, "8h": 8 } as const;
export const MUTE_CHOICES = ["1h", "8h", "forever", "off"] as const;
export type MuteChoice = (typeof MUTE_CHOICES)[number];

@Entity("chat_members")
@Unique("chat_members_chat_id_user_id_key", ["chatId", "userId"])
export class ChatMember extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ name: "chat_id", type: "int" })
  chatId: number;

  @ManyToOne("Chat", { onDelete: "CASCADE" })
  @JoinColumn({ name: "chat_id" })
  chat: Relation<Chat>;

  @Index("chat_members_user_id_idx")
  @Column({ name: "user_id", type: "int" })
  userId: number;

  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: Relation<User>;

  /** Id of the last message this member has seen; messages after it are unread. */
  @Column({ name: "last_read_message_id", type: "int", default: 0 })
  lastReadMessageId: number;

  @CreateDateColumn({ name: "joined_at", type: "timestamptz" })
  joinedAt: Date;

  /** Null: not muted; else muted until then ('infinity': until unmuted). Read through mutedSql, not as a Date. */
  @Column({ name: "muted_until", type: "timestamptz", nullable: true, select: false })
  mutedUntil: Date | null;

  /**
   * Mutes the chat for the member for `hours`, until they unmute (`"forever"`), or unmutes it (`"off"`). False
   * when they are not a member (a 404 for the caller).
   */
  static async setMute(chatId: number, userId: number, choice: MuteChoice): Promise<boolean> {
    const until = choice === "off" ? null : choice === "forever" ? "infinity" : `${MUTE_HOURS[choice]} hours`;
    const [, changed]: [unknown, number] = await ChatMember.query(
      `UPDATE chat_members SET muted_until = CASE WHEN $3::text IS NULL THEN NULL WHEN $3 = 'infinity' THEN 'infinity'::timestamptz
                                                   ELSE now() + $3::interval END
        WHERE chat_id = $1 AND user_id = $2`,
      [chatId, userId, until],
    );
    return changed > 0;
  }

  static isMember(userId: number, chatId: number): Promise<boolean> {
    return ChatMember.existsBy({ chatId, userId });
  }

  /** Which of `chatIds` the user is a member of now: one query for all of a socket's chat rooms. */
  static async memberChatIds(userId: number, chatIds: number[]): Promise<Set<number>> {
    if (!chatIds.length) return new Set();
    const rows = await ChatMember.find({ select: { chatId: true }, where: { userId, chatId: In(chatIds) } });
    return new Set(rows.map((r) => r.chatId));
  }

  /**
   * Adds people to a chat (inside the caller's transaction); returns those who were not members yet. They start
   * with everything before them already read: they can scroll through the history, but it does not light up
   * their badge.
   */
  static async addAll(em: EntityManager, chatId: number, userIds: number[]): Promise<Set<number>> {
    const rows: { user_id: number }[] = await em.query(
      `INSERT INTO chat_members (chat_id, user_id, last_read_message_id)
       SELECT $1, unnest($2::int[]), (SELECT coalesce(max(id), 0) FROM messages WHERE chat_id = $1)
       ON CONFLICT (chat_id, user_id) DO NOTHING RETURNING user_id`,
      [chatId, userIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** Ends a membership (inside the caller's transaction); the member's username, or null if there was none. */
  static async removeOne(em: EntityManager, chatId: number, userId: number): Promise<string | null> {
    const [rows]: [{ username: string }[], number] = await em.query(
      `DELETE FROM chat_members cm USING users u WHERE cm.chat_id = $1 AND cm.user_id = $2 AND u.id = cm.user_id RETURNING u.username`,
      [chatId, userId],
    );
    return rows[0]?.username ?? null;
  }

  /** The member who joined first (the next creator of a group its creator leaves), or null if nobody is left. */
  static async longestStanding(em: EntityManager, chatId: number): Promise<number | null> {
    const first = await em.findOne(ChatMember, { select: { userId: true }, where: { chatId }, order: { joinedAt: "ASC", id: "ASC" } });
    return first?.userId ?? null;
  }

  /** The member has seen everything up to `messageId` (shown to them): their position moves forward only. */
  static async readThrough(chatId: number, userId: number, messageId: number): Promise<void> {
    await ChatMember.query(
      `UPDATE chat_members SET last_read_message_id = $3 WHERE chat_id = $1 AND user_id = $2 AND last_read_message_id < $3`,
      [chatId, userId, messageId],
    );
  }

  /**
   * A reader's "read up to here" from the client: forward only and never past the chat's newest message. The new
   * position, or null when nothing moved (already read, or not a member).
   */
  static async markRead(chatId: number, userId: number, messageId: number): Promise<number | null> {
    const [rows]: [{ last_read_message_id: number }[], number] = await ChatMember.query(
      `UPDATE chat_members SET last_read_message_id = LEAST($3, (SELECT coalesce(max(id), 0) FROM messages WHERE chat_id = $1))
        WHERE chat_id = $1 AND user_id = $2 AND last_read_message_id < LEAST($3, (SELECT coalesce(max(id), 0) FROM messages WHERE chat_id = $1))
        RETURNING last_read_message_id`,
      [chatId, userId, messageId],
    );
    return rows[0]?.last_read_message_id ?? null;
  }

  /** The user's unread messages over all their chats, and the chats where one mentions them (the navbar badge). */
  static async unreadState(userId: number): Promise<{ total: number; mentionChats: number[] }> {
    const [row]: { total: number; mentionChats: number[] }[] = await ChatMember.query(
      `SELECT ${unreadTotalSql("$1::int")} AS total, ${unreadMentionChatsSql("$1::int")} AS "mentionChats"`,
      [userId],
    );
    return row;
  }

  /**
   * The members for whom message `messageId` of a chat is unread (read position before it), each with their unread
   * state as it is now: the chat's count and whether an unread message in it still mentions them, their total and
   * the chats of their navbar's "@". After a deletion, what their badges and chat lists must show. One statement.
   */
  static readersBehind(chatId: number, messageId: number): Promise<ReaderState[]> {
    return ChatMember.query(
      `SELECT cm.user_id AS "userId", ${unreadInChatSql("cm")} AS unread,
              EXISTS (SELECT 1 FROM message_mentions mm
                       WHERE mm.user_id = cm.user_id AND mm.chat_id = cm.chat_id AND mm.message_id > cm.last_read_message_id) AS mention,
              ${unreadTotalSql("cm.user_id")} AS total, ${unreadMentionChatsSql("cm.user_id")} AS "mentionChats"
         FROM chat_members cm
        WHERE cm.chat_id = $1 AND cm.last_read_message_id < $2`,
      [chatId, messageId],
    );
  }

  /** The chats a user is in, for the admin site's counts; `userId` is an SQL expression. */
  static countOf(userId: string): string {
    return `SELECT count(*) FROM chat_members WHERE user_id = ${userId}`;
  }
}

/** A member's unread state in one chat and over all their chats (see ChatMember.readersBehind). */
export interface ReaderState {
  userId: number;
  unread: number;
  mention: boolean;
  total: number;
  mentionChats: number[];
}
