// Confirming an email address: a mailed link at sign-up and after every change of address (the old address is told
// of the change). The token (tokens.ts) is bound to the address and to whether it is confirmed yet, so it works
// once and never for an address the account no longer has. What an account may do before confirming is
// UNVERIFIED_ACCOUNTS (README).
import type { EntityManager } from "typeorm";
import type { AppDeps } from "../deps";
import { AuditLog } from "../admin/audit-log.entity";
import { TokenSigner } from "./tokens";
import { User } from "./user.entity";

/** Confirmation links work for a week. */
export const VERIFY_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export const verifyState = (user: Pick<User, "email" | "emailVerifiedAt">) => `${user.email.toLowerCase()}\n${user.emailVerifiedAt ? "verified" : "unverified"}`;

type Account = Pick<User, "id" | "username" | "email" | "locale" | "timeZone" | "emailVerifiedAt">;

export class EmailVerification {
  constructor(private deps: Pick<AppDeps, "ds" | "mailer" | "tokens">) {}

  /** Queues the confirmation mail to the account's current address, in the caller's transaction; kick() after commit. */
  async enqueue(em: EntityManager, user: Account): Promise<void> {
    const token = this.deps.tokens.make("verify-email", user.id, verifyState(user));
    await this.deps.mailer.enqueue(em, { email: user.email, locale: user.locale, timeZone: user.timeZone }, "verify_email", {
      username: user.username,
      email: user.email,
      url: this.deps.mailer.link(`/email/verify/${token}`),
    });
  }

  /** Tells the old address that the account's address changed (in the caller's transaction). */
  async enqueueChangeNotice(em: EntityManager, user: Account, oldEmail: string): Promise<void> {
    await this.deps.mailer.enqueue(em, { email: oldEmail, locale: user.locale, timeZone: user.timeZone }, "email_changed", {
      username: user.username,
      oldEmail,
      resetUrl: this.deps.mailer.link("/password/reset"),
    });
  }

  kick(): void {
    this.deps.mailer.kick();
  }

  /** Sends a new confirmation mail to an unconfirmed account's address; false if it is already confirmed. */
  async resend(userId: number): Promise<boolean> {
    const sent = await this.deps.ds.transaction(async (em) => {
      const user = await User.lockForChange(em, userId);
      if (!user || user.emailVerifiedAt) return false;
      await this.enqueue(em, user);
      return true;
    });
    if (sent) this.kick();
    return sent;
  }

  /** The account a confirmation token is good for, or null. */
  async userFor(token: string): Promise<User | null> {
    const id = TokenSigner.userIdOf(token);
    if (id === null) return null;
    const user = await User.findOneBy({ id });
    if (!user || !user.isActive) return null;
    return this.deps.tokens.check(token, "verify-email", id, verifyState(user), VERIFY_MAX_AGE_MS) ? user : null;
  }

  /** Confirms the address the token was mailed to, once, audited; the account, or null when the token is not good. */
  async confirm(token: string): Promise<User | null> {
    const id = TokenSigner.userIdOf(token);
    if (id === null) return null;
    return this.deps.ds.transaction(async (em) => {
      const user = await User.lockForChange(em, id);
      if (!user || !user.isActive) return null;
      if (!this.deps.tokens.check(token, "verify-email", id, verifyState(user), VERIFY_MAX_AGE_MS)) return null;
      user.emailVerifiedAt = new Date();
      await em.update(User, { id }, { emailVerifiedAt: user.emailVerifiedAt });
      await AuditLog.record(em, { actor: { id, username: user.username }, action: "user.email_verified", targetType: "user", targetId: id, details: { username: user.username } });
      return user;
    });
  }
}
