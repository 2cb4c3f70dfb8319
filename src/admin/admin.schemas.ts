// One zod schema per admin form; page numbers and ids are parsed separately (a bad one is a 404).
import { z } from "zod";

export const userSearchSchema = z.object({
  q: z
    .string({ error: "admin.errors.search_type" })
    .trim()
    .max(100, "admin.errors.search_long")
    // Postgres text cannot hold NUL, and no username or email contains control characters.
    .refine((q) => !/[\u0000-\u001f\u007f]/.test(q), "admin.errors.search_control")
    .default(""),
});

const flag = (message: string) => z.enum(["1", "0"], { error: message }).transform((v) => v === "1");

export const setActiveSchema = z.object({ active: flag("admin.errors.active_choice") });

export const setStaffSchema = z.object({ staff: flag("admin.errors.staff_choice") });

export const deleteUserSchema = z.object({
  confirm: z
    .string({ error: "admin.errors.confirm_required" })
    .trim()
    .min(1, "admin.errors.confirm_required")
    .max(150, "admin.errors.confirm_long"),
});

/** Where a moderation form sends the admin back to: only admin pages, so the field cannot redirect elsewhere. */
export function adminReturnPath(raw: unknown, fallback: string): string {
  if (typeof raw !== "string" || raw.length > 500 || !/^\/admin(\/[A-Za-z0-9/_-]*)?(\?[A-Za-z0-9=&%+._-]*)?$/.test(raw)) return fallback;
  return raw;
}
