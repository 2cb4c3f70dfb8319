// A "Download my data" archive built in the background (large accounts): its file under DATA_DIR/exports, ready
// once built, downloadable by its owner until it expires.
import { BaseEntity, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import type { User } from "../auth/user.entity";

export type ExportStatus = "pending" | "ready" | "failed";

@Entity("data_exports")
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

  @Column({ name: "expires_at", type: "timestamptz" })
  expiresAt: Date;

  /** The owner's export by id while it has not expired; anyone else's is not found. */
  static findLive(id: string, userId: number): Promise<DataExport | null> {
    return DataExport.createQueryBuilder("e")
      .where("e.id = :id AND e.userId = :userId AND e.expiresAt > now()", { id, userId })
      .getOne();
  }

  static latestOf(userId: number): Promise<DataExport | null> {
    return DataExport.createQueryBuilder("e").where("e.userId = :userId AND e.expiresAt > now()", { userId }).orderBy("e.createdAt", "DESC").getOne();
  }

  /** Expired exports (their files are removed by the caller). */
  static async deleteExpired(): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await DataExport.query(`DELETE FROM data_exports WHERE expires_at <= now() RETURNING id`);
    return rows.map((r) => r.id);
  }
}
