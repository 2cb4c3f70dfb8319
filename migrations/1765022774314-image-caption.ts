// images.caption: the owner's words for a photo (#18); the photo page's title is the caption, or the upload date.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class ImageCaption1765022774314 implements MigrationInterface {
  name = "ImageCaption1765022774314";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "images" ADD "caption" character varying(300) NOT NULL DEFAULT \'\'');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "images" DROP COLUMN "caption"');
  }
}
