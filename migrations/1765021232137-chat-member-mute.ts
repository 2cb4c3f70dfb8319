// chat_members.muted_until: a member's mute of one chat (#18). Null: not muted; a time: muted until then;
// 'infinity': until they unmute. A muted chat's messages raise no badge total, notification or sound.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class ChatMemberMute1765021232137 implements MigrationInterface {
  name = "ChatMemberMute1765021232137";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "chat_members" ADD "muted_until" TIMESTAMP WITH TIME ZONE');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "chat_members" DROP COLUMN "muted_until"');
  }
}
