// A private note. Every query here is scoped to its owner in the query itself.
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation,
  type EntityManager, type SelectQueryBuilder,
} from "typeorm";
import type { User } from "../auth/user.entity";
import { deleteReturning } from "../db/sql";
import { matchParam, matchSql, type SearchPlan } from "../search/query";
import { hydrate, sqlOnce } from "../db/hot-query";
import { prepared } from "../db/prepared";

export const NOTES_PER_PAGE = 20;

/** How the home page orders a user's notes: by when they were written (the default) or last changed. */
export const NOTE_SORTS = ["written", "edited"] as const;
export type NoteSort = (typeof NOTE_SORTS)[number];

/** How much of a note the admin site shows in its lists and keeps in the audit log. */
const EXCERPT = 200;

export interface NoteExcerpt {
  id: number;
  excerpt: string;
  truncated: boolean;
  date: Date;
  userId: number;
  username: string;
}

/** One page of a user's notes plus how many there are in all. */
export interface NotePage {
  notes: Note[];
  page: number;
  total: number;
}

@Entity("notes")
@Index("notes_user_id_id_idx", ["userId", "id"])
// Full-text search index on to_tsvector('simple', data): an expression index, so TypeORM must leave it alone.
@Index("notes_data_fts_idx", { synchronize: false })
export class Note extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ type: "text" })
  data: string;

  @CreateDateColumn({ type: "timestamptz" })
  date: Date;

  /** Null until the note is first edited. */
  @Column({ name: "updated_at", type: "timestamptz", nullable: true })
  updatedAt: Date | null;

  @Column({ name: "user_id", type: "int" })
  userId: number;

  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: Relation<User>;

  /**
   * A page of the user's notes, newest first, and their total, in ONE statement: this is the home page's
   * only query. Newest first is id order (ids are handed out in creation order), which walks
   * notes_user_id_id_idx backwards instead of sorting. A page past the end comes back empty (total 0).
   */
  static async pageFor(userId: number, page: number, sort: NoteSort = "written"): Promise<NotePage> {
    const sql = sort === "edited" ? pageByEditSql() : pageForSql();
    const rows = (await Note.query(sql, [userId, (page - 1) * NOTES_PER_PAGE])) as Record<string, unknown>[];
    return { notes: rows.map((row) => hydrate(Note, row, "n")!), page, total: rows.length ? Number(rows[0].total) : 0 };
  }

  /** The user's notes matching a search, newest first (notes_data_fts_idx serves the full-text form). */
  static search(userId: number, plan: SearchPlan, page: number): Promise<NotePage> {
    const qb = Note.createQueryBuilder("n").where("n.user_id = :userId", { userId });
    qb.andWhere(matchSql(plan, "n.data", ":q"), { q: matchParam(plan) });
    return Note.paged(qb, page);
  }

  static findOwned(id: number, userId: number): Promise<Note | null> {
    return Note.findOneBy({ id, userId });
  }

  /**
   * Adding a note is the app's hottest write (issue #21, S2): one prepared INSERT rather than TypeORM's insert(),
   * whose entity bookkeeping cost more CPU than the statement. date and updated_at take their column defaults.
   */
  static async createFor(userId: number, data: string): Promise<number> {
    const [row] = (await Note.query(INSERT_SQL, [data, userId])) as { id: number }[];
    return row.id;
  }

  /** False when there is no such note of this user's (someone else's looks exactly like a missing one). */
  static async updateOwned(id: number, userId: number, data: string): Promise<boolean> {
    const result = await Note.createQueryBuilder()
      .update()
      .set({ data, updatedAt: () => "now()" })
      .where("id = :id AND user_id = :userId", { id, userId })
      .execute();
    return result.affected === 1;
  }

  static async deleteOwned(id: number, userId: number): Promise<boolean> {
    const result = await Note.delete({ id, userId });
    return result.affected === 1;
  }

  /** Every note, for the admin dashboard's counts (see selectCounts). */
  static readonly COUNT = "SELECT count(*) FROM notes";

  /** A user's notes; `userId` is an SQL expression (a parameter, or a column of the outer query). */
  static countOf(userId: string): string {
    return `SELECT count(*) FROM notes WHERE user_id = ${userId}`;
  }

  /** "Download my data": the user's notes after `afterId`, oldest first, a batch at a time (keyset, never all at once). */
  static exportBatch(userId: number, afterId: number, limit: number): Promise<NoteExport[]> {
    return Note.query(
      `SELECT id, data AS text, date AS "createdAt", updated_at AS "updatedAt" FROM notes WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [userId, afterId, limit],
    );
  }

  /** For moderation: everyone's notes (or one author's), newest first, as excerpts with their author's name. */
  static moderationPage(window: { limit: number; offset: number }, userId?: number): Promise<NoteExcerpt[]> {
    return Note.query(
      `SELECT n.id, left(n.data, ${EXCERPT}) AS excerpt, length(n.data) > ${EXCERPT} AS truncated, n.date,
              u.id AS "userId", u.username
       FROM notes n JOIN users u ON u.id = n.user_id
       WHERE $3::int IS NULL OR n.user_id = $3
       ORDER BY n.id DESC LIMIT $1 OFFSET $2`,
      [window.limit, window.offset, userId ?? null],
    );
  }

  /** For moderation: deletes any note, in the caller's transaction; what was deleted, or null if there was none. */
  static deleteReturning(em: EntityManager, id: number): Promise<{ userId: number; excerpt: string } | null> {
    return deleteReturning(em, Note, "id = :id", { id }, `user_id AS "userId", left(data, ${EXCERPT}) AS excerpt`);
  }

  /** count(*) OVER () rides along with the page rows, so the total costs no second round trip. */
  private static async paged(qb: SelectQueryBuilder<Note>, page: number): Promise<NotePage> {
    const { entities, raw } = await qb
      .addSelect("count(*) OVER ()", "total")
      .orderBy("n.id", "DESC")
      .limit(NOTES_PER_PAGE)
      .offset((page - 1) * NOTES_PER_PAGE)
      .getRawAndEntities<{ total: string }>();
    return { notes: entities, page, total: raw.length ? Number(raw[0].total) : 0 };
  }
}

const INSERT_SQL = prepared("notes_insert", 'INSERT INTO "notes" ("data", "user_id") VALUES ($1, $2) RETURNING "id"');

// Note.pageFor's statement, the same as paged() would build, made once: the home page is the hottest page
// (src/db/hot-query.ts). TypeORM writes OFFSET as a literal, so the offset is appended as the second parameter.
/**
 * Recently edited first: a note never edited counts as edited when it was written. Same single statement; it sorts
 * the user's notes (found through notes_user_id_id_idx) instead of walking the index, fine for one person's notes.
 */
const pageByEditSql = sqlOnce("notes_page_edited", () =>
  Note.createQueryBuilder("n")
    .where("n.user_id = :userId", { userId: 0 })
    .addSelect("count(*) OVER ()", "total")
    .orderBy("COALESCE(n.updated_at, n.date)", "DESC")
    .addOrderBy("n.id", "DESC")
    .limit(NOTES_PER_PAGE),
  " OFFSET $2",
);

const pageForSql = sqlOnce("notes_page", () =>
  Note.createQueryBuilder("n")
    .where("n.user_id = :userId", { userId: 0 })
    .addSelect("count(*) OVER ()", "total")
    .orderBy("n.id", "DESC")
    .limit(NOTES_PER_PAGE),
  " OFFSET $2",
);

/** A note as "Download my data" writes it. */
export interface NoteExport {
  id: number;
  text: string;
  createdAt: Date;
  updatedAt: Date | null;
}
