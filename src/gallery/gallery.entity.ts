// Each user has exactly one gallery; images hang off it.
import { BaseEntity, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

@Entity("galleries")
export class Gallery extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
