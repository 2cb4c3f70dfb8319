// users.theme: the colour scheme a user chose ("light", "dark"); null follows the system (prefers-color-scheme) (#20).
import type { MigrationInterface, QueryRunner } from "typeorm";

export class UserTheme1765042037307 implements MigrationInterface {
  name = "UserTheme1765042037307";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "users" ADD "theme" character varying(8)');
    await queryRunner.query(`ALTER TABLE "users" ADD CONSTRAINT "users_theme_check" CHECK ("theme" IN ('light', 'dark'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "users" DROP CONSTRAINT "users_theme_check"');
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "theme"');
  }
}
