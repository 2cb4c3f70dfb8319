// Accounts: sign-up, credential checks, profile and password changes.
import bcrypt from "bcrypt";
import type { DataSource } from "typeorm";
import { Gallery } from "../gallery/gallery.entity";
import { FieldError, HttpError } from "../http/errors";
import type { FailureLimit, LoginLimits } from "../http/rate-limit";
import { AuditLog } from "../admin/audit-log.entity";
import type { EmailVerification } from "./email-verification.service";
import { Session } from "./session.entity";
import { User } from "./user.entity";

export interface SignupInput {
  username: string;
  email: string;
  password: string;
  /** The language chosen with the switch before signing up, if any. */
  locale?: string;
  /** The IANA zone the browser reported (validated by the schema). */
  timeZone?: string;
}

/** What the browser says at login: the language switched to while logged out, the zone it is in. */
export interface LoginPreferences {
  locale?: string;
  timeZone?: string;
}

/** The failures allowed for this account are used up: answered with the 429 page. */
export class TooManyAttempts extends HttpError {
  constructor() {
    super(429, "errors.too_many_attempts");
  }
}

export type LoginOutcome = { user: User } | { user: null; limited: boolean };

export class AuthService {
  /**
   * Hashed once at start-up; comparing against it makes an unknown login cost the same time as a wrong
   * password, so response timing does not reveal which accounts exist. Per instance, at this instance's cost:
   * a hash shared by the whole process took the cost of whichever AuthService came first.
   */
  private dummyHash: Promise<string>;

  /** `verification`: mails the confirmation link at sign-up and on a change of address (the app; the CLI has none). */
  constructor(private ds: DataSource, private bcryptCost: number, private verification?: EmailVerification) {
    this.dummyHash = bcrypt.hash("not-a-real-password", bcryptCost);
  }

  hashPassword(plain: string): Promise<string> {
    return bcrypt.hash(plain, this.bcryptCost);
  }

  /**
   * Creates the user and their gallery in one transaction, with the mail that asks to confirm the address (unless
   * `verified`: an address the staff typed at the command line). Throws FieldError on a taken username/email.
   */
  async signup(input: SignupInput, { isStaff = false, verified = false } = {}): Promise<User> {
    await this.assertAvailable(input.username, input.email);
    const passwordHash = await this.hashPassword(input.password);
    try {
      const created = await this.ds.transaction(async (em) => {
        const gallery = await em.save(em.create(Gallery, {}));
        const user = em.create(User, {
          username: input.username,
          email: input.email,
          passwordHash,
          galleryId: gallery.id,
          isStaff,
          locale: input.locale ?? null,
          timeZone: input.timeZone ?? null,
          emailVerifiedAt: verified ? new Date() : null,
        });
        const saved = await em.save(user);
        if (!verified) await this.verification?.enqueue(em, saved);
        return saved;
      });
      this.verification?.kick();
      return created;
    } catch (err) {
      // Two sign-ups racing for one name: the unique index decides, the loser gets a field error.
      throw uniqueViolationToFieldError(err);
    }
  }

  async assertAvailable(username: string, email: string, exceptUserId?: number): Promise<void> {
    for (const r of await User.findClashing(username, email)) {
      if (r.id === exceptUserId) continue;
      if (r.username.toLowerCase() === username.toLowerCase()) throw new FieldError("username", "auth.errors.username_taken");
      throw new FieldError("email", "auth.errors.email_taken");
    }
  }

  /** The user for these credentials, or null. Same work whether or not the account exists. */
  async verifyCredentials(login: string, password: string): Promise<User | null> {
    return this.matchPassword(await User.findByLogin(login, true), password);
  }

  /**
   * A login under the failure limits. The per-account counter belongs to the account, whichever of its names was
   * typed; a name that matches no account gets a counter of its own (keyed by the name as typed, normalised), so
   * both kinds of name take the same steps and get the same answers. Only failures count (see FailureLimit).
   */
  async attemptLogin(login: string, password: string, ip: string, limits: LoginLimits): Promise<LoginOutcome> {
    const found = await User.findByLogin(login, true);
    const keys = { ip, account: found ? `user:${found.id}` : `name:${login.trim().toLowerCase()}` };
    if (await limits.reached(keys)) return { user: null, limited: true };
    const user = await this.matchPassword(found, password);
    if (!user) return { user: null, limited: await limits.fail(keys) };
    // Guesses sent at once all pass the check above before any has failed. Only those answered while the limits
    // still allow it tell the sender anything: a right one answered after the others used the limit up is refused
    // like them, so sending many at once buys no more guesses than sending them one by one.
    if (await limits.reached(keys)) return { user: null, limited: true };
    await limits.succeeded(keys);
    return { user };
  }

