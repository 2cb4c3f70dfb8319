// A conversation: either a direct chat between two users (directKey set) or a named group chat.
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation,
} from "typeorm";
import type { User } from "../auth/user.entity";
import type { Image } from "../gallery/image.entity";

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

  @Index("chats_last_message_at_idx")
  @Column({ name: "last_message_at", type: "timestamptz", nullable: true })
  lastMessageAt: Date | null;
}
