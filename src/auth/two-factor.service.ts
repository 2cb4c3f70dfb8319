// Two-factor authentication: TOTP (RFC 6238, any authenticator app) and ten single-use recovery codes. Turning it
// on (which ends the account's other sessions), regenerating the codes and turning it off happen here, each audited
// and (on/off) mailed to the account;
// `verifySecondFactor` is the one check of a second factor, for the login step and for anything else that asks for
// a code (deleting the account).
import crypto from "node:crypto";
import { generateSecret, generateURI, verify } from "otplib";
import QRCode from "qrcode";
import type { EntityManager } from "typeorm";
import { AuditLog } from "../admin/audit-log.entity";
import type { AppDeps } from "../deps";
import { HttpError } from "../http/errors";
import { RecoveryCode } from "./recovery-code.entity";
import { Session } from "./session.entity";
import { User } from "./user.entity";

export const TOTP_PERIOD_SECONDS = 30;
/** The previous and the next 30-second step are accepted too: a phone's clock a little off, a code typed slowly. */
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
export const RECOVERY_CODE_COUNT = 10;
/** 15 characters of a 32-letter alphabet (75 bits): no list of hashes can be searched for them. */
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i: read off paper
const RECOVERY_LENGTH = 15;

/** Whether the account has two-factor authentication on. */
export function hasTwoFactor(user: Pick<User, "totpEnabledAt">): boolean {
  return user.totpEnabledAt != null;
}

/** What was accepted as a second factor: a code from the app, or one of the recovery codes (now spent). */
export type SecondFactor = "totp" | "recovery";

/** A recovery code as people type it back: any case, with or without the dashes and spaces it was shown with. */
function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, "");
}

/**
 * A recovery code's stored form: an HMAC keyed with the account's TOTP secret, so one code has a different hash in
 * every account and a leaked table cannot be matched against anything precomputed.
 */
function recoveryCodeHash(secret: string, code: string): string {
  return crypto.createHmac("sha256", secret).update(normaliseRecoveryCode(code)).digest("hex");
}

function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let raw = "";
    for (let i = 0; i < RECOVERY_LENGTH; i++) raw += RECOVERY_ALPHABET[crypto.randomInt(RECOVERY_ALPHABET.length)];
    return raw.match(/.{5}/g)!.join("-");
  });
}

const isTotpShape = (code: string) => /^\d{6}$/.test(code);

/** The TOTP step a code matches (previous, current or next), or null. */
async function matchStep(secret: string, code: string, afterStep: number | undefined, now: number): Promise<number | null> {
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    ...(afterStep !== undefined ? { afterTimeStep: afterStep } : {}),
  });
  return result.valid && "timeStep" in result ? result.timeStep : null;
}

/**
 * Checks a second factor for the account and spends it: a TOTP code of the previous, current or next step, newer
 * than the last one accepted (a code is good once, and none older than it), or one of the unused recovery codes.
 * Each is spent by one conditional statement, so two requests racing with one code cannot both pass. `em`: the
 * caller's transaction, if any. Counting wrong codes against a limit is the caller's job.
 */
export async function checkSecondFactor(userId: number, code: string, em?: EntityManager, now = Date.now()): Promise<SecondFactor | null> {
  const manager = em ?? User.getRepository().manager;
  const trimmed = code.trim().replace(/\s/g, "");
  if (!trimmed || trimmed.length > 64) return null;
  const state = await User.totpStateOf(manager, userId);
  if (!state) return null;
  const { secret } = state;
  if (isTotpShape(trimmed)) {
    const step = await matchStep(secret, trimmed, state.lastStep, now);
    if (step === null) return null;
    return (await User.spendTotpStep(manager, userId, step)) ? "totp" : null;
  }
  return (await RecoveryCode.consume(manager, userId, recoveryCodeHash(secret, trimmed))) ? "recovery" : null;
}

/** True when `code` is a good second factor for the account (see checkSecondFactor); the code is spent. */
export async function verifySecondFactor(userId: number, code: string): Promise<boolean> {
  return (await checkSecondFactor(userId, code)) !== null;
}

/** What the setup page shows for a secret not yet confirmed: the QR code (an SVG data: URL) and the URI in it. */
export interface SetupView {
  secret: string;
  /** The secret in groups of four, for typing into an app by hand. */
  secretGroups: string;
  qrDataUrl: string;
  uri: string;
}

type Actor = Pick<User, "id" | "username" | "email" | "locale" | "timeZone">;

export class TwoFactorService {
  constructor(private deps: Pick<AppDeps, "ds" | "mailer" | "config" | "realtime">) {}

  /** A fresh secret for setup; it is kept in the session until a code from it confirms it. */
  newSecret(): string {
    return generateSecret();
  }

