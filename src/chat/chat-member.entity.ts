// Membership of a user in a chat, with their read position for unread counts.
import {
  BaseEntity, Column, CreateDateColumn, Entity, In, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique,
  type Relation,
} from "typeorm";
import type { User } from "../auth/user.entity";
import type { Chat } from "./chat.entity";

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

  static isMember(userId: number, chatId: number): Promise<boolean> {
    return ChatMember.existsBy({ chatId, userId });
  }

  /** Which of `chatIds` the user is a member of now: one query for all of a socket's chat rooms. */
  static async memberChatIds(userId: number, chatIds: number[]): Promise<Set<number>> {
    if (!chatIds.length) return new Set();
    const rows = await ChatMember.find({ select: { chatId: true }, where: { userId, chatId: In(chatIds) } });
    return new Set(rows.map((r) => r.chatId));
  }
}
