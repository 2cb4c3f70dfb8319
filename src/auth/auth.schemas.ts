// One zod schema per account form. Messages are translation keys (locales/*.json, group "auth" / "profile"),
// turned into the reader's language by parseForm.
import { z } from "zod";
import { isLanguage } from "../i18n";
import { currentZoneName, isTimeZone } from "../i18n/time-zones";
import { passwordProblem } from "./password-policy";

const utf8Bytes = (s: string) => Buffer.byteLength(s, "utf8");

/** For the command line (English), as the forms show auth.rules.username / auth.rules.password. */
export const USERNAME_RULES = "3 to 30 characters: letters, digits, dots, dashes and underscores.";
export const PASSWORD_RULES =
  "8 to 72 bytes (about 72 plain letters; fewer with accents or emoji). Not a common password, not like your username or email, not only digits. A few unrelated words work well.";

const username = z
  .string({ error: "auth.errors.username_required" })
  .trim()
  .min(3, "auth.errors.username_too_short")
  .max(30, "auth.errors.username_too_long")
  .regex(/^[\p{L}\p{N}._-]+$/u, "auth.errors.username_chars");

const email = z
  .string({ error: "auth.errors.email_required" })
  .trim()
  .min(1, "auth.errors.email_required")
  .max(254, "auth.errors.email_too_long")
  .pipe(z.email("auth.errors.email_invalid"));

// bcrypt reads at most 72 bytes: a longer password would be cut silently, so it is refused instead.
export const password = z
  .string({ error: "auth.errors.password_required" })
  .min(1, "auth.errors.password_required")
  .refine((s) => utf8Bytes(s) >= 8, "auth.errors.password_too_short")
  .refine((s) => utf8Bytes(s) <= 72, "auth.errors.password_too_long");

/**
 * The zone the browser reported at sign-up or login (public/js/timezone.js fills a hidden field). Empty (no
 * JavaScript) or a name we do not know is simply not stored: nobody is kept from signing up or logging in by
 * what their browser calls its zone. The profile's select is strict (preferencesSchema).
 */
const detectedTimeZone = z
  .unknown()
  .optional()
  .transform((v) => (isTimeZone(v) ? currentZoneName(v) : undefined));

/**
 * The password policy's verdict on a new password, as an issue on its field. Judged only once the password has a
 * valid length (the length message says enough), and against the names as typed, even if they have errors.
 */
function checkPolicy(ctx: z.RefinementCtx, field: string, password: unknown, account: { username?: unknown; email?: unknown }) {
  if (typeof password !== "string" || utf8Bytes(password) < 8 || utf8Bytes(password) > 72) return;
  const problem = passwordProblem(password, { username: String(account.username ?? ""), email: String(account.email ?? "") });
  if (problem) ctx.addIssue({ code: "custom", path: [field], message: problem.key, params: problem.params });
}

export const signupSchema = z
  .object({ username, email, password, password_confirm: z.string({ error: "auth.errors.password_confirm_required" }), time_zone: detectedTimeZone })
  .refine((d) => d.password === d.password_confirm, { path: ["password_confirm"], message: "auth.errors.passwords_differ" })
  .superRefine((d, ctx) => checkPolicy(ctx, "password", d.password, d));

export const loginSchema = z.object({
  login: z
    .string({ error: "auth.errors.login_required" })
    .trim()
    .min(1, "auth.errors.login_required")
    .max(254)
    // No username or email holds a NUL, and Postgres would refuse the lookup (a 500).
    .refine((s) => !s.includes("\u0000"), "auth.errors.login_nul"),
  password: z.string({ error: "auth.errors.login_password_required" }).min(1, "auth.errors.login_password_required").max(1024),
  time_zone: detectedTimeZone,
});

export const profileSchema = z.object({ username, email });

/** The profile's language and time-zone form: both from lists, so anything else is refused (422), never stored. */
export const preferencesSchema = z.object({
  locale: z.string().refine(isLanguage, "profile.errors.language_invalid"),
  time_zone: z
    .string({ error: "profile.errors.time_zone_invalid" })
    .refine(isTimeZone, "profile.errors.time_zone_invalid")
    .transform(currentZoneName),
});

/** The password-change form of this account: the new password is judged against the account's own names. */
export const passwordChangeSchema = (account: { username: string; email: string }) =>
  z
    .object({
      current_password: z.string({ error: "profile.errors.current_password_required" }).min(1, "profile.errors.current_password_required").max(1024),
      new_password: password,
      new_password_confirm: z.string({ error: "profile.errors.new_password_confirm_required" }),
    })
    .refine((d) => d.new_password === d.new_password_confirm, {
      path: ["new_password_confirm"],
      message: "auth.errors.passwords_differ",
    })
    .superRefine((d, ctx) => checkPolicy(ctx, "new_password", d.new_password, account));

/** "Forgot your password?": the address to send a link to. */
export const passwordResetRequestSchema = z.object({ email });

/** The new password chosen through a reset link, judged against the account's own names. */
export const passwordResetSchema = (account: { username: string; email: string }) =>
  z
    .object({
      new_password: password,
      new_password_confirm: z.string({ error: "profile.errors.new_password_confirm_required" }),
    })
    .refine((d) => d.new_password === d.new_password_confirm, { path: ["new_password_confirm"], message: "auth.errors.passwords_differ" })
    .superRefine((d, ctx) => checkPolicy(ctx, "new_password", d.new_password, account));
