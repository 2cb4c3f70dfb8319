// The first schema: every entity of the app, the expression indexes TypeORM cannot declare, and the session table.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class InitialSchema1764118000000 implements MigrationInterface {
  name = "InitialSchema1764118000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"audit_logs\" (\"id\" SERIAL NOT NULL, \"actor_id\" integer, \"actor_username\" character varying(150) NOT NULL, \"action\" character varying(50) NOT NULL, \"target_type\" character varying(30) NOT NULL, \"target_id\" character varying(50) NOT NULL, \"details\" jsonb NOT NULL DEFAULT '{}', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_1bb179d048bbc581caa3b013439\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"audit_logs_created_at_idx\" ON \"audit_logs\"  (\"created_at\")");
    await queryRunner.query("CREATE TABLE \"galleries\" (\"id\" SERIAL NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_86b77299615c92db3d68c9c7919\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"images\" (\"id\" SERIAL NOT NULL, \"gallery_id\" integer NOT NULL, \"owner_id\" integer NOT NULL, \"path\" character varying(255) NOT NULL, \"thumb_path\" character varying(255) NOT NULL, \"width\" integer NOT NULL, \"height\" integer NOT NULL, \"bytes\" integer NOT NULL, \"original_name\" character varying(255) NOT NULL DEFAULT '', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_1fe148074c6a1a91b63cb9ee3c9\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"images_owner_id_idx\" ON \"images\"  (\"owner_id\")");
    await queryRunner.query("CREATE INDEX \"images_gallery_id_idx\" ON \"images\"  (\"gallery_id\", \"id\")");
    await queryRunner.query("CREATE TABLE \"users\" (\"id\" SERIAL NOT NULL, \"username\" character varying(150) NOT NULL, \"email\" character varying(254) NOT NULL, \"password_hash\" character varying(60) NOT NULL, \"gallery_id\" integer NOT NULL, \"profile_picture_id\" integer, \"is_active\" boolean NOT NULL DEFAULT true, \"is_staff\" boolean NOT NULL DEFAULT false, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"last_login\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"REL_ee143fd199e9fdc1f115ee7e61\" UNIQUE (\"gallery_id\"), CONSTRAINT \"PK_a3ffb1c0c8416b9fc6f907b7433\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"chats\" (\"id\" SERIAL NOT NULL, \"chat_name\" character varying(100), \"is_group\" boolean NOT NULL DEFAULT false, \"direct_key\" character varying(40), \"profile_picture_id\" integer, \"creator_id\" integer, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"last_message_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"UQ_17e21eee8d4e5bfbfbd9a47b7e9\" UNIQUE (\"direct_key\"), CONSTRAINT \"PK_0117647b3c4a4e5ff198aeb6206\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"chats_last_message_at_idx\" ON \"chats\"  (\"last_message_at\")");
    await queryRunner.query("CREATE TABLE \"chat_members\" (\"id\" SERIAL NOT NULL, \"chat_id\" integer NOT NULL, \"user_id\" integer NOT NULL, \"last_read_message_id\" integer NOT NULL DEFAULT '0', \"joined_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"chat_members_chat_id_user_id_key\" UNIQUE (\"chat_id\", \"user_id\"), CONSTRAINT \"PK_aea646f59c92c47af5804ce73a7\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"chat_members_user_id_idx\" ON \"chat_members\"  (\"user_id\")");
    await queryRunner.query("CREATE TABLE \"messages\" (\"id\" SERIAL NOT NULL, \"chat_id\" integer NOT NULL, \"user_id\" integer NOT NULL, \"message\" text NOT NULL, \"client_id\" uuid, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"messages_user_id_client_id_key\" UNIQUE (\"user_id\", \"client_id\"), CONSTRAINT \"PK_18325f38ae6de43878487eff986\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"messages_chat_id_id_idx\" ON \"messages\"  (\"chat_id\", \"id\")");
    await queryRunner.query("CREATE TABLE \"notes\" (\"id\" SERIAL NOT NULL, \"data\" text NOT NULL, \"date\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE, \"user_id\" integer NOT NULL, CONSTRAINT \"PK_af6206538ea96c4e77e9f400c3d\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"notes_user_id_id_idx\" ON \"notes\"  (\"user_id\", \"id\")");
    await queryRunner.query("ALTER TABLE \"audit_logs\" ADD CONSTRAINT \"FK_177183f29f438c488b5e8510cdb\" FOREIGN KEY (\"actor_id\") REFERENCES \"users\"(\"id\") ON DELETE SET NULL ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"images\" ADD CONSTRAINT \"FK_1427b2fb9eb1e7f3d16b1a731c4\" FOREIGN KEY (\"gallery_id\") REFERENCES \"galleries\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"images\" ADD CONSTRAINT \"FK_89b9838539e754a5a5be3b5d265\" FOREIGN KEY (\"owner_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"users\" ADD CONSTRAINT \"FK_ee143fd199e9fdc1f115ee7e61e\" FOREIGN KEY (\"gallery_id\") REFERENCES \"galleries\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"users\" ADD CONSTRAINT \"FK_02ec15de199e79a0c46869895f4\" FOREIGN KEY (\"profile_picture_id\") REFERENCES \"images\"(\"id\") ON DELETE SET NULL ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"chats\" ADD CONSTRAINT \"FK_493750f82d5390f25121e03831b\" FOREIGN KEY (\"profile_picture_id\") REFERENCES \"images\"(\"id\") ON DELETE SET NULL ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"chats\" ADD CONSTRAINT \"FK_73bad8029286f4db25eb00fad0b\" FOREIGN KEY (\"creator_id\") REFERENCES \"users\"(\"id\") ON DELETE SET NULL ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"chat_members\" ADD CONSTRAINT \"FK_29ffb4b6edf59a7862129765339\" FOREIGN KEY (\"chat_id\") REFERENCES \"chats\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"chat_members\" ADD CONSTRAINT \"FK_9dc61e92eed1dc151c2b2ef01a0\" FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"messages\" ADD CONSTRAINT \"FK_7540635fef1922f0b156b9ef74f\" FOREIGN KEY (\"chat_id\") REFERENCES \"chats\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"messages\" ADD CONSTRAINT \"FK_830a3c1d92614d1495418c46736\" FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"notes\" ADD CONSTRAINT \"FK_7708dcb62ff332f0eaf9f0743a7\" FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("CREATE UNIQUE INDEX \"users_username_lower_key\" ON \"users\" (lower(\"username\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"users_email_lower_key\" ON \"users\" (lower(\"email\"))");
    await queryRunner.query("CREATE INDEX \"notes_data_fts_idx\" ON \"notes\" USING gin (to_tsvector('simple', \"data\"))");
    // The session table of connect-pg-simple (its own schema), plus an index to end all of one user's sessions.
    await queryRunner.query("CREATE TABLE \"session\" (\"sid\" varchar NOT NULL COLLATE \"default\", \"sess\" json NOT NULL, \"expire\" timestamp(6) NOT NULL, CONSTRAINT \"session_pkey\" PRIMARY KEY (\"sid\"))");
    await queryRunner.query("CREATE INDEX \"IDX_session_expire\" ON \"session\" (\"expire\")");
    await queryRunner.query("CREATE INDEX \"session_user_idx\" ON \"session\" (((\"sess\" -> 'passport') ->> 'user'))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE \"session\"");
    await queryRunner.query("DROP INDEX \"notes_data_fts_idx\"");
    await queryRunner.query("DROP INDEX \"users_email_lower_key\"");
    await queryRunner.query("DROP INDEX \"users_username_lower_key\"");
    await queryRunner.query("ALTER TABLE \"notes\" DROP CONSTRAINT \"FK_7708dcb62ff332f0eaf9f0743a7\"");
    await queryRunner.query("ALTER TABLE \"messages\" DROP CONSTRAINT \"FK_830a3c1d92614d1495418c46736\"");
    await queryRunner.query("ALTER TABLE \"messages\" DROP CONSTRAINT \"FK_7540635fef1922f0b156b9ef74f\"");
    await queryRunner.query("ALTER TABLE \"chat_members\" DROP CONSTRAINT \"FK_9dc61e92eed1dc151c2b2ef01a0\"");
    await queryRunner.query("ALTER TABLE \"chat_members\" DROP CONSTRAINT \"FK_29ffb4b6edf59a7862129765339\"");
    await queryRunner.query("ALTER TABLE \"chats\" DROP CONSTRAINT \"FK_73bad8029286f4db25eb00fad0b\"");
    await queryRunner.query("ALTER TABLE \"chats\" DROP CONSTRAINT \"FK_493750f82d5390f25121e03831b\"");
    await queryRunner.query("ALTER TABLE \"users\" DROP CONSTRAINT \"FK_02ec15de199e79a0c46869895f4\"");
    await queryRunner.query("ALTER TABLE \"users\" DROP CONSTRAINT \"FK_ee143fd199e9fdc1f115ee7e61e\"");
    await queryRunner.query("ALTER TABLE \"images\" DROP CONSTRAINT \"FK_89b9838539e754a5a5be3b5d265\"");
    await queryRunner.query("ALTER TABLE \"images\" DROP CONSTRAINT \"FK_1427b2fb9eb1e7f3d16b1a731c4\"");
    await queryRunner.query("ALTER TABLE \"audit_logs\" DROP CONSTRAINT \"FK_177183f29f438c488b5e8510cdb\"");
    await queryRunner.query("DROP INDEX \"public\".\"notes_user_id_id_idx\"");
    await queryRunner.query("DROP TABLE \"notes\"");
    await queryRunner.query("DROP INDEX \"public\".\"messages_chat_id_id_idx\"");
    await queryRunner.query("DROP TABLE \"messages\"");
    await queryRunner.query("DROP INDEX \"public\".\"chat_members_user_id_idx\"");
    await queryRunner.query("DROP TABLE \"chat_members\"");
    await queryRunner.query("DROP INDEX \"public\".\"chats_last_message_at_idx\"");
    await queryRunner.query("DROP TABLE \"chats\"");
    await queryRunner.query("DROP TABLE \"users\"");
    await queryRunner.query("DROP INDEX \"public\".\"images_gallery_id_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"images_owner_id_idx\"");
    await queryRunner.query("DROP TABLE \"images\"");
    await queryRunner.query("DROP TABLE \"galleries\"");
    await queryRunner.query("DROP INDEX \"public\".\"audit_logs_created_at_idx\"");
    await queryRunner.query("DROP TABLE \"audit_logs\"");
  }
}
