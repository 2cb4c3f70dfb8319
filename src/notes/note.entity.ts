// A private note. Every query here is scoped to its owner in the query itself.
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation,
  type SelectQueryBuilder,
} from "typeorm";
import type { User } from "../auth/user.entity";
import { escapeLike, type SearchPlan } from "./search";
import { hydrate, sqlOnce } from "../db/hot-query";

export const NOTES_PER_PAGE = 20;

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
  static async pageFor(userId: number, page: number): Promise<NotePage> {
    const rows = (await Note.query(pageForSql(), [userId, (page - 1) * NOTES_PER_PAGE])) as Record<string, unknown>[];
    return { notes: rows.map((row) => hydrate(Note, row, "n")!), page, total: rows.length ? Number(rows[0].total) : 0 };
  }

  /**
   * The user's notes matching a search, newest first. Full-text mode must spell the indexed expression
   * exactly, to_tsvector('simple', data), or Postgres cannot use notes_data_fts_idx.
   */
  static search(userId: number, plan: SearchPlan, page: number): Promise<NotePage> {
    const qb = Note.createQueryBuilder("n").where("n.user_id = :userId", { userId });
    if (plan.mode === "fulltext") {
      qb.andWhere("to_tsvector('simple', n.data) @@ websearch_to_tsquery('simple', :q)", { q: plan.text });
    } else {
      qb.andWhere("n.data ILIKE :pattern", { pattern: `%${escapeLike(plan.text)}%` });
    }
    return Note.paged(qb, page);
  }

  static findOwned(id: number, userId: number): Promise<Note | null> {
    return Note.findOneBy({ id, userId });
  }

  static async createFor(userId: number, data: string): Promise<number> {
    const result = await Note.insert({ userId, data });
    return result.identifiers[0].id as number;
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

// Note.pageFor's statement, the same as paged() would build, made once: the home page is the hottest page
// (src/db/hot-query.ts). TypeORM writes OFFSET as a literal, so the offset is appended as the second parameter.
const pageForSql = sqlOnce(() =>
  Note.createQueryBuilder("n")
    .where("n.user_id = :userId", { userId: 0 })
    .addSelect("count(*) OVER ()", "total")
    .orderBy("n.id", "DESC")
    .limit(NOTES_PER_PAGE),
  " OFFSET $2",
);
