// data_exports gains what a robust background worker needs (#19): how many times building an export was tried and
// until when the process building it holds it. A process that dies mid-build leaves its lease to run out, and the
// next worker (on any process, after a restart too) takes the pending row up again.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class DataExportLease1796445000000 implements MigrationInterface {
  name = "DataExportLease1796445000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "data_exports" ADD "attempts" integer NOT NULL DEFAULT 0');
    await queryRunner.query('ALTER TABLE "data_exports" ADD "lease_until" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query('CREATE INDEX "data_exports_pending_idx" ON "data_exports" ("created_at") WHERE status = \'pending\'');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."data_exports_pending_idx"');
    await queryRunner.query('ALTER TABLE "data_exports" DROP COLUMN "lease_until"');
    await queryRunner.query('ALTER TABLE "data_exports" DROP COLUMN "attempts"');
  }
}
