// A "Download my data" archive built in the background (large accounts): its file under DATA_DIR/exports, ready
// once built, downloadable by its owner until it expires. A pending row is work for the export worker
// (export.service.ts): leased while one process builds it, so a process that dies mid-build hands it on.
import crypto from "node:crypto";
import { BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type EntityManager, type Relation } from "typeorm";
import type { User } from "../auth/user.entity";

export type ExportStatus = "pending" | "ready" | "failed";

/** A pending export leased to a worker: whose it is and which try this is. */
export interface LeasedExport {
  id: string;
  userId: number;
  attempts: number;
}

@Entity("data_exports")
@Index("data_exports_pending_idx", ["createdAt"], { where: "status = 'pending'" })
export class DataExport extends BaseEntity {
  /** Random (uuid), so a download link cannot be guessed from another. The owner check is in the query too. */
  @PrimaryColumn({ type: "uuid" })
  id: string;

  @Index("data_exports_user_id_idx")
  @Column({ name: "user_id", type: "int" })
  userId: number;

  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: Relation<User>;

  @Column({ type: "varchar", length: 16, default: "pending" })
  status: ExportStatus;

  @Column({ type: "bigint", nullable: true })
  bytes: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /** Pending: the row is dropped if never built by then; ready: the link stops working then. */
  @Column({ name: "expires_at", type: "timestamptz" })
  expiresAt: Date;

  /** Builds tried so far (the worker gives up after a few: status failed). */
  @Column({ type: "int", default: 0 })
  attempts: number;

  /** While set and in the future, one worker is building this export; past it, another may take it up. */
  @Column({ name: "lease_until", type: "timestamptz", nullable: true })
  leaseUntil: Date | null;

  /** The owner's export by id while it has not expired; anyone else's is not found. */
  static findLive(id: string, userId: number): Promise<DataExport | null> {
    return DataExport.createQueryBuilder("e")
      .where("e.id = :id AND e.userId = :userId AND e.expiresAt > now()", { id, userId })
      .getOne();
  }

  static latestOf(userId: number): Promise<DataExport | null> {
    return DataExport.createQueryBuilder("e").where("e.userId = :userId AND e.expiresAt > now()", { userId }).orderBy("e.createdAt", "DESC").getOne();
  }

  /**
   * The user's export still being built, or a new pending one. Under the user's row lock, so two requests at once
   * queue one export, not two.
   */
  static async pendingFor(em: EntityManager, userId: number, liveMs: number): Promise<{ row: DataExport; created: boolean }> {
    await em.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    const existing = await em
      .createQueryBuilder(DataExport, "e")
      .where("e.userId = :userId AND e.status = 'pending' AND e.expiresAt > now()", { userId })
      .getOne();
    if (existing) return { row: existing, created: false };
    const row = em.create(DataExport, { id: crypto.randomUUID(), userId, status: "pending", expiresAt: new Date(Date.now() + liveMs) });
    await em.save(row);
    return { row, created: true };
  }

  /**
   * Takes the oldest pending export no live worker holds, for `leaseSeconds`, counting the try. SKIP LOCKED: workers
   * of several processes never wait on each other, and each row goes to one of them.
   */
  static async lease(leaseSeconds: number, maxAttempts: number): Promise<LeasedExport | null> {
    const [rows]: [{ id: string; user_id: number; attempts: number }[], number] = await DataExport.query(
      `UPDATE data_exports SET attempts = attempts + 1, lease_until = now() + make_interval(secs => $1)
        WHERE id = (SELECT id FROM data_exports
                     WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < now()) AND attempts < $2 AND expires_at > now()
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, user_id, attempts`,
      [leaseSeconds, maxAttempts],
    );
    const row = rows[0];
    return row ? { id: row.id, userId: row.user_id, attempts: row.attempts } : null;
  }

  /** Marks a built export ready, its link alive from now; false when the row is gone (the account was deleted meanwhile). */
  static async markReady(em: EntityManager, id: string, bytes: number, liveMs: number): Promise<boolean> {
    const [, affected]: [unknown, number] = await em.query(
      `UPDATE data_exports SET status = 'ready', bytes = $2, lease_until = NULL, expires_at = now() + make_interval(secs => $3)
        WHERE id = $1 AND status = 'pending'`,
      [id, bytes, liveMs / 1000],
    );
    return affected > 0;
  }

  /** A build failed: tried again after `retrySeconds`, or given up (failed) after the last try. */
  static async markFailed(id: string, giveUp: boolean, retrySeconds: number): Promise<void> {
    await DataExport.query(
      `UPDATE data_exports SET status = CASE WHEN $2 THEN 'failed' ELSE status END, lease_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND status = 'pending'`,
      [id, giveUp, retrySeconds],
    );
  }

  /** Ids of the user's exports (their files go after the account does). */
  static async idsOf(em: EntityManager, userId: number): Promise<string[]> {
    const rows: { id: string }[] = await em.query(`SELECT id FROM data_exports WHERE user_id = $1`, [userId]);
    return rows.map((r) => r.id);
  }

  /** Which of these ids still have a row (the sweep removes files that have none). */
  static async existing(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: { id: string }[] = await DataExport.query(`SELECT id FROM data_exports WHERE id = ANY($1::uuid[])`, [ids]);
    return new Set(rows.map((r) => r.id));
  }

  /** Expired exports (their files are removed by the caller). */
  static async deleteExpired(): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await DataExport.query(`DELETE FROM data_exports WHERE expires_at <= now() RETURNING id`);
    return rows.map((r) => r.id);
  }
}
