// A deleted message no longer counts as unread (#17): the unread counts (the navbar badge on every page, the chat
// list) walk the messages after a member's read position that are not deleted. This partial index lets that walk
// stay on the index, as it did on messages_chat_id_id_idx before deletions were left out.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class UnreadLiveIndex1796450000000 implements MigrationInterface {
  name = "UnreadLiveIndex1796450000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX "messages_chat_id_id_live_idx" ON "messages" ("chat_id", "id") WHERE "deleted_at" IS NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."messages_chat_id_id_live_idx"');
  }
}
