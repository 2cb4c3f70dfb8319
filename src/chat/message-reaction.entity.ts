// A member's reaction to a chat message: one row per (message, user, emoji), so a retried toggle cannot count twice.
import {
  BaseEntity, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type EntityManager, type Relation,
} from "typeorm";
import type { User } from "../auth/user.entity";
import type { Message } from "./message.entity";

/** The reactions on offer: a small fixed set, as the messengers people know have. */
export const REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"] as const;
export type Reaction = (typeof REACTIONS)[number];

@Entity("message_reactions")
@Unique("message_reactions_message_id_user_id_emoji_key", ["messageId", "userId", "emoji"])
export class MessageReaction extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ name: "message_id", type: "int" })
  messageId: number;

  @ManyToOne("Message", { onDelete: "CASCADE" })
  @JoinColumn({ name: "message_id" })
  message: Relation<Message>;

  @Column({ name: "user_id", type: "int" })
  userId: number;

  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: Relation<User>;

  @Column({ type: "varchar", length: 16 })
  emoji: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /** Adds (on) or removes (off) one reaction in the caller's transaction; false when it was already so. */
  static async set(em: EntityManager, messageId: number, userId: number, emoji: Reaction, on: boolean): Promise<boolean> {
    const [rows]: [unknown[], number] = on
      ? [await em.query(
          `INSERT INTO message_reactions (message_id, user_id, emoji) VALUES ($1, $2, $3)
           ON CONFLICT (message_id, user_id, emoji) DO NOTHING RETURNING id`,
          [messageId, userId, emoji],
        ), 0]
      : await em.query(`DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3 RETURNING id`, [messageId, userId, emoji]);
    return rows.length > 0;
  }
}
