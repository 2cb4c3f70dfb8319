// A chat message's earlier text: one row per edit, kept for moderation (staff see them in the admin site) and
// erased with the text when the message is deleted.
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation,
} from "typeorm";
import type { Message } from "./message.entity";

@Entity("message_edits")
@Index("message_edits_message_id_idx", ["messageId"])
@Unique("message_edits_message_id_client_id_key", ["messageId", "clientId"])
export class MessageEdit extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ name: "message_id", type: "int" })
  messageId: number;

  @ManyToOne("Message", { onDelete: "CASCADE" })
  @JoinColumn({ name: "message_id" })
  message: Relation<Message>;

  /** The text as it was before this edit. */
  @Column({ name: "previous_text", type: "text" })
  previousText: string;

  /** The editing client's id for this edit (a UUID): a retried edit finds it and changes nothing. */
  @Column({ name: "client_id", type: "uuid", nullable: true })
  clientId: string | null;

  @CreateDateColumn({ name: "edited_at", type: "timestamptz" })
  editedAt: Date;
}
