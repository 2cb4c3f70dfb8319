// The two-factor forms: a code (from the app, or a recovery code), and turning it off (the password and a code).
import { z } from "zod";

const code = z
  .string({ error: "auth.two_factor.errors.code_required" })
  .trim()
  .min(1, "auth.two_factor.errors.code_required")
  .max(64, "auth.two_factor.errors.code_wrong")
  // Digits, or a recovery code's letters and dashes; spaces as people group them.
  .regex(/^[A-Za-z0-9 -]+$/, "auth.two_factor.errors.code_wrong");

export const codeSchema = z.object({ code });

export const disableSchema = z.object({
  current_password: z.string({ error: "auth.two_factor.errors.password_required" }).min(1, "auth.two_factor.errors.password_required").max(1024),
  code,
});
