// Who did what to which object in the admin site, and when.
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation,
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
}
