// One zod schema per account form.
import { z } from "zod";
import { PASSWORD_POLICY, passwordProblem } from "./password-policy";

const utf8Bytes = (s: string) => Buffer.byteLength(s, "utf8");

export const USERNAME_RULES = "3 to 30 characters: letters, digits, dots, dashes and underscores.";
export const PASSWORD_RULES = `8 to 72 bytes (about 72 plain letters; fewer with accents or emoji). ${PASSWORD_POLICY}`;

const username = z
  .string({ error: "Enter a username." })
  .trim()
  .min(3, "Username must be at least 3 characters.")
  .max(30, "Username must be at most 30 characters.")
  .regex(/^[\p{L}\p{N}._-]+$/u, "Use only letters, digits, dots, dashes and underscores.");

const email = z
  .string({ error: "Enter an email address." })
  .trim()
  .min(1, "Enter an email address.")
  .max(254, "Email must be at most 254 characters.")
  .pipe(z.email("Enter a valid email address."));

// bcrypt reads at most 72 bytes: a longer password would be cut silently, so it is refused instead.
export const password = z
  .string({ error: "Enter a password." })
  .min(1, "Enter a password.")
  .refine((s) => utf8Bytes(s) >= 8, "Password must be at least 8 characters.")
  .refine((s) => utf8Bytes(s) <= 72, "Password is too long: at most 72 bytes (about 72 plain letters).");

/**
 * The password policy's verdict on a new password, as an issue on its field. Judged only once the password has a
 * valid length (the length message says enough), and against the names as typed, even if they have errors.
 */
function checkPolicy(ctx: z.RefinementCtx, field: string, password: unknown, account: { username?: unknown; email?: unknown }) {
  if (typeof password !== "string" || utf8Bytes(password) < 8 || utf8Bytes(password) > 72) return;
  const problem = passwordProblem(password, { username: String(account.username ?? ""), email: String(account.email ?? "") });
  if (problem) ctx.addIssue({ code: "custom", path: [field], message: problem });
}

export const signupSchema = z
  .object({ username, email, password, password_confirm: z.string({ error: "Repeat the password." }) })
  .refine((d) => d.password === d.password_confirm, { path: ["password_confirm"], message: "The passwords do not match." })
  .superRefine((d, ctx) => checkPolicy(ctx, "password", d.password, d));

export const loginSchema = z.object({
  login: z
    .string({ error: "Enter your username or email." })
    .trim()
    .min(1, "Enter your username or email.")
    .max(254)
    // No username or email holds a NUL, and Postgres would refuse the lookup (a 500).
    .refine((s) => !s.includes("\u0000"), "Usernames and emails cannot contain NUL characters."),
  password: z.string({ error: "Enter your password." }).min(1, "Enter your password.").max(1024),
});

export const profileSchema = z.object({ username, email });

/** The password-change form of this account: the new password is judged against the account's own names. */
export const passwordChangeSchema = (account: { username: string; email: string }) =>
  z
    .object({
      current_password: z.string({ error: "Enter your current password." }).min(1, "Enter your current password.").max(1024),
      new_password: password,
      new_password_confirm: z.string({ error: "Repeat the new password." }),
    })
    .refine((d) => d.new_password === d.new_password_confirm, {
      path: ["new_password_confirm"],
      message: "The passwords do not match.",
    })
    .superRefine((d, ctx) => checkPolicy(ctx, "new_password", d.new_password, account));
