// A person with an account. Usernames and emails are unique case-insensitively (expression indexes in the migration).
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToOne, PrimaryGeneratedColumn,
  type EntityManager, type Relation,
} from "typeorm";
import { Gallery } from "../gallery/gallery.entity";
import { Image } from "../gallery/image.entity";
import { unreadTotalSql } from "../chat/unread";
import { hydrate, sqlOnce } from "../db/hot-query";

// A query builder rather than findOne({ relations }): findOne adds a LIMIT, and TypeORM turns LIMIT + JOIN into
// two statements; this is exactly one. The unread chat total rides along as a subselect, so the navbar badge costs
// no extra statement per page. Built once (src/db/hot-query.ts): this runs on every authenticated request.
const findActiveSql = sqlOnce(() =>
  User.createQueryBuilder("u")
    .leftJoinAndSelect("u.profilePicture", "pp")
    .addSelect(unreadTotalSql("u.id"), "unread_total")
    .where("u.id = :id AND u.isActive = true", { id: 0 }),
);

@Entity("users")
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

  /** Case-insensitive lookup by username or email, as people type them at the login form. */
  static findByLogin(login: string, withPassword = false): Promise<User | null> {
    const qb = User.createQueryBuilder("u")
      .where("lower(u.username) = lower(:login) OR lower(u.email) = lower(:login)", { login })
      .limit(1);
    if (withPassword) qb.addSelect("u.passwordHash");
    return qb.getOne();
  }

  /** The user a session points at, if still allowed in. One indexed query: it runs on every authenticated request. */
  static async findActive(id: number): Promise<User | null> {
    const [row] = (await User.query(findActiveSql(), [id])) as Record<string, unknown>[];
    const user = row ? hydrate(User, row, "u") : null;
    if (!user) return null;
    user.profilePicture = hydrate(Image, row, "pp");
    user.unreadTotal = Number(row.unread_total ?? 0);
    return user;
  }

  /** Active users named (case-insensitively) among `names`: the people a form lists, e.g. a chat group's members. */
  static activeByUsernames(names: string[], em: EntityManager = User.getRepository().manager): Promise<Pick<User, "id" | "username">[]> {
    return em
      .createQueryBuilder(User, "u")
      .select(["u.id", "u.username"])
      .where("lower(u.username) = ANY(:names) AND u.isActive = true", { names: names.map((n) => n.toLowerCase()) })
      .getMany();
  }

  /** Unread chat messages over all the user's chats; filled by findActive only (the navbar badge). Not a column. */
  unreadTotal?: number;
}
