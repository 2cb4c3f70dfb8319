// A stored photo: a re-encoded web-size file and a square thumbnail under MEDIA_ROOT (relative paths only).
import crypto from "node:crypto";
import {
  BaseEntity, Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, In, IsNull, Not, type DataSource, type EntityManager,
  type Relation,
} from "typeorm";
import { prepared } from "../db/prepared";
import { deleteReturning } from "../db/sql";
import { Gallery } from "./gallery.entity";

@Entity("images")
@Index("images_gallery_id_idx", ["galleryId", "id"])
// A message's photos in order (the chat page), and the media check's probe from a photo to its message.
@Index("images_message_id_idx", ["messageId", "position"], { where: "message_id IS NOT NULL" })
// In a gallery or sent with a chat message: exactly one of the two.
@Check("images_gallery_or_message", `("gallery_id" IS NULL) <> ("message_id" IS NULL)`)
export class Image extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  /** The gallery it is in; null for a chat photo (then messageId is set: an image is in exactly one of them). */
  @Column({ name: "gallery_id", type: "int", nullable: true })
  galleryId: number | null;

  @ManyToOne(() => Gallery, { onDelete: "CASCADE" })
  @JoinColumn({ name: "gallery_id" })
  gallery: Relation<Gallery>;

  @Index("images_owner_id_idx")
  @Column({ name: "owner_id", type: "int" })
  ownerId: number;

  // Named by string and typed by its id alone: users (auth) hold galleries and pictures, so the gallery, below
  // them, names no auth type (the import graph has no circle).
  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "owner_id" })
  owner: Relation<{ id: number }>;

  /** Web-size re-encoded file, relative to MEDIA_ROOT. Unique: /media finds the image by it. */
  @Index("images_path_key", { unique: true })
  @Column({ type: "varchar", length: 255 })
  path: string;

  /** Square thumbnail, relative to MEDIA_ROOT; its random name is not the web file's, so one does not lead to the other. */
  @Index("images_thumb_path_key", { unique: true })
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

  /** The owner's words for the photo ("" for none): the photo page's title and the image's alt text. */
  @Column({ type: "varchar", length: 300, default: "" })
  caption: string;

  /**
   * The chat message it was sent with (a chat photo: seen by that chat's current members only, gone with the
   * message); null for a gallery photo. Named by string, like the owner: the chat sits above the gallery.
   */
  @Column({ name: "message_id", type: "int", nullable: true })
  messageId: number | null;

  @ManyToOne("Message", { onDelete: "CASCADE", nullable: true })
  @JoinColumn({ name: "message_id" })
  message: Relation<{ id: number }> | null;

  /** Its place among its message's photos (0 for a gallery photo). */
  @Column({ type: "smallint", default: 0 })
  position: number;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /**
   * The photos beside one in its gallery, in the gallery's order (newest first): `newer` is the one before it,
   * `older` the one after; null at either end. One statement, two index probes.
   */
  static async neighbours(galleryId: number, id: number): Promise<{ newer: number | null; older: number | null }> {
    const [row]: { newer: number | null; older: number | null }[] = await Image.query(
      `SELECT (SELECT id FROM images WHERE gallery_id = $1 AND id > $2 ORDER BY id ASC LIMIT 1) AS newer,
              (SELECT id FROM images WHERE gallery_id = $1 AND id < $2 ORDER BY id DESC LIMIT 1) AS older`,
      [galleryId, id],
    );
    return row;
  }

  /** Sets the caption of one of the owner's photos; false when it is not theirs (a 404 for the caller). */
  static async setCaption(id: number, ownerId: number, caption: string): Promise<boolean> {
    const result = await Image.update({ id, ownerId, galleryId: Not(IsNull()) }, { caption });
    return (result.affected ?? 0) > 0;
  }

  /** One of the owner's gallery images, or null: another user's image (or a chat photo) is simply not found. */
  static findOwned(id: number, ownerId: number): Promise<Image | null> {
    return Image.findOne({ where: { id, ownerId, galleryId: Not(IsNull()) } });
  }

  /**
   * Who may fetch a stored file, decided in one statement from the file's relative path and the request's session
   * id: the viewer is the session's active user (nobody when logged out), and the answer is the file's image id,
   * or nothing (404). The owner sees every file of their gallery (a chat photo is the chat's: its sender loses it
   * with the chat, like everyone else), staff see every file; any logged-in user sees the thumbnail of a profile or
   * group picture (never its full-size original); `extraRules` are SQL conditions other features add (e.g. a chat
   * photo for that chat's members), on `i` (the image) and `viewer.id`. Each lookup is an index probe. Runs on the
   * app's own DataSource (as the session store does), not the entities' global one.
   */
  static mediaAccess(ds: DataSource, extraRules: string[] = []): (rel: string, sid: string | null) => Promise<{ id: number; thumb: boolean } | null> {
    // Prepared (src/db/prepared.ts): planning this statement cost ~4x what running it does (about 250 against 60 µs),
    // on every thumbnail of every gallery page. Extra rules make another text, so another name.
    const name = extraRules.length ? `media_access_${crypto.createHash("sha256").update(extraRules.join("\n")).digest("hex").slice(0, 12)}` : "media_access";
    const sql = prepared(name, `SELECT i.id, i.thumb_path = $1 AS thumb
         FROM images i
         JOIN LATERAL (
           SELECT u.id, u.is_staff FROM session s JOIN users u ON u.is_active
              AND u.id = CASE WHEN s.sess -> 'passport' ->> 'user' ~ '^[0-9]{1,9}$' THEN (s.sess -> 'passport' ->> 'user')::int END
            WHERE s.sid = $2 AND s.expire > now()
         ) viewer ON true
        WHERE (i.path = $1 OR i.thumb_path = $1)
          AND ((viewer.id = i.owner_id AND i.gallery_id IS NOT NULL) OR viewer.is_staff
               OR (i.thumb_path = $1 AND (EXISTS (SELECT 1 FROM users pu WHERE pu.profile_picture_id = i.id)
                                          OR EXISTS (SELECT 1 FROM chats pc WHERE pc.profile_picture_id = i.id)))
               ${extraRules.map((r) => `OR (${r})`).join("\n               ")})`);
    return async (rel, sid) => {
      if (!sid) return null;
      const [row]: { id: number; thumb: boolean }[] = await ds.query(sql, [rel, sid]);
      return row ?? null;
    };
  }

  /** A page of a gallery, newest first, with the total count. */
  static pageOf(galleryId: number, page: number, perPage: number): Promise<[Image[], number]> {
    return Image.findAndCount({ where: { galleryId }, order: { id: "DESC" }, skip: (page - 1) * perPage, take: perPage });
  }

  static readonly COUNT = "SELECT count(*) FROM images";

  /** A user's images, for counts; `ownerId` is an SQL expression (a parameter, or a column of the outer query). */
  static countOf(ownerId: string): string {
    return `SELECT count(*) FROM images WHERE owner_id = ${ownerId}`;
  }

  /** "Download my data": the user's photos (gallery and chat photos alike) after `afterId`, oldest first, a batch at a time. */
  static exportBatch(ownerId: number, afterId: number, limit: number): Promise<ImageExport[]> {
    return Image.query(
      `SELECT i.id, i.path, i.original_name AS "originalName", i.caption, i.width, i.height, i.bytes, i.created_at AS "createdAt",
              i.id IS NOT DISTINCT FROM u.profile_picture_id AS "isProfilePicture", i.gallery_id IS NOT DISTINCT FROM u.gallery_id AS "inGallery",
              i.message_id AS "messageId"
         FROM images i JOIN users u ON u.id = i.owner_id
        WHERE i.owner_id = $1 AND i.id > $2 ORDER BY i.id LIMIT $3`,
      [ownerId, afterId, limit],
    );
  }

  /** For moderation: everyone's images (or one owner's), newest first, with the owner's name. */
  static moderationPage(window: { limit: number; offset: number }, ownerId?: number): Promise<ImageListing[]> {
    return Image.query(
      `SELECT i.id, i.path, i.thumb_path AS "thumbPath", i.original_name AS "originalName", i.width, i.height, i.bytes,
              i.created_at AS "createdAt", u.id AS "userId", u.username
       FROM images i JOIN users u ON u.id = i.owner_id
       WHERE $3::int IS NULL OR i.owner_id = $3
       ORDER BY i.id DESC LIMIT $1 OFFSET $2`,
      [window.limit, window.offset, ownerId ?? null],
    );
  }

  /**
   * Deletes one image row, the owner's own when `ownerId` is given (anyone else's is simply not found), in the
   * caller's transaction. Its files are the caller's to remove once this has committed. Null when nothing matched.
   */
  static deleteReturning(em: EntityManager, id: number, ownerId?: number): Promise<DeletedImage | null> {
    const where = ownerId === undefined ? "id = :id" : "id = :id AND owner_id = :ownerId AND gallery_id IS NOT NULL";
    return deleteReturning(em, Image, where, { id, ownerId }, `owner_id AS "ownerId", path, thumb_path AS "thumbPath", original_name AS "originalName"`);
  }


  /** Deletes those of `ids` the owner owns (others' are simply not matched), in the caller's transaction; their files. */
  static async deleteManyOwned(em: EntityManager, ids: number[], ownerId: number): Promise<{ path: string; thumbPath: string }[]> {
    const [rows]: [{ path: string; thumbPath: string }[], number] = await em.query(
      `DELETE FROM images WHERE id = ANY($1::int[]) AND owner_id = $2 AND gallery_id IS NOT NULL RETURNING path, thumb_path AS "thumbPath"`,
      [ids, ownerId],
    );
    return rows;
  }

  /** The owner's photos among `ids`, newest first (for the bulk delete's confirmation). */
  static ownedAmong(ids: number[], ownerId: number): Promise<Image[]> {
    return Image.find({ where: { id: In(ids), ownerId, galleryId: Not(IsNull()) }, order: { id: "DESC" } });
  }

  /** The files of everything a user uploaded or holds in their gallery, read before the user is deleted. */
  static filesOfUser(em: EntityManager, ownerId: number, galleryId: number): Promise<{ path: string; thumbPath: string }[]> {
    return em.find(Image, { select: { path: true, thumbPath: true }, where: [{ ownerId }, { galleryId }] });
  }

  /** Deletes a chat message's photos in the caller's transaction; their files, for the caller to remove after commit. */
  static async deleteOfMessage(em: EntityManager, messageId: number): Promise<string[]> {
    const [rows]: [{ path: string; thumbPath: string }[], number] = await em.query(
      `DELETE FROM images WHERE message_id = $1 RETURNING path, thumb_path AS "thumbPath"`,
      [messageId],
    );
    return rows.flatMap((r) => [r.path, r.thumbPath]);
  }

  /** The files of every photo sent in a chat (read before the chat is deleted: the rows go with it). */
  static async filesOfChat(em: EntityManager, chatId: number): Promise<string[]> {
    const rows: { path: string; thumbPath: string }[] = await em.query(
      `SELECT i.path, i.thumb_path AS "thumbPath" FROM messages m JOIN images i ON i.message_id = m.id WHERE m.chat_id = $1`,
      [chatId],
    );
    return rows.flatMap((r) => [r.path, r.thumbPath]);
  }

  /** Which of these relative paths (web files or thumbnails) an image row names. */
  static async namedPaths(rels: string[]): Promise<Set<string>> {
    const rows: { path: string }[] = await Image.query(
      `SELECT path FROM images WHERE path = ANY($1) UNION SELECT thumb_path FROM images WHERE thumb_path = ANY($1)`,
      [rels],
    );
    return new Set(rows.map((r) => r.path));
  }
}

export interface DeletedImage {
  ownerId: number;
  path: string;
  thumbPath: string;
  originalName: string;
}

/** An image as the admin site lists it. */
export interface ImageListing {
  id: number;
  path: string;
  thumbPath: string;
  originalName: string;
  width: number;
  height: number;
  bytes: number;
  createdAt: Date;
  userId: number;
  username: string;
}

/** A photo as "Download my data" lists it (the file is at `path` under MEDIA_ROOT). */
export interface ImageExport {
  id: number;
  path: string;
  originalName: string;
  caption: string;
  width: number;
  height: number;
  bytes: number;
  createdAt: Date;
  isProfilePicture: boolean;
  inGallery: boolean;
  /** A photo sent in a chat: the message it went with. */
  messageId: number | null;
}
