// "@username" in a chat message, for the member named: the chat list shows an "@" while one is unread.
import { BaseEntity, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from "typeorm";
import type { User } from "../auth/user.entity";
import type { Chat } from "./chat.entity";
import type { Message } from "./message.entity";

@Entity("message_mentions")
@Unique("message_mentions_message_id_user_id_key", ["messageId", "userId"])
@Index("message_mentions_user_id_chat_id_message_id_idx", ["userId", "chatId", "messageId"])
export class MessageMention extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ name: "message_id", type: "int" })
  messageId: number;

  @ManyToOne("Message", { onDelete: "CASCADE" })
  @JoinColumn({ name: "message_id" })
  message: Relation<Message>;

  @Column({ name: "chat_id", type: "int" })
  chatId: number;

  @ManyToOne("Chat", { onDelete: "CASCADE" })
  @JoinColumn({ name: "chat_id" })
  chat: Relation<Chat>;

  @Column({ name: "user_id", type: "int" })
  userId: number;

  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: Relation<User>;
}
