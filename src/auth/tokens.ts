// Signed, expiring, state-bound tokens for links in mail, on Django's PasswordResetTokenGenerator idea: nothing is
// stored. A token is `<user id>-<issued at>-<signature>`, the signature an HMAC over the purpose, the user, the time
// and the account's state that the token must not survive (for a password reset: the password hash, the email and
// the last login). Changing any of those, using the token included, makes every earlier token fail.
import crypto from "node:crypto";

export type TokenPurpose = "password-reset" | "verify-email";

const SIG_CHARS = 32; // 192 bits of the HMAC, base64url

export class TokenSigner {
  private key: Buffer;

  /** `secret`: the session secret; a key of its own is derived from it, so a token never doubles as a cookie signature. */
  constructor(secret: string) {
    this.key = crypto.createHmac("sha256", secret).update("hromada:mail-tokens").digest();
  }

  private sign(purpose: TokenPurpose, userId: number, issued: number, state: string): string {
    return crypto.createHmac("sha256", this.key).update(`${purpose}\n${userId}\n${issued}\n${state}`).digest("base64url").slice(0, SIG_CHARS);
  }

  make(purpose: TokenPurpose, userId: number, state: string, now = Date.now()): string {
    const issued = Math.floor(now / 1000);
    return `${userId.toString(36)}-${issued.toString(36)}-${this.sign(purpose, userId, issued, state)}`;
  }

  /** A well-formed token's parts (the signature may itself hold dashes: base64url), or null. */
  private static parts(token: unknown): { userId: number; issued: number; sig: string } | null {
    if (typeof token !== "string") return null;
    const m = /^([0-9a-z]{1,7})-([0-9a-z]{1,8})-([A-Za-z0-9_-]{32})$/.exec(token);
    if (!m) return null;
    const userId = parseInt(m[1], 36);
    if (!(userId > 0 && userId <= 2_147_483_647)) return null;
    return { userId, issued: parseInt(m[2], 36), sig: m[3] };
  }

  /** The user id a well-formed token names (to look the account up), or null. Says nothing about validity. */
  static userIdOf(token: unknown): number | null {
    return TokenSigner.parts(token)?.userId ?? null;
  }

  /** True when the token was made for this purpose, user and state, no longer than `maxAgeMs` ago. */
  check(token: string, purpose: TokenPurpose, userId: number, state: string, maxAgeMs: number, now = Date.now()): boolean {
    const parts = TokenSigner.parts(token);
    if (!parts || parts.userId !== userId) return false;
    const { issued, sig } = parts;
    const age = now / 1000 - issued;
    // A token from the future (a forged time) is as bad as an expired one.
    if (!(age >= -60 && age * 1000 <= maxAgeMs)) return false;
    const expected = Buffer.from(this.sign(purpose, userId, issued, state));
    const given = Buffer.from(sig);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  }
}
