// Two-factor recovery codes: ten per account, each good once, stored only as a keyed hash (shown once, at setup).
import { BaseEntity, Column, Entity, Index, IsNull, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type EntityManager, type Relation } from "typeorm";
import type { User } from "./user.entity";

@Entity("recovery_codes")
export class RecoveryCode extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Index("recovery_codes_user_id_idx")
  @Column({ name: "user_id", type: "int" })
  userId: number;

  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: Relation<User>;

  @Column({ name: "code_hash", type: "varchar", length: 64 })
  codeHash: string;

  @Column({ name: "used_at", type: "timestamptz", nullable: true })
  usedAt: Date | null;

  /** Replaces the user's codes with these hashes (in the caller's transaction). */
  static async replaceFor(em: EntityManager, userId: number, hashes: string[]): Promise<void> {
    await em.delete(RecoveryCode, { userId });
    await em.insert(RecoveryCode, hashes.map((codeHash) => ({ userId, codeHash })));
  }

  /** Marks one unused code as used; false when it is not one of the user's unused codes. One statement: two logins racing with one code cannot both win. */
  static async consume(em: EntityManager, userId: number, codeHash: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await em.query(
      `UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
      [userId, codeHash],
    );
    return affected > 0;
  }

  static remaining(userId: number): Promise<number> {
    return RecoveryCode.countBy({ userId, usedAt: IsNull() });
  }
}
