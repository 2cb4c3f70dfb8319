// A login session: connect-pg-simple's row (its own schema, made by the first migration). The store reads and
// writes it; auth ends sessions through the queries below (password change, deactivation, deletion, pruning).
import { BaseEntity, Column, Entity, Index, PrimaryColumn, type EntityManager } from "typeorm";

@Entity("session")
@Index("IDX_session_expire", ["expire"])
// On ((sess -> 'passport') ->> 'user'): TypeORM cannot declare an expression index, the migration does.
@Index("session_user_idx", { synchronize: false })
export class Session extends BaseEntity {
  @PrimaryColumn({ type: "varchar", primaryKeyConstraintName: "session_pkey" })
  sid: string;

  @Column({ type: "json" })
  sess: Record<string, unknown>;

  @Column({ type: "timestamp", precision: 6 })
  expire: Date;

  /**
   * Ends every session of a user except, optionally, `exceptSid`, returning the ended ids (their sockets are cut
   * next). Runs in the caller's transaction when given one, so a password change and the end of the other sessions
   * commit together.
   */
  static async destroyForUser(userId: number, exceptSid?: string, em: EntityManager = Session.getRepository().manager): Promise<string[]> {
    const res = await em
      .createQueryBuilder()
      .delete()
      .from(Session)
      .where("(sess -> 'passport' ->> 'user') = :user AND sid <> :except", { user: String(userId), except: exceptSid ?? "" })
      .returning("sid")
      .execute();
    return (res.raw as { sid: string }[]).map((r) => r.sid);
  }

  static countExpired(): Promise<number> {
    return Session.createQueryBuilder("s").where("s.expire < now()").getCount();
  }

  /** Deletes expired sessions (the condition connect-pg-simple's own pruning uses); returns how many went. */
  static async pruneExpired(): Promise<number> {
    const res = await Session.createQueryBuilder().delete().where("expire < now()").execute();
    return res.affected ?? 0;
  }

  /** Live sessions over everyone, for the admin dashboard's counts (see selectCounts). */
  static readonly ACTIVE_COUNT = "SELECT count(*) FROM session WHERE expire > now()";

  /** A user's live sessions; `userId` is an SQL expression. Walks session_user_idx. */
  static countActiveOf(userId: string): string {
    return `SELECT count(*) FROM session WHERE (sess -> 'passport' ->> 'user') = ${userId}::text AND expire > now()`;
  }
}
