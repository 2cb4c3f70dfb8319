// A member's reaction to a chat message: one row per (message, user, emoji), so a retried toggle cannot count twice.
import {
  BaseEntity, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation,
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

  /**
   * A member adds (on) or removes (off) one reaction, in ONE statement: it locks the chat row (as a send does,
   * so changes get their numbers in commit order), checks membership and that the message is in the chat and not
   * deleted, changes the row, and only if something changed takes the chat's next change number for the message.
   * One statement, not a transaction of several: the chat's lock is held for one round trip, so a busy chat's
   * reactions cannot queue up holding pool connections (they did, under load, in the first version).
   * With a client id, a toggle whose id was seen before (a retry) changes nothing: the id is recorded with the
   * change (message_reaction_requests), and the sender's rows older than an hour are pruned on the way.
   * version is null when nothing changed (already so, or a retry); prevVersion is the message's version before.
   */
  static async toggle(
    chatId: number,
    messageId: number,
    userId: number,
    emoji: Reaction,
    on: boolean,
    clientId: string | null = null,
  ): Promise<ReactionResult> {
    const [row]: ReactionResult[] = await MessageReaction.query(
      `WITH chat AS (
         SELECT id FROM chats WHERE id = $1 AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $3)
         FOR UPDATE
       ), msg AS (
         SELECT m.id, m.deleted_at, m.version FROM messages m JOIN chat ON chat.id = m.chat_id WHERE m.id = $2 FOR UPDATE OF m
       ), req AS (
         INSERT INTO message_reaction_requests (user_id, client_id, message_id)
         SELECT $3, $6::uuid, id FROM msg WHERE $6::uuid IS NOT NULL AND deleted_at IS NULL
         ON CONFLICT (user_id, client_id) DO NOTHING RETURNING message_id
       ), pruned AS (
         DELETE FROM message_reaction_requests
          WHERE $6::uuid IS NOT NULL AND user_id = $3 AND created_at < now() - interval '1 hour'
       ), go AS (
         SELECT id FROM msg WHERE deleted_at IS NULL AND ($6::uuid IS NULL OR EXISTS (SELECT 1 FROM req))
       ), added AS (
         INSERT INTO message_reactions (message_id, user_id, emoji)
         SELECT id, $3, $4 FROM go WHERE $5::boolean
         ON CONFLICT (message_id, user_id, emoji) DO NOTHING RETURNING id
       ), removed AS (
         DELETE FROM message_reactions r USING go
          WHERE NOT $5::boolean AND r.message_id = go.id AND r.user_id = $3 AND r.emoji = $4
         RETURNING r.id
       ), seq AS (
         UPDATE chats c SET change_seq = c.change_seq + 1 FROM chat
          WHERE c.id = chat.id AND (EXISTS (SELECT 1 FROM added) OR EXISTS (SELECT 1 FROM removed))
         RETURNING c.change_seq
       ), ver AS (
         UPDATE messages m SET version = seq.change_seq FROM seq, msg WHERE m.id = msg.id RETURNING m.version
       )
       SELECT EXISTS (SELECT 1 FROM chat) AS allowed, EXISTS (SELECT 1 FROM msg) AS found,
              coalesce((SELECT deleted_at IS NOT NULL FROM msg), false) AS deleted, (SELECT version FROM ver) AS version,
              (SELECT version FROM msg) AS "prevVersion", (SELECT username FROM users WHERE id = $3) AS username`,
      [chatId, messageId, userId, emoji, on, clientId],
    );
    return row;
  }
}

export interface ReactionResult {
  /** A member of the chat. */
  allowed: boolean;
  /** The message is in the chat. */
  found: boolean;
  deleted: boolean;
  /** The change number given to the message, or null when nothing changed. */
  version: number | null;
  /** The message's change number before. */
  prevVersion: number | null;
  /** The reacting member's username (for the others' "who reacted"). */
  username: string | null;
}
