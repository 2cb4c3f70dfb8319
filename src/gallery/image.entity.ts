// A stored photo: a re-encoded web-size file and a square thumbnail under MEDIA_ROOT (relative paths only).
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation,
} from "typeorm";
import { Gallery } from "./gallery.entity";
import type { User } from "../auth/user.entity";

@Entity("images")
@Index("images_gallery_id_idx", ["galleryId", "id"])
export class Image extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ name: "gallery_id", type: "int" })
  galleryId: number;

  @ManyToOne(() => Gallery, { onDelete: "CASCADE" })
  @JoinColumn({ name: "gallery_id" })
  gallery: Relation<Gallery>;

  @Index("images_owner_id_idx")
  @Column({ name: "owner_id", type: "int" })
  ownerId: number;

  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "owner_id" })
  owner: Relation<User>;

  /** Web-size re-encoded file, relative to MEDIA_ROOT. */
  @Column({ type: "varchar", length: 255 })
  path: string;

  /** Square thumbnail, relative to MEDIA_ROOT. */
  @Column({ name: "thumb_path", type: "varchar", length: 255 })
  thumbPath: string;

  @Column({ type: "int" })
  width: number;

  @Column({ type: "int" })
  height: number;

  @Column({ type: "int" })
  bytes: number;

  /** The uploader's file name, for display only (never used on disk). */
  @Column({ name: "original_name", type: "varchar", length: 255, default: "" })
  originalName: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /** One of the owner's images, or null: another user's image is simply not found. */
  static findOwned(id: number, ownerId: number): Promise<Image | null> {
    return Image.findOne({ where: { id, ownerId } });
  }

  /** A page of a gallery, newest first, with the total count. */
  static pageOf(galleryId: number, page: number, perPage: number): Promise<[Image[], number]> {
    return Image.findAndCount({ where: { galleryId }, order: { id: "DESC" }, skip: (page - 1) * perPage, take: perPage });
  }
}