  /** Same work (one bcrypt comparison) whether or not there is a user. */
  private async matchPassword(user: User | null, password: string): Promise<User | null> {
    if (!user || Buffer.byteLength(password) > 72) {
      await bcrypt.compare(password.slice(0, 72), await this.dummyHash);
      return null;
    }
    const ok = await bcrypt.compare(password, user.passwordHash);
    if (!ok || !user.isActive) return null;
    return user;
  }

  /** The login's time, and what the browser brought along (see LoginPreferences) when it has something. */
  async recordLogin(userId: number, prefs: LoginPreferences = {}): Promise<void> {
    await User.update({ id: userId }, {
      lastLogin: new Date(),
      ...(prefs.locale ? { locale: prefs.locale } : {}),
      ...(prefs.timeZone ? { timeZone: prefs.timeZone } : {}),
    });
  }

  /**
   * A new username and/or email. A new address (not just other letter case) is unconfirmed until its link is used:
   * the confirmation goes to it and a notice to the old one, queued in the same transaction, and the change is
   * audited. Returns whether the address changed.
   */
  async updateProfile(userId: number, data: { username: string; email: string }): Promise<{ emailChanged: boolean }> {
    await this.assertAvailable(data.username, data.email, userId);
    let emailChanged = false;
    try {
      await this.ds.transaction(async (em) => {
        const user = await User.lockForChange(em, userId);
        if (!user) throw new HttpError(404, "errors.not_found");
        emailChanged = user.email.toLowerCase() !== data.email.toLowerCase();
        await em.update(User, { id: userId }, { username: data.username, email: data.email, ...(emailChanged ? { emailVerifiedAt: null } : {}) });
        if (!emailChanged) return;
        const changed = { ...user, username: data.username, email: data.email, emailVerifiedAt: null };
        await this.verification?.enqueue(em, changed);
        await this.verification?.enqueueChangeNotice(em, changed, user.email);
        await AuditLog.record(em, { actor: { id: userId, username: data.username }, action: "user.email_change", targetType: "user", targetId: userId, details: { username: data.username } });
      });
    } catch (err) {
      throw uniqueViolationToFieldError(err);
    }
    if (emailChanged) this.verification?.kick();
    return { emailChanged };
  }

  /**
   * Throws a FieldError unless `current` is the user's password, and TooManyAttempts once the account's failed
   * checks reach `limit` (counted and answered as logins are: see attemptLogin).
   */
  async checkPassword(userId: number, current: string, limit: FailureLimit): Promise<void> {
    const key = `user:${userId}`;
    if (await limit.reached(key)) throw new TooManyAttempts();
    const user = await User.createQueryBuilder("u").addSelect("u.passwordHash").where("u.id = :id", { id: userId }).getOne();
    if (!user || !(await bcrypt.compare(current, user.passwordHash))) {
      if (await limit.fail(key)) throw new TooManyAttempts();
      throw new FieldError("current_password", "profile.errors.current_password_wrong");
    }
    if (await limit.reached(key)) throw new TooManyAttempts();
  }

  /**
   * Stores the new hash and ends the user's other sessions (all but `keepSid`) in one transaction, returning the
   * ended session ids: a failure in between must not leave a changed password with a stolen session still alive.
   */
  async setPassword(userId: number, next: string, keepSid: string): Promise<string[]> {
    const hash = await this.hashPassword(next);
    return this.ds.transaction(async (em) => {
      await em.update(User, { id: userId }, { passwordHash: hash });
      return Session.destroyForUser(userId, keepSid, em);
    });
  }
}

function uniqueViolationToFieldError(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const constraint = e.driverError?.constraint ?? e.constraint ?? "";
  if (code !== "23505") return err;
  if (constraint.includes("email")) return new FieldError("email", "auth.errors.email_taken");
  return new FieldError("username", "auth.errors.username_taken");
}
