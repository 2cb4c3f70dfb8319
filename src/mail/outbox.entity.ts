// The mail queue (an outbox): a mail is a row written in the same transaction as the change that needs it, and the
// worker (mailer.ts) sends it after the commit, retrying with backoff. A mail that cannot be sent never undoes the
// change, and a change that rolls back never sends its mail.
import { BaseEntity, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, type EntityManager } from "typeorm";

/** A rendered mail, ready for the transport. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Which template made it (views/mail/<template>.*.njk): for the log and the tests, never shown. */
  template: string;
}

@Entity("mail_outbox")
// The worker's scan: unsent mail whose next attempt is due.
@Index("mail_outbox_due_idx", ["nextAttemptAt"], { where: "sent_at IS NULL" })
export class OutboxMail extends BaseEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  id: number;

  @Column({ name: "to_address", type: "varchar", length: 254 })
  toAddress: string;

  @Column({ type: "varchar", length: 50 })
  template: string;

  @Column({ type: "varchar", length: 300 })
  subject: string;

  /** The bodies are emptied once sent: a reset link must not outlive its delivery in the database. */
  @Column({ name: "body_text", type: "text", nullable: true })
  bodyText: string | null;

  @Column({ name: "body_html", type: "text", nullable: true })
  bodyHtml: string | null;

  @Column({ type: "int", default: 0 })
  attempts: number;

  @Column({ name: "next_attempt_at", type: "timestamptz", default: () => "now()" })
  nextAttemptAt: Date;

  @Column({ name: "sent_at", type: "timestamptz", nullable: true })
  sentAt: Date | null;

  @Column({ name: "last_error", type: "text", nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /** Queues a mail in the caller's transaction. */
  static async enqueue(em: EntityManager, mail: OutgoingMail): Promise<void> {
    await em.query(
      `INSERT INTO mail_outbox (to_address, template, subject, body_text, body_html) VALUES ($1, $2, $3, $4, $5)`,
      [mail.to, mail.template, mail.subject, mail.text, mail.html],
    );
  }

  /**
   * Takes up to `limit` due mails for sending: each is leased (its next attempt pushed `leaseSeconds` ahead and its
   * attempt counted) in one statement, so another process polling at the same moment skips them, and a process
   * that dies mid-send leaves them to be retried once the lease runs out. Mails past `maxAttempts` stay unsent.
   */
  static async lease(limit: number, leaseSeconds: number, maxAttempts: number): Promise<OutboxMail[]> {
    const [rows]: [Record<string, unknown>[], number] = await OutboxMail.query(
      `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
        WHERE id IN (SELECT id FROM mail_outbox
                      WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < $3
                      ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, to_address, template, subject, body_text, body_html, attempts`,
      [limit, leaseSeconds, maxAttempts],
    );
    return rows.map((r) =>
      OutboxMail.create({
        id: r.id as number,
        toAddress: r.to_address as string,
        template: r.template as string,
        subject: r.subject as string,
        bodyText: r.body_text as string,
        bodyHtml: r.body_html as string,
        attempts: r.attempts as number,
      }),
    );
  }

  static async markSent(id: number): Promise<void> {
    await OutboxMail.query(`UPDATE mail_outbox SET sent_at = now(), body_text = NULL, body_html = NULL, last_error = NULL WHERE id = $1`, [id]);
  }

  static async markFailed(id: number, error: string, retryInSeconds: number): Promise<void> {
    await OutboxMail.query(
      `UPDATE mail_outbox SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`,
      [id, error.slice(0, 2000), retryInSeconds],
    );
  }

  /** The soonest moment a queued mail becomes due, if any: when the worker should look again. */
  static async nextDue(maxAttempts: number): Promise<Date | null> {
    const [row] = await OutboxMail.query(`SELECT min(next_attempt_at) AS at FROM mail_outbox WHERE sent_at IS NULL AND attempts < $1`, [maxAttempts]);
    return row?.at ? new Date(row.at) : null;
  }
}
