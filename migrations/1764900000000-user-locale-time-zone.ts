// users.locale and users.time_zone: the language a user chose and the IANA zone their times are shown in (#16).
// Both nullable: existing accounts keep what Accept-Language and UTC give them until they choose or log in again.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class UserLocaleTimeZone1764900000000 implements MigrationInterface {
  name = "UserLocaleTimeZone1764900000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "users" ADD "locale" character varying(16)');
    await queryRunner.query('ALTER TABLE "users" ADD "time_zone" character varying(64)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "time_zone"');
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "locale"');
  }
}
