// Media requests are authorized by one statement (Image.mediaAccess): it finds the image by the file name in the
// URL and asks whether it is someone's profile or group picture. These indexes keep each of those an index lookup.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class MediaAccessIndexes1765019351312 implements MigrationInterface {
  name = "MediaAccessIndexes1765019351312";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE UNIQUE INDEX "images_path_key" ON "images" ("path")');
    await queryRunner.query('CREATE UNIQUE INDEX "images_thumb_path_key" ON "images" ("thumb_path")');
    await queryRunner.query('CREATE INDEX "users_profile_picture_id_idx" ON "users" ("profile_picture_id")');
    await queryRunner.query('CREATE INDEX "chats_profile_picture_id_idx" ON "chats" ("profile_picture_id")');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."chats_profile_picture_id_idx"');
    await queryRunner.query('DROP INDEX "public"."users_profile_picture_id_idx"');
    await queryRunner.query('DROP INDEX "public"."images_thumb_path_key"');
    await queryRunner.query('DROP INDEX "public"."images_path_key"');
  }
}
