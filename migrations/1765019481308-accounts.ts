// Accounts like a real service (#19): the mail outbox, email verification, the sessions page's side table,
// two-factor authentication (secret, last step, recovery codes) and background data exports.
// Every account that exists before this migration counts as verified: those addresses were accepted without a
// confirmation step, and locking their owners out of password resets now would punish them for it.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class Accounts1765019481308 implements MigrationInterface {
  name = "Accounts1765019481308";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"session_meta\" (\"sid\" character varying NOT NULL, \"user_id\" integer NOT NULL, \"user_agent\" character varying(512), \"ip\" character varying(64), \"first_seen\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"last_seen\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_aebc314f81c3f80b24d87f018e7\" PRIMARY KEY (\"sid\"))");
    await queryRunner.query("CREATE INDEX \"session_meta_user_id_idx\" ON \"session_meta\"  (\"user_id\") ");
    await queryRunner.query("CREATE TABLE \"recovery_codes\" (\"id\" SERIAL NOT NULL, \"user_id\" integer NOT NULL, \"code_hash\" character varying(64) NOT NULL, \"used_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_0723b9e53961e799027d7f7ba32\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"recovery_codes_user_id_idx\" ON \"recovery_codes\"  (\"user_id\") ");
    await queryRunner.query("CREATE TABLE \"data_exports\" (\"id\" uuid NOT NULL, \"user_id\" integer NOT NULL, \"status\" character varying(16) NOT NULL DEFAULT 'pending', \"bytes\" bigint, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"expires_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_3e8b8b297ef4446f30527695c10\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"data_exports_user_id_idx\" ON \"data_exports\"  (\"user_id\") ");
    await queryRunner.query("CREATE TABLE \"mail_outbox\" (\"id\" SERIAL NOT NULL, \"to_address\" character varying(254) NOT NULL, \"template\" character varying(50) NOT NULL, \"subject\" character varying(300) NOT NULL, \"body_text\" text, \"body_html\" text, \"attempts\" integer NOT NULL DEFAULT '0', \"next_attempt_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"sent_at\" TIMESTAMP WITH TIME ZONE, \"last_error\" text, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_fecc63c96385bc35a39ccf2a72e\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"mail_outbox_due_idx\" ON \"mail_outbox\"  (\"next_attempt_at\") WHERE sent_at IS NULL");
    await queryRunner.query("ALTER TABLE \"users\" ADD \"email_verified_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("UPDATE \"users\" SET \"email_verified_at\" = now()");
    await queryRunner.query("ALTER TABLE \"users\" ADD \"totp_secret\" character varying(64)");
    await queryRunner.query("ALTER TABLE \"users\" ADD \"totp_enabled_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"users\" ADD \"totp_last_step\" bigint");
    await queryRunner.query("ALTER TABLE \"session_meta\" ADD CONSTRAINT \"FK_aebc314f81c3f80b24d87f018e7\" FOREIGN KEY (\"sid\") REFERENCES \"session\"(\"sid\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"session_meta\" ADD CONSTRAINT \"FK_eadcb829e08462c51b6e448ff23\" FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"recovery_codes\" ADD CONSTRAINT \"FK_fb82b2ac740ca095b617afad031\" FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"data_exports\" ADD CONSTRAINT \"FK_8ee9254a3040f10d3f57d789d29\" FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"data_exports\" DROP CONSTRAINT \"FK_8ee9254a3040f10d3f57d789d29\"");
    await queryRunner.query("ALTER TABLE \"recovery_codes\" DROP CONSTRAINT \"FK_fb82b2ac740ca095b617afad031\"");
    await queryRunner.query("ALTER TABLE \"session_meta\" DROP CONSTRAINT \"FK_eadcb829e08462c51b6e448ff23\"");
    await queryRunner.query("ALTER TABLE \"session_meta\" DROP CONSTRAINT \"FK_aebc314f81c3f80b24d87f018e7\"");
    await queryRunner.query("ALTER TABLE \"users\" DROP COLUMN \"totp_last_step\"");
    await queryRunner.query("ALTER TABLE \"users\" DROP COLUMN \"totp_enabled_at\"");
    await queryRunner.query("ALTER TABLE \"users\" DROP COLUMN \"totp_secret\"");
    await queryRunner.query("ALTER TABLE \"users\" DROP COLUMN \"email_verified_at\"");
    await queryRunner.query("DROP INDEX \"public\".\"mail_outbox_due_idx\"");
    await queryRunner.query("DROP TABLE \"mail_outbox\"");
    await queryRunner.query("DROP INDEX \"public\".\"data_exports_user_id_idx\"");
    await queryRunner.query("DROP TABLE \"data_exports\"");
    await queryRunner.query("DROP INDEX \"public\".\"recovery_codes_user_id_idx\"");
    await queryRunner.query("DROP TABLE \"recovery_codes\"");
    await queryRunner.query("DROP INDEX \"public\".\"session_meta_user_id_idx\"");
    await queryRunner.query("DROP TABLE \"session_meta\"");
  }
}
