// A person with an account. Usernames and emails are unique case-insensitively (expression indexes in the migration).
import {
  BaseEntity, Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToOne, PrimaryGeneratedColumn,
  type EntityManager, type Relation,
} from "typeorm";
import { Gallery } from "../gallery/gallery.entity";
import { Image } from "../gallery/image.entity";
import { hydrate, sqlOnce } from "../db/hot-query";
import { containsPattern, escapeLike } from "../db/sql";

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

  /**
   * The lookup of the user a session points at, if still allowed in: it runs on every authenticated request, so it is
   * exactly one indexed statement. `extras` are scalar subqueries on the user's id (an SQL expression) that other
   * features ride along, each set on the user under its name as a number: the chat's unread total for the navbar
   * badge costs no statement of its own (app.ts composes it). A query builder rather than findOne({ relations }):
   * findOne adds a LIMIT, and TypeORM turns LIMIT + JOIN into two statements. Its SQL is built once per lookup
   * (src/db/hot-query.ts) and it is a prepared statement.
   */
  static activeLookup(extras: Record<string, (userId: string) => string> = {}): ActiveLookup {
    const names = Object.keys(extras);
    const build = () => {
      const qb = User.createQueryBuilder("u").leftJoinAndSelect("u.profilePicture", "pp");
      names.forEach((name, i) => qb.addSelect(extras[name]("u.id"), `extra_${i}`));
      return qb.where("u.id = :id AND u.isActive = true", { id: 0 });
    };
    // Prepared under a name per set of extras: one lookup is made per app, but each name must keep one text.
    const sql = sqlOnce(["user_active", ...names].join("_"), build);
    const fromRow = (row: Record<string, unknown> | undefined): User | null => {
      const user = row ? hydrate(User, row, "u") : null;
      if (!user) return null;
      user.profilePicture = hydrate(Image, row!, "pp");
      // A number, or an array (an id list) as Postgres sent it.
      names.forEach((name, i) => {
        const value = row![`extra_${i}`];
        (user as unknown as Record<string, unknown>)[name] = Array.isArray(value) ? value : Number(value ?? 0);
      });
      return user;
    };
    const lookup = async (id: number) => fromRow(((await User.query(sql(), [id])) as Record<string, unknown>[])[0]);
    return Object.assign(lookup, {
      fromRow,
      joinedOn: (idExpr: string) => {
        const [text] = build().getQueryAndParameters();
        if (text.split("$1").length !== 2) throw new Error("the user lookup must use its id parameter exactly once");
        return text.replace("$1", () => idExpr); // a function: "$'" in idExpr must stay text
      },
    });
  }

  /** Active users named (case-insensitively) among `names`: the people a form lists, e.g. a chat group's members. */
  static activeByUsernames(names: string[], em: EntityManager = User.getRepository().manager): Promise<Pick<User, "id" | "username">[]> {
    return em
      .createQueryBuilder(User, "u")
      .select(["u.id", "u.username"])
      .where("lower(u.username) = ANY(:names) AND u.isActive = true", { names: names.map((n) => n.toLowerCase()) })
      .getMany();
  }

  static readonly COUNT = "SELECT count(*) FROM users";

  /** The newest sign-ups. */
  static recent(limit: number): Promise<UserListing[]> {
    return User.query(`SELECT ${LISTING} FROM users u ORDER BY u.created_at DESC, u.id DESC LIMIT $1`, [limit]);
  }

  /**
   * Users whose username or email contains `q` (everyone when q is empty), newest first, with how many match in
   * all. The count rides along as a window total; only past the last page, where no row carries it, is it counted
   * on its own.
   */
  static async searchPage(q: string, window: { limit: number; offset: number }): Promise<{ rows: UserListing[]; total: number }> {
    const pattern = q ? containsPattern(q) : null;
    const where = `WHERE $1::text IS NULL OR u.username ILIKE $1 ESCAPE '\\' OR u.email ILIKE $1 ESCAPE '\\'`;
    const found: (UserListing & { total: number })[] = await User.query(
      `SELECT ${LISTING}, count(*) OVER ()::int AS total FROM users u ${where} ORDER BY u.id DESC LIMIT $2 OFFSET $3`,
      [pattern, window.limit, window.offset],
    );
    let total = found[0]?.total ?? 0;
    if (!found.length && window.offset > 0) total = (await User.query(`SELECT count(*)::int AS n FROM users u ${where}`, [pattern]))[0].n;
    return { rows: found.map(({ total: _t, ...u }) => u), total };
  }

  /** One user with counts of what they own, in one statement; each count is a subquery on `u.id` that its feature supplies. */
  static async withCounts<K extends string>(id: number, counts: Record<K, string>): Promise<(UserListing & { counts: Record<K, number> }) | null> {
    const select = Object.entries<string>(counts).map(([name, sql]) => `(${sql})::int AS "${name}"`);
    const [row] = await User.query(`SELECT ${LISTING}, ${select.join(", ")} FROM users u WHERE u.id = $1`, [id]);
    if (!row) return null;
    const user: UserListing = { id: row.id, username: row.username, email: row.email, isActive: row.isActive, isStaff: row.isStaff, createdAt: row.createdAt, lastLogin: row.lastLogin };
    return { ...user, counts: Object.fromEntries(Object.keys(counts).map((k) => [k, row[k]])) as Record<K, number> };
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
   * Active users whose name contains `q` (any letter case), names starting with it first, with their avatar
   * thumbnail: the people directory.
   */
  static searchActive(q: string, window: { limit: number; offset: number }): Promise<PersonRow[]> {
    return User.query(
      `SELECT u.id, u.username, u.created_at, i.thumb_path
         FROM users u LEFT JOIN images i ON i.id = u.profile_picture_id
        WHERE u.is_active AND u.username ILIKE '%' || $1 || '%' ESCAPE '\\'
        ORDER BY (u.username ILIKE $1 || '%' ESCAPE '\\') DESC, lower(u.username), u.id
        LIMIT $2 OFFSET $3`,
      [escapeLike(q), window.limit, window.offset],
    );
  }

  /** An active user by username (any letter case), with their avatar thumbnail. */
  static async findActiveByName(username: string): Promise<PersonRow | null> {
    const [row] = await User.query(
      `SELECT u.id, u.username, u.created_at, i.thumb_path
         FROM users u LEFT JOIN images i ON i.id = u.profile_picture_id
        WHERE lower(u.username) = lower($1) AND u.is_active`,
      [username],
    );
    return row ?? null;
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

  /** Back to the initials placeholder; the image stays in the gallery. */
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

  static async clearPicture(userId: number): Promise<void> {
    await User.update({ id: userId }, { profilePictureId: null });
  }
}

/** A user as the admin site lists them. */
export interface UserListing {
  id: number;
  username: string;
  email: string;
  isActive: boolean;
  isStaff: boolean;
  createdAt: Date;
  lastLogin: Date | null;
}

const LISTING = `u.id, u.username, u.email, u.is_active AS "isActive", u.is_staff AS "isStaff",
  u.created_at AS "createdAt", u.last_login AS "lastLogin"`;

/** A user as the people directory shows them. */
export interface PersonRow {
  id: number;
  username: string;
  created_at: Date;
  thumb_path: string | null;
}

/** User.activeLookup: the lookup by id, plus the same query as a subquery on an SQL expression and its row reader. */
export interface ActiveLookup {
  (id: number): Promise<User | null>;
  /** The lookup's SELECT with the id replaced by `idExpr`, to run inside another statement (the session read). */
  joinedOn(idExpr: string): string;
  /** The user in a row of that SELECT's columns, or null (no such active user). */
  fromRow(row: Record<string, unknown> | undefined): User | null;
}
