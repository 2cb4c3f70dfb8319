// Who did what to which object in the admin site, and when.
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type EntityManager,
  type Relation,
} from "typeorm";
import type { User } from "../auth/user.entity";

@Entity("audit_logs")
export class AuditLog extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ name: "actor_id", type: "int", nullable: true })
  actorId: number | null;

  @ManyToOne("User", { onDelete: "SET NULL", nullable: true })
  @JoinColumn({ name: "actor_id" })
  actor: Relation<User> | null;

  /** Kept as text so the log still names the actor after their account is deleted. */
  @Column({ name: "actor_username", type: "varchar", length: 150 })
  actorUsername: string;

  @Column({ type: "varchar", length: 50 })
  action: string;

  @Column({ name: "target_type", type: "varchar", length: 30 })
  targetType: string;

  @Column({ name: "target_id", type: "varchar", length: 50 })
  targetId: string;

  @Column({ type: "jsonb", default: () => "'{}'" })
  details: Record<string, unknown>;

  @Index("audit_logs_created_at_idx")
  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /** Writes one entry through the caller's transaction manager, so the entry and the change commit (or roll back) together. */
  static async record(em: EntityManager, entry: AuditEntry): Promise<void> {
    await em.query(
      `INSERT INTO audit_logs (actor_id, actor_username, action, target_type, target_id, details) VALUES ($1, $2, $3, $4, $5, $6)`,
      [entry.actor.id, entry.actor.username, entry.action, entry.targetType, String(entry.targetId), JSON.stringify(entry.details ?? {})],
    );
  }

  /** Newest first, in a LIMIT/OFFSET window (see pageWindow). */
  static newest(window: { limit: number; offset: number }): Promise<AuditLog[]> {
    return AuditLog.find({ order: { id: "DESC" }, skip: window.offset, take: window.limit });
  }

  /** The latest entries about one object, e.g. everything done to a user. */
  static forTarget(targetType: string, targetId: number | string, limit = 10): Promise<AuditLog[]> {
    return AuditLog.find({ where: { targetType, targetId: String(targetId) }, order: { id: "DESC" }, take: limit });
  }
}

export interface AuditEntry {
  /** id is null for actions taken from the command line, which has no logged-in user. */
  actor: { id: number | null; username: string };
  action: string;
  targetType: string;
  targetId: number | string;
  details?: Record<string, unknown>;
}
