// The "Delete my account" form. Messages are translation keys (locales/*.json), turned into the reader's language by parseForm.
import { z } from "zod";

export const deleteAccountSchema = z.object({
  current_password: z.string({ error: "profile.errors.current_password_required" }).min(1, "profile.errors.current_password_required").max(1024),
  // Six digits from an app, or a recovery code; spaces people type between groups are dropped.
  code: z
    .string()
    .max(64)
    .optional()
    .transform((s) => (s ?? "").replace(/\s+/g, "") || undefined),
});

/** A download link's id: a uuid, or not found (never a query with it). */
export const isExportId = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);
