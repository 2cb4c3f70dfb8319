// A person with an account: its columns and the queries the account itself runs (logging in, tokens, preferences,
// the avatar, two-factor state). Usernames and emails are unique case-insensitively (expression indexes in the
// migration). The queries of other ideas are attached below from their own files: the per-request lookup
// (user-lookup.ts), the admin site's lists (user-listing.ts) and the people directory (user-directory.ts).
import {
  BaseEntity, Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToOne, PrimaryGeneratedColumn,
  type EntityManager, type Relation,
} from "typeorm";
import { Gallery } from "../gallery/gallery.entity";
import { Image } from "../gallery/image.entity";
import { findActiveByName, searchActive } from "./user-directory";
import { recent, searchPage, USER_COUNT, withCounts } from "./user-listing";
import { activeLookup } from "./user-lookup";

export type { PersonRow } from "./user-directory";
export type { UserListing } from "./user-listing";
export type { ActiveLookup } from "./user-lookup";

@Entity("users")
@Check("users_theme_check", `"theme" IN ('light', 'dark')`)
// TypeORM cannot express indexes on lower(...); synchronize:false keeps the schema diff from touching them.
@Index("users_username_lower_key", { synchronize: false })
@Index("users_email_lower_key", { synchronize: false })
export class User extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ type: "varchar", length: 150 })
  username: string;

  @Column({ type: "varchar", length: 254 })
  email: string;

  @Column({ name: "password_hash", type: "varchar", length: 60, select: false })
  passwordHash: string;

  @Column({ name: "gallery_id", type: "int" })
  galleryId: number;

  @OneToOne(() => Gallery, { onDelete: "RESTRICT" })
  @JoinColumn({ name: "gallery_id" })
  gallery: Relation<Gallery>;

  // Indexed: /media asks whether an image is anyone's profile picture (visible to every logged-in user).
  @Index("users_profile_picture_id_idx")
  @Column({ name: "profile_picture_id", type: "int", nullable: true })
  profilePictureId: number | null;

  @ManyToOne(() => Image, { onDelete: "SET NULL", nullable: true })
  @JoinColumn({ name: "profile_picture_id" })
  profilePicture: Relation<Image> | null;

  @Column({ name: "is_active", type: "boolean", default: true })
  isActive: boolean;

  @Column({ name: "is_staff", type: "boolean", default: false })
  isStaff: boolean;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @Column({ name: "last_login", type: "timestamptz", nullable: true })
  lastLogin: Date | null;

  /** The language the user chose ("uk", "en"); null: Accept-Language decides (src/i18n/middleware.ts). */
  @Column({ type: "varchar", length: 16, nullable: true })
  locale: string | null;

  /** IANA time zone their times are shown in, detected by the browser at sign-up and login; null: UTC. */
  @Column({ name: "time_zone", type: "varchar", length: 64, nullable: true })
  timeZone: string | null;

  /** When the current email address was confirmed (the link mailed to it); null: not yet (see UNVERIFIED_ACCOUNTS). */
  @Column({ name: "email_verified_at", type: "timestamptz", nullable: true })
  emailVerifiedAt: Date | null;

  /** The TOTP secret (base32) while two-factor authentication is on; never selected unless asked for. */
  @Column({ name: "totp_secret", type: "varchar", length: 64, nullable: true, select: false })
  totpSecret: string | null;

  /** Two-factor authentication is on since then; null: off. */
  @Column({ name: "totp_enabled_at", type: "timestamptz", nullable: true })
  totpEnabledAt: Date | null;

  /** The 30-second step of the last code accepted: a code is good once, and never one older than that. */
  @Column({ name: "totp_last_step", type: "bigint", nullable: true, select: false })
  totpLastStep: string | null;

  /** The colour scheme the user chose ("light", "dark"); null: their system's (src/http/theme.ts). */
  @Column({ type: "varchar", length: 8, nullable: true })
  theme: string | null;

  /** Case-insensitive lookup by username or email, as people type them at the login form. */
  static findByLogin(login: string, withPassword = false): Promise<User | null> {
    const qb = User.createQueryBuilder("u")
      .where("lower(u.username) = lower(:login) OR lower(u.email) = lower(:login)", { login })
      .limit(1);
    if (withPassword) qb.addSelect("u.passwordHash");
    return qb.getOne();
  }

  /** By email, any letter case, with what a mailed token is bound to (the password hash). */
  static findByEmail(email: string): Promise<User | null> {
    return User.createQueryBuilder("u").addSelect("u.passwordHash").where("lower(u.email) = lower(:email)", { email }).getOne();
  }

  /** By id, with what a mailed token is bound to (the password hash). */
  static findForToken(id: number): Promise<User | null> {
    return User.createQueryBuilder("u").addSelect("u.passwordHash").where("u.id = :id", { id }).getOne();
  }

  /** findForToken, locked for the caller's transaction: a token is checked and spent under the lock. */
  static lockForToken(em: EntityManager, id: number): Promise<User | null> {
    return em.createQueryBuilder(User, "u").addSelect("u.passwordHash").where("u.id = :id", { id }).setLock("pessimistic_write").getOne();
  }

  /** Stores the language and/or time zone the user chose (or the browser reported); undefined leaves one as it is. */
  static async savePreferences(id: number, prefs: { locale?: string; timeZone?: string; theme?: string | null }): Promise<void> {
    const set: Partial<Pick<User, "locale" | "timeZone" | "theme">> = {};
    if (prefs.locale !== undefined) set.locale = prefs.locale;
    if (prefs.timeZone !== undefined) set.timeZone = prefs.timeZone;
    if (prefs.theme !== undefined) set.theme = prefs.theme;
    if (Object.keys(set).length) await User.update({ id }, set);
  }

  /** Users holding this username or this email (any letter case): who a sign-up or a profile change would clash with. */
  static findClashing(username: string, email: string): Promise<Pick<User, "id" | "username" | "email">[]> {
    return User.createQueryBuilder("u")
      .select(["u.id", "u.username", "u.email"])
      .where("lower(u.username) = lower(:username) OR lower(u.email) = lower(:email)", { username, email })
      .getMany();
  }

  /** By username, any letter case. */
  static findByUsername(username: string): Promise<User | null> {
    return User.createQueryBuilder("u").where("lower(u.username) = lower(:username)", { username }).getOne();
  }

  static emailTaken(email: string): Promise<boolean> {
    return User.createQueryBuilder("u").where("lower(u.email) = lower(:email)", { email }).getExists();
  }

  /** The user a session points at, on every authenticated request (user-lookup.ts). */
  static activeLookup = activeLookup;

  // The admin site's lists (user-listing.ts).
  static readonly COUNT = USER_COUNT;
  static recent = recent;
  static searchPage = searchPage;
  static withCounts = withCounts;

  // The people directory (user-directory.ts).
  static searchActive = searchActive;
  static findActiveByName = findActiveByName;

  /** Active users named (case-insensitively) among `names`: the people a form lists, e.g. a chat group's members. */
  static activeByUsernames(names: string[], em: EntityManager = User.getRepository().manager): Promise<Pick<User, "id" | "username">[]> {
    return em
      .createQueryBuilder(User, "u")
      .select(["u.id", "u.username"])
      .where("lower(u.username) = ANY(:names) AND u.isActive = true", { names: names.map((n) => n.toLowerCase()) })
      .getMany();
  }

  /** When the account's current address was confirmed, read now (a socket's handshake copy may be stale). */
  static verificationOf(id: number): Promise<Pick<User, "id" | "emailVerifiedAt"> | null> {
    return User.findOne({ select: { id: true, emailVerifiedAt: true }, where: { id } });
  }

  /** Just the id and name, or null. */
  static summary(id: number): Promise<{ id: number; username: string } | null> {
    return User.findOne({ select: { id: true, username: true }, where: { id } });
  }

  /**
   * The user, locked for the caller's transaction. The lock also holds off a concurrent upload or note for this
   * user (their FK checks wait on this row) until the change commits.
   */
  static lockForChange(em: EntityManager, id: number): Promise<User | null> {
    return em.createQueryBuilder(User, "u").where("u.id = :id", { id }).setLock("pessimistic_write").getOne();
  }

  /** Deletes the user (their notes, messages, memberships and images go by ON DELETE CASCADE), then their gallery, which users.gallery_id RESTRICTs. */
  static async deleteWithGallery(em: EntityManager, user: Pick<User, "id" | "galleryId">): Promise<void> {
    await em.delete(User, { id: user.id });
    await em.delete(Gallery, { id: user.galleryId });
  }

  static async usernameOf(em: EntityManager, id: number): Promise<string | null> {
    const user = await em.findOne(User, { select: { id: true, username: true }, where: { id } });
    return user?.username ?? null;
  }

  /**
   * Makes one of the user's own images their profile picture; false for anyone else's image (or none). The
   * ownership check is in the statement, so another user's photo is simply not found.
   */
  static async setPictureFromGallery(userId: number, imageId: number): Promise<boolean> {
    try {
      const res = await User.createQueryBuilder()
        .update()
        .set({ profilePictureId: imageId })
        // A gallery photo only: a chat photo (no gallery) is for its chat's members, and an avatar's thumbnail is everyone's.
        .where("id = :userId AND EXISTS (SELECT 1 FROM images i WHERE i.id = :imageId AND i.owner_id = :userId AND i.gallery_id IS NOT NULL)", { userId, imageId })
        .execute();
      return !!res.affected;
    } catch (err) {
      // The image was deleted between the check and the write.
      if (((err as { driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code) === "23503") return false;
      throw err;
    }
  }

  /** Sets the picture in the caller's transaction (the upload that stored it). */
  static async setPicture(em: EntityManager, userId: number, imageId: number): Promise<void> {
    await em.update(User, { id: userId }, { profilePictureId: imageId });
  }

  /** The TOTP secret and last accepted step of an account with two-factor on; null when it is off. */
  static async totpStateOf(em: EntityManager, userId: number): Promise<{ secret: string; lastStep: number | undefined } | null> {
    const [row] = await em.query(
      `SELECT totp_secret AS secret, totp_last_step AS "lastStep" FROM users WHERE id = $1 AND totp_enabled_at IS NOT NULL AND totp_secret IS NOT NULL`,
      [userId],
    );
    return row ? { secret: row.secret, lastStep: row.lastStep == null ? undefined : Number(row.lastStep) } : null;
  }

  /** Spends a TOTP step: true only if it is later than the last one spent (one conditional UPDATE, so a replay racing it loses). */
  static async spendTotpStep(em: EntityManager, userId: number, step: number): Promise<boolean> {
    const [, affected]: [unknown[], number] = await em.query(
      `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)`,
      [userId, step],
    );
    return affected > 0;
  }

  /** Back to the initials placeholder; the image stays in the gallery. */
  static async clearPicture(userId: number): Promise<void> {
    await User.update({ id: userId }, { profilePictureId: null });
  }
}
