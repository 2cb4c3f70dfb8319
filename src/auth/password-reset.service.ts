// "Forgot your password?": a mailed link with a signed token (tokens.ts) that works once, expires
// (PASSWORD_RESET_TIMEOUT_MINUTES) and dies with any change of the password, the email or the last login. Asking
// answers the same, in the same time, whether or not the address has an account: the request only counts against
// the rate limits and hands the address to the background, where the lookup and the mail happen after the answer
// has left.
import type { AppDeps } from "../deps";
import { AuditLog } from "../admin/audit-log.entity";
import { Session } from "./session.entity";
import { TokenSigner } from "./tokens";
import { User } from "./user.entity";

/** What a reset token is bound to: any change here (a new password, a new email, a login) makes it fail. */
export function resetState(user: Pick<User, "passwordHash" | "email" | "lastLogin">): string {
  return `${user.passwordHash}\n${user.email.toLowerCase()}\n${user.lastLogin ? new Date(user.lastLogin).getTime() : ""}`;
}

export class PasswordResetService {
  /** Background requests not finished yet (tests wait for them; shutdown could). */
  private pending = new Set<Promise<void>>();

  constructor(
    private deps: Pick<AppDeps, "ds" | "config" | "logger" | "mailer" | "tokens" | "realtime">,
    private hashPassword: (plain: string) => Promise<string>,
  ) {}

  /**
   * Takes a reset request for `email` and returns at once, before anything is looked up; the account (if any) gets
   * its mail in the background. Never throws: a failure there is logged, and the answer was the same anyway.
   */
  request(email: string): void {
    const job = this.send(email)
      .catch((err) => this.deps.logger.error({ err }, "password reset mail failed"))
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /** Resolves when every request taken so far has been dealt with. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async send(email: string): Promise<void> {
    const user = await User.findByEmail(email);
    if (!user || !user.isActive) return;
    // An address nobody confirmed may belong to someone else: by default no reset link goes to it (README).
    if (!user.emailVerifiedAt && this.deps.config.unverifiedAccounts !== "everything") return;
    const { mailer, tokens, config } = this.deps;
    const token = tokens.make("password-reset", user.id, resetState(user));
    await this.deps.ds.transaction((em) =>
      mailer.enqueue(em, { email: user.email, locale: user.locale, timeZone: user.timeZone }, "password_reset", {
        username: user.username,
        url: mailer.link(`/password/reset/${token}`),
        minutes: Math.round(config.passwordResetTimeoutMs / 60_000),
      }),
    );
    mailer.kick();
  }

  /** The active account a token is good for right now, or null (malformed, forged, expired, used, outdated). */
  async userFor(token: string): Promise<User | null> {
    const id = TokenSigner.userIdOf(token);
    if (id === null) return null;
    const user = await User.findForToken(id);
    if (!user || !user.isActive) return null;
    return this.deps.tokens.check(token, "password-reset", id, resetState(user), this.deps.config.passwordResetTimeoutMs) ? user : null;
  }

  /**
   * Sets the new password if the token is still good, and ends every session of the account, in one transaction
   * under the user's row lock: of two uses of one link racing, the second finds the password changed and fails.
   * Returns the ended session ids (for their sockets), or null when the token is not good (any more).
   */
  async reset(token: string, password: string): Promise<{ userId: number; endedSessions: string[] } | null> {
    const id = TokenSigner.userIdOf(token);
    if (id === null) return null;
    const hash = await this.hashPassword(password);
    return this.deps.ds.transaction(async (em) => {
      const user = await User.lockForToken(em, id);
      if (!user || !user.isActive) return null;
      if (!this.deps.tokens.check(token, "password-reset", id, resetState(user), this.deps.config.passwordResetTimeoutMs)) return null;
      await em.update(User, { id }, { passwordHash: hash });
      const endedSessions = await Session.destroyForUser(id, undefined, em);
      await AuditLog.record(em, {
        actor: { id, username: user.username },
        action: "user.password_reset",
        targetType: "user",
        targetId: id,
        details: { username: user.username, sessionsEnded: endedSessions.length },
      });
      return { userId: id, endedSessions };
    });
  }
}
