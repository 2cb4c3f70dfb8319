// What the "Where you're logged in" page shows about a session: the browser, the address, first and last seen. A
// side table keyed by the session id, beside connect-pg-simple's own row (which stays the store's alone), and
// gone with it (ON DELETE CASCADE): a logout, a password change or pruning removes both.
import { BaseEntity, Column, Entity, Index, JoinColumn, ManyToOne, OneToOne, PrimaryColumn, type EntityManager, type Relation } from "typeorm";
import type { User } from "./user.entity";
import type { Session } from "./session.entity";

/** A session as the sessions page lists it. */
export interface SessionListing {
  /** sha256 of the session id: the page's handle for a session. The id itself is a bearer secret and never shown. */
  handle: string;
  userAgent: string | null;
  ip: string | null;
  firstSeen: Date | null;
  lastSeen: Date | null;
  current: boolean;
}

@Entity("session_meta")
export class SessionMeta extends BaseEntity {
  @PrimaryColumn({ type: "varchar" })
  sid: string;

  @OneToOne("Session", { onDelete: "CASCADE" })
  @JoinColumn({ name: "sid" })
  session: Relation<Session>;

  @Index("session_meta_user_id_idx")
  @Column({ name: "user_id", type: "int" })
  userId: number;

  @ManyToOne("User", { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user: Relation<User>;

  @Column({ name: "user_agent", type: "varchar", length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  ip: string | null;

  @Column({ name: "first_seen", type: "timestamptz", default: () => "now()" })
  firstSeen: Date;

  @Column({ name: "last_seen", type: "timestamptz", default: () => "now()" })
  lastSeen: Date;

  /**
   * Records a visit: the first makes the row, a later one moves last_seen only when it is over an hour old, so the
   * row changes at most once an hour whatever the caller does. A session row that is gone (logged out meanwhile)
   * makes nothing: the INSERT selects from it.
   */
  static async seen(sid: string, userId: number, userAgent: string | null, ip: string | null): Promise<void> {
    await SessionMeta.query(
      `INSERT INTO session_meta (sid, user_id, user_agent, ip)
       SELECT sid, $2, $3, $4 FROM session WHERE sid = $1
       ON CONFLICT (sid) DO UPDATE SET last_seen = now(), ip = EXCLUDED.ip, user_agent = EXCLUDED.user_agent
        WHERE session_meta.last_seen < now() - interval '1 hour'`,
      [sid, userId, userAgent?.slice(0, 512) ?? null, ip?.slice(0, 64) ?? null],
    );
  }

  /** Every live session of the user, the current one first, then the most recently seen. */
  static async listFor(userId: number, currentSid: string): Promise<SessionListing[]> {
    const rows: Record<string, unknown>[] = await SessionMeta.query(
      `SELECT encode(sha256(convert_to(s.sid, 'UTF8')), 'hex') AS handle, m.user_agent, m.ip, m.first_seen, m.last_seen,
              s.sid = $2 AS current
         FROM session s LEFT JOIN session_meta m ON m.sid = s.sid
        WHERE (s.sess -> 'passport' ->> 'user') = $1::text AND s.expire > now()
        ORDER BY s.sid = $2 DESC, m.last_seen DESC NULLS LAST, s.sid`,
      [userId, currentSid],
    );
    return rows.map((r) => ({
      handle: r.handle as string,
      userAgent: (r.user_agent as string | null) ?? null,
      ip: (r.ip as string | null) ?? null,
      firstSeen: r.first_seen ? new Date(r.first_seen as string) : null,
      lastSeen: r.last_seen ? new Date(r.last_seen as string) : null,
      current: r.current as boolean,
    }));
  }

  /**
   * Ends one of the user's sessions by its handle, never the current one; returns its id for its sockets, or null
   * when no session of this user has that handle (another user's included: 404).
   */
  static async endByHandle(em: EntityManager, userId: number, handle: string, currentSid: string): Promise<string | null> {
    const [rows]: [{ sid: string }[], number] = await em.query(
      `DELETE FROM session
        WHERE (sess -> 'passport' ->> 'user') = $1::text AND sid <> $3
          AND encode(sha256(convert_to(sid, 'UTF8')), 'hex') = $2
        RETURNING sid`,
      [userId, handle, currentSid],
    );
    return rows[0]?.sid ?? null;
  }
}
