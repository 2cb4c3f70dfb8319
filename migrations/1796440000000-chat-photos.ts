// Photos in chats (#18): an image belongs either to a gallery or to a chat message (never both, never neither).
// A chat photo is a copy of its own (an upload, or a gallery photo copied), so deleting it from one place
// never breaks the other; it goes with its message (deleted, or the chat deleted).
import type { MigrationInterface, QueryRunner } from "typeorm";

export class ChatPhotos1796440000000 implements MigrationInterface {
  name = "ChatPhotos1796440000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "images" ALTER COLUMN "gallery_id" DROP NOT NULL');
    await queryRunner.query('ALTER TABLE "images" ADD "message_id" integer');
    await queryRunner.query('ALTER TABLE "images" ADD "position" smallint NOT NULL DEFAULT 0');
    await queryRunner.query(
      'ALTER TABLE "images" ADD CONSTRAINT "FK_e90b59ece333023daa54e425937" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE',
    );
    await queryRunner.query('ALTER TABLE "images" ADD CONSTRAINT "images_gallery_or_message" CHECK (("gallery_id" IS NULL) <> ("message_id" IS NULL))');
    // A message's photos in order (the chat page), and the media check's probe from a photo to its message.
    await queryRunner.query('CREATE INDEX "images_message_id_idx" ON "images" ("message_id", "position") WHERE "message_id" IS NOT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM "images" WHERE "message_id" IS NOT NULL');
    await queryRunner.query('DROP INDEX "public"."images_message_id_idx"');
    await queryRunner.query('ALTER TABLE "images" DROP CONSTRAINT "images_gallery_or_message"');
    await queryRunner.query('ALTER TABLE "images" DROP CONSTRAINT "FK_e90b59ece333023daa54e425937"');
    await queryRunner.query('ALTER TABLE "images" DROP COLUMN "position"');
    await queryRunner.query('ALTER TABLE "images" DROP COLUMN "message_id"');
    await queryRunner.query('ALTER TABLE "images" ALTER COLUMN "gallery_id" SET NOT NULL');
  }
}