  async setupView(secret: string, account: string): Promise<SetupView> {
    const uri = generateURI({ issuer: "Hromada", label: account, secret });
    // SVG as a data: URL (img-src allows data:): drawn on the server, no script, sharp at any size.
    const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
    return {
      secret,
      secretGroups: secret.match(/.{1,4}/g)!.join(" "),
      qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`,
      uri,
    };
  }

  /**
   * Turns two-factor authentication on with `secret` if `code` is one of its codes: stores the secret (and the
   * code's step: it cannot be used again), ten new recovery codes, the audit entry and the mail in one transaction.
   * Returns the recovery codes (shown once), or null for a wrong code. 409 when it is already on.
   *
   * `endSessionsBut`: the session that turned it on. Every other session of the account ends in the same
   * transaction, and its sockets after it: whoever logged in with a stolen password before must now pass the code
   * too, as at a password change. Only a call outside any request (a script, a test's set-up) leaves it out, and
   * then sessions are left as they are.
   */
  async enable(user: Actor, secret: string, code: string, opts: { endSessionsBut?: string; now?: number } = {}): Promise<string[] | null> {
    const now = opts.now ?? Date.now();
    const trimmed = code.trim().replace(/\s/g, "");
    if (!isTotpShape(trimmed)) return null;
    const step = await matchStep(secret, trimmed, undefined, now);
    if (step === null) return null;
    const codes = newRecoveryCodes();
    const ended = await this.deps.ds.transaction(async (em) => {
      const locked = await User.lockForChange(em, user.id);
      if (!locked) throw new HttpError(404, "errors.not_found");
      if (hasTwoFactor(locked)) throw new HttpError(409, "auth.two_factor.errors.already_on");
      await em.update(User, { id: user.id }, { totpSecret: secret, totpEnabledAt: new Date(now), totpLastStep: String(step) });
      await RecoveryCode.replaceFor(em, user.id, codes.map((c) => recoveryCodeHash(secret, c)));
      const sids = opts.endSessionsBut !== undefined ? await Session.destroyForUser(user.id, opts.endSessionsBut, em) : [];
      await this.audit(em, user, "user.2fa_enable", { sessionsEnded: sids.length });
      await this.deps.mailer.enqueue(em, user, "two_factor_enabled", { username: user.username, url: this.deps.mailer.link("/account/two-factor") });
      return sids;
    });
    this.deps.realtime.disconnectSessions(ended);
    this.deps.mailer.kick();
    return codes;
  }

  /**
   * Ten new recovery codes in place of the old ones, if `code` is a good second factor (a recovery code works too,
   * and is spent with the rest). Returns the codes, or null for a wrong code.
   */
  async regenerateRecoveryCodes(user: Actor, code: string): Promise<string[] | null> {
    const codes = newRecoveryCodes();
    const ok = await this.deps.ds.transaction(async (em) => {
      const locked = await User.lockForChange(em, user.id);
      if (!locked || !hasTwoFactor(locked)) throw new HttpError(409, "auth.two_factor.errors.not_on");
      if (!(await checkSecondFactor(user.id, code, em))) return false;
      const secret = await this.secretOf(em, user.id);
      await RecoveryCode.replaceFor(em, user.id, codes.map((c) => recoveryCodeHash(secret, c)));
      await this.audit(em, user, "user.2fa_recovery_regenerate");
      return true;
    });
    return ok ? codes : null;
  }

  /**
   * Turns two-factor authentication off if `code` is a good second factor (the password was checked by the caller):
   * the secret and the recovery codes go, audited and mailed. Returns false for a wrong code.
   */
  async disable(user: Actor, code: string): Promise<boolean> {
    const ok = await this.deps.ds.transaction(async (em) => {
      const locked = await User.lockForChange(em, user.id);
      if (!locked || !hasTwoFactor(locked)) throw new HttpError(409, "auth.two_factor.errors.not_on");
      if (!(await checkSecondFactor(user.id, code, em))) return false;
      await em.update(User, { id: user.id }, { totpSecret: null, totpEnabledAt: null, totpLastStep: null });
      await em.delete(RecoveryCode, { userId: user.id });
      await this.audit(em, user, "user.2fa_disable");
      await this.deps.mailer.enqueue(em, user, "two_factor_disabled", { username: user.username, url: this.deps.mailer.link("/account/two-factor") });
      return true;
    });
    if (ok) this.deps.mailer.kick();
    return ok;
  }

  /** Records that a recovery code opened a login (the account's owner sees it in the admin's log of their account). */
  async recordRecoveryLogin(user: Pick<User, "id" | "username">): Promise<void> {
    await this.deps.ds.transaction((em) => this.audit(em, user, "user.2fa_recovery_used"));
  }

  remainingRecoveryCodes(userId: number): Promise<number> {
    return RecoveryCode.remaining(userId);
  }

  private async secretOf(em: EntityManager, userId: number): Promise<string> {
    const [row] = await em.query(`SELECT totp_secret AS secret FROM users WHERE id = $1`, [userId]);
    return row.secret;
  }

  private audit(em: EntityManager, user: Pick<User, "id" | "username">, action: string, details: Record<string, unknown> = {}): Promise<void> {
    return AuditLog.record(em, { actor: { id: user.id, username: user.username }, action, targetType: "user", targetId: user.id, details: { username: user.username, ...details } });
  }
}
