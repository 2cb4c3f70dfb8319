// The client ids of recent reaction toggles, one row per (user, client id): a toggle sent again (its answer was lost)
// is recognised and changes nothing, so a retried "on" that arrives after a later "off" cannot set the reaction
// again. Kept an hour (each toggle prunes its sender's older rows); retries come within seconds.
import { BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import type { User } from "../auth/user.entity";
import type { Message } from "./message.entity";

@Entity("message_reaction_requests")
export class ReactionRequest extends BaseEntity {
  @PrimaryColumn({ name: "user_id", type: "int" })
  userId: number;

  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: Relation<User>;

  @PrimaryColumn({ name: "client_id", type: "uuid" })
  clientId: string;

  // Indexed for the cascade when a message is deleted for good.
  @Index("message_reaction_requests_message_id_idx")
  @Column({ name: "message_id", type: "int" })
  messageId: number;

  @ManyToOne("Message", { onDelete: "CASCADE" })
  @JoinColumn({ name: "message_id" })
  message: Relation<Message>;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
