// message_reaction_requests: the client ids of recent reaction toggles, so a retried toggle changes nothing (#17).
import type { MigrationInterface, QueryRunner } from "typeorm";

export class ReactionRequests1796433757598 implements MigrationInterface {
  name = "ReactionRequests1796433757598";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"message_reaction_requests\" (\"user_id\" integer NOT NULL, \"client_id\" uuid NOT NULL, \"message_id\" integer NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_4b7bd9395547a1c34363565611e\" PRIMARY KEY (\"user_id\", \"client_id\"))");
    await queryRunner.query("CREATE INDEX \"message_reaction_requests_message_id_idx\" ON \"message_reaction_requests\"  (\"message_id\") ");
    await queryRunner.query("ALTER TABLE \"message_reaction_requests\" ADD CONSTRAINT \"FK_af11769df645357f654fa52dcb2\" FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"message_reaction_requests\" ADD CONSTRAINT \"FK_2547829140bb761d913f2ab2425\" FOREIGN KEY (\"message_id\") REFERENCES \"messages\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"message_reaction_requests\" DROP CONSTRAINT \"FK_2547829140bb761d913f2ab2425\"");
    await queryRunner.query("ALTER TABLE \"message_reaction_requests\" DROP CONSTRAINT \"FK_af11769df645357f654fa52dcb2\"");
    await queryRunner.query("DROP INDEX \"public\".\"message_reaction_requests_message_id_idx\"");
    await queryRunner.query("DROP TABLE \"message_reaction_requests\"");
  }
}
