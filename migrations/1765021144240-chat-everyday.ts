// Chat people use every day (#17): edits (message_edits keeps the earlier text), deletion as a placeholder,
// replies, reactions, mentions, a per-chat change number so a reconnecting client gets the changes it missed,
// and the full-text index the chat search uses (the same expression as notes: to_tsvector('simple', ...)).
import type { MigrationInterface, QueryRunner } from "typeorm";

export class ChatEveryday1765021144240 implements MigrationInterface {
  name = "ChatEveryday1765021144240";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"message_edits\" (\"id\" SERIAL NOT NULL, \"message_id\" integer NOT NULL, \"previous_text\" text NOT NULL, \"client_id\" uuid, \"edited_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"message_edits_message_id_client_id_key\" UNIQUE (\"message_id\", \"client_id\"), CONSTRAINT \"PK_38e8913cdc69c8908540910301c\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"message_edits_message_id_idx\" ON \"message_edits\"  (\"message_id\") ");
    await queryRunner.query("CREATE TABLE \"message_mentions\" (\"id\" SERIAL NOT NULL, \"message_id\" integer NOT NULL, \"chat_id\" integer NOT NULL, \"user_id\" integer NOT NULL, CONSTRAINT \"message_mentions_message_id_user_id_key\" UNIQUE (\"message_id\", \"user_id\"), CONSTRAINT \"PK_6d3047d9fb0dd841366be90fb87\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"message_mentions_user_id_chat_id_message_id_idx\" ON \"message_mentions\"  (\"user_id\", \"chat_id\", \"message_id\") ");
    await queryRunner.query("CREATE TABLE \"message_reactions\" (\"id\" SERIAL NOT NULL, \"message_id\" integer NOT NULL, \"user_id\" integer NOT NULL, \"emoji\" character varying(16) NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"message_reactions_message_id_user_id_emoji_key\" UNIQUE (\"message_id\", \"user_id\", \"emoji\"), CONSTRAINT \"PK_654a9f0059ff93a8f156be66a5b\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("ALTER TABLE \"chats\" ADD \"change_seq\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query("ALTER TABLE \"messages\" ADD \"reply_to_id\" integer");
    await queryRunner.query("ALTER TABLE \"messages\" ADD \"edited_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"messages\" ADD \"deleted_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"messages\" ADD \"version\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query("CREATE INDEX \"messages_chat_id_version_idx\" ON \"messages\"  (\"chat_id\", \"version\") ");
    await queryRunner.query("ALTER TABLE \"message_edits\" ADD CONSTRAINT \"FK_e55266a1aace3c913e81bd129c5\" FOREIGN KEY (\"message_id\") REFERENCES \"messages\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"message_mentions\" ADD CONSTRAINT \"FK_704c2dc52c37d26393dae070253\" FOREIGN KEY (\"message_id\") REFERENCES \"messages\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"message_mentions\" ADD CONSTRAINT \"FK_25d602e82ba8700d89afef3e9c5\" FOREIGN KEY (\"chat_id\") REFERENCES \"chats\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"message_mentions\" ADD CONSTRAINT \"FK_2ce356b13332ca02bfe96ae1e3d\" FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"message_reactions\" ADD CONSTRAINT \"FK_ce61e365d81a9dfc15cd36513b0\" FOREIGN KEY (\"message_id\") REFERENCES \"messages\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"message_reactions\" ADD CONSTRAINT \"FK_b6d3eda2f99b64016d6a4cf112f\" FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"messages\" ADD CONSTRAINT \"FK_54e66104dd534ed1c191e44096f\" FOREIGN KEY (\"reply_to_id\") REFERENCES \"messages\"(\"id\") ON DELETE SET NULL ON UPDATE NO ACTION");
    await queryRunner.query("CREATE INDEX \"messages_message_fts_idx\" ON \"messages\" USING gin (to_tsvector('simple', \"message\"))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"messages_message_fts_idx\"");
    await queryRunner.query("ALTER TABLE \"messages\" DROP CONSTRAINT \"FK_54e66104dd534ed1c191e44096f\"");
    await queryRunner.query("ALTER TABLE \"message_reactions\" DROP CONSTRAINT \"FK_b6d3eda2f99b64016d6a4cf112f\"");
    await queryRunner.query("ALTER TABLE \"message_reactions\" DROP CONSTRAINT \"FK_ce61e365d81a9dfc15cd36513b0\"");
    await queryRunner.query("ALTER TABLE \"message_mentions\" DROP CONSTRAINT \"FK_2ce356b13332ca02bfe96ae1e3d\"");
    await queryRunner.query("ALTER TABLE \"message_mentions\" DROP CONSTRAINT \"FK_25d602e82ba8700d89afef3e9c5\"");
    await queryRunner.query("ALTER TABLE \"message_mentions\" DROP CONSTRAINT \"FK_704c2dc52c37d26393dae070253\"");
    await queryRunner.query("ALTER TABLE \"message_edits\" DROP CONSTRAINT \"FK_e55266a1aace3c913e81bd129c5\"");
    await queryRunner.query("DROP INDEX \"public\".\"messages_chat_id_version_idx\"");
    await queryRunner.query("ALTER TABLE \"messages\" DROP COLUMN \"version\"");
    await queryRunner.query("ALTER TABLE \"messages\" DROP COLUMN \"deleted_at\"");
    await queryRunner.query("ALTER TABLE \"messages\" DROP COLUMN \"edited_at\"");
    await queryRunner.query("ALTER TABLE \"messages\" DROP COLUMN \"reply_to_id\"");
    await queryRunner.query("ALTER TABLE \"chats\" DROP COLUMN \"change_seq\"");
    await queryRunner.query("DROP TABLE \"message_reactions\"");
    await queryRunner.query("DROP INDEX \"public\".\"message_mentions_user_id_chat_id_message_id_idx\"");
    await queryRunner.query("DROP TABLE \"message_mentions\"");
    await queryRunner.query("DROP INDEX \"public\".\"message_edits_message_id_idx\"");
    await queryRunner.query("DROP TABLE \"message_edits\"");
  }
}
