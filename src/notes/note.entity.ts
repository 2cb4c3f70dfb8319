// A private note. Every query here is scoped to its owner in the query itself.
import {
  BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation,
} from "typeorm";
import type { User } from "../auth/user.entity";

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
}
