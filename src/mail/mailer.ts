// Outgoing mail. Services queue a mail with `enqueue(em, ...)` inside the transaction that needs it (the outbox,
// outbox.entity.ts) and call `kick()` after the commit; the worker here sends what is due, retrying failures with
// backoff. The request never waits on a mail server. Every mail is rendered from views/mail/<template>.txt.njk and
// .html.njk in the recipient's language, subject from locales (mail.<template>.subject).
// Transports: SMTP_URL when set; otherwise, outside production, each mail is written as an .eml file to
// DATA_DIR/outbox (listed at /dev/outbox), like Django's file backend. Production without SMTP_URL keeps mail queued
// (check:deploy reports it) rather than pretend to send it.
import fs from "node:fs";
import path from "node:path";
import nodemailer, { type Transporter } from "nodemailer";
import nunjucks from "nunjucks";
import type { Logger } from "pino";
import type { EntityManager } from "typeorm";
import type { Config } from "../config";
import { translator, FALLBACK_LANGUAGE, isLanguage } from "../i18n";
import { dateFormatter } from "../i18n/format";
import { registerFilters } from "../views";
import { OutboxMail, type OutgoingMail } from "./outbox.entity";
import { BackgroundLoop } from "../background-loop";

/** Tries per mail before it is left unsent (with its last error) for someone to look at. */
export const MAX_ATTEMPTS = 8;
/** How long a leased mail is kept from other workers while one sends it. */
const LEASE_SECONDS = 120;
/** The worker also looks on its own this often: mail queued by another process, retries coming due. */
const POLL_MS = 30_000;

/** Seconds to wait before try number `attempts + 1`: 30 s, 1, 2, 4, 8 min ... at most an hour. */
export const backoffSeconds = (attempts: number) => Math.min(3600, 30 * 2 ** Math.max(0, attempts - 1));

export interface MailRecipient {
  email: string;
  /** users.locale; null: English. */
  locale: string | null;
  /** users.time_zone, for times in the mail; null: UTC, named. */
  timeZone?: string | null;
}

export type MailParams = Record<string, unknown>;

/** Every mail there is: its template name (views/mail/<name>.txt.njk and .html.njk) and its subject's key. */
const SUBJECTS = {
  password_reset: "mail.subjects.password_reset",
  verify_email: "mail.subjects.verify_email",
  email_changed: "mail.subjects.email_changed",
  export_ready: "mail.subjects.export_ready",
  two_factor_enabled: "mail.subjects.two_factor_enabled",
  two_factor_disabled: "mail.subjects.two_factor_disabled",
} as const;
export type MailTemplate = keyof typeof SUBJECTS;

export function outboxDir(config: Config): string {
  return path.join(config.dataDir, "outbox");
}

export class Mailer {
  private transport: Transporter | null;
  private fileOutbox: string | null = null;
  private html: nunjucks.Environment;
  private text: nunjucks.Environment;
  private loop: BackgroundLoop;

  constructor(
    private config: Config,
    private logger: Logger,
    viewsDir: string,
  ) {
    // A failed pass means the database is away: the poll tries again later; the mail is still in the outbox.
    this.loop = new BackgroundLoop((stopped) => this.sendDue(stopped), logger, "mail worker");
    const loader = new nunjucks.FileSystemLoader(path.join(viewsDir, "mail"), { noCache: !config.isProduction });
    this.html = new nunjucks.Environment(loader, { autoescape: true, throwOnUndefined: false });
    // Plain text is not HTML: nothing to escape (a name like "<b>" reads as typed).
    this.text = new nunjucks.Environment(loader, { autoescape: false, throwOnUndefined: false });
    registerFilters(this.html);
    registerFilters(this.text);
    if (config.mail.smtpUrl) {
      this.transport = nodemailer.createTransport(config.mail.smtpUrl);
    } else if (!config.isProduction) {
      this.fileOutbox = outboxDir(config);
      this.transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
    } else {
      this.transport = null;
    }
  }

  /** The mail in the recipient's language, both parts. */
  render(to: MailRecipient, template: MailTemplate, params: MailParams = {}): OutgoingMail {
    const lang = isLanguage(to.locale) ? to.locale : FALLBACK_LANGUAGE;
    const t = translator(lang);
    const context = { ...params, t, lang, siteUrl: this.config.publicUrl, fmt: dateFormatter(lang, to.timeZone ?? "UTC", !to.timeZone) };
    return {
      to: to.email,
      template,
      subject: t(SUBJECTS[template], params),
      text: this.text.render(`${template}.txt.njk`, context),
      html: this.html.render(`${template}.html.njk`, context),
    };
  }

  /** Queues a mail in the caller's transaction; call kick() once it has committed. */
  async enqueue(em: EntityManager, to: MailRecipient, template: MailTemplate, params: MailParams = {}): Promise<void> {
    await OutboxMail.enqueue(em, this.render(to, template, params));
  }

  /** An absolute link into the site for a mail. */
  link(pathname: string): string {
    return this.config.publicUrl + pathname;
  }

  /** Sends what is due now (after a commit that queued mail), without waiting for it. */
  kick(): void {
    this.loop.kick();
  }

  /** Sends every due mail; resolves when done (a kick during a run makes it look once more). */
  drain(): Promise<void> {
    return this.loop.drain();
  }

  private async sendDue(stopped: () => boolean): Promise<void> {
    if (!this.transport) return;
    while (!stopped()) {
      const batch = await OutboxMail.lease(10, LEASE_SECONDS, MAX_ATTEMPTS);
      if (!batch.length) return;
      for (const mail of batch) {
        try {
          await this.deliver(mail);
          await OutboxMail.markSent(mail.id);
          this.logger.info({ mailId: mail.id, template: mail.template }, "mail sent");
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          await OutboxMail.markFailed(mail.id, message, backoffSeconds(mail.attempts));
          this.logger.warn({ mailId: mail.id, attempts: mail.attempts, err: message }, "mail not sent; will retry");
        }
      }
    }
  }

  private async deliver(mail: OutboxMail): Promise<void> {
    const info = await this.transport!.sendMail({
      from: this.config.mail.from,
      to: mail.toAddress,
      subject: mail.subject,
      text: mail.bodyText ?? "",
      html: mail.bodyHtml ?? "",
    });
    if (this.fileOutbox) {
      fs.mkdirSync(this.fileOutbox, { recursive: true });
      // Sortable by time; the id keeps two mails of one millisecond apart.
      const name = `${new Date().toISOString().replace(/[:.]/g, "-")}-${mail.id}.eml`;
      fs.writeFileSync(path.join(this.fileOutbox, name), info.message as Buffer);
    }
  }

  /** Starts polling (server.ts): retries and mail queued by other processes go out without a kick. */
  start(): void {
    if (!this.transport) {
      this.logger.warn("SMTP_URL is not set: mail is queued in mail_outbox but not sent");
      return;
    }
    this.loop.start(POLL_MS);
  }

  /** Stops polling and waits for a send in progress. */
  async stop(): Promise<void> {
    await this.loop.stop();
    this.transport?.close();
  }
}
