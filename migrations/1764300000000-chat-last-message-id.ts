// chats.last_message_id: the newest message of each chat, kept under the chat row's lock. A message carries
// its predecessor's id (read from here), so a client can tell a gap in what it received from a mere reordering.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class ChatLastMessageId1764300000000 implements MigrationInterface {
  name = "ChatLastMessageId1764300000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"chats\" ADD \"last_message_id\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query(
      "UPDATE \"chats\" c SET \"last_message_id\" = m.max_id FROM (SELECT chat_id, max(id) AS max_id FROM \"messages\" GROUP BY chat_id) m WHERE m.chat_id = c.id",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"chats\" DROP COLUMN \"last_message_id\"");
  }
}
