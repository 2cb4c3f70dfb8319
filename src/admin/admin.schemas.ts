// One zod schema per admin form; page numbers and ids are parsed separately (a bad one is a 404).
import { z } from "zod";

export const userSearchSchema = z.object({
  q: z
    .string({ error: "Enter one search term." })
    .trim()
    .max(100, "Search for at most 100 characters.")
    // Postgres text cannot hold NUL, and no username or email contains control characters.
    .refine((q) => !/[\u0000-\u001f\u007f]/.test(q), "Remove the control characters from the search.")
    .default(""),
});

const flag = (message: string) => z.enum(["1", "0"], { error: message }).transform((v) => v === "1");

export const setActiveSchema = z.object({ active: flag("Choose whether the account is active.") });

export const setStaffSchema = z.object({ staff: flag("Choose whether the user is staff.") });

export const deleteUserSchema = z.object({
  confirm: z
    .string({ error: "Type the username to confirm." })
    .trim()
    .min(1, "Type the username to confirm.")
    .max(150, "That is not the username."),
});

/** Where a moderation form sends the admin back to: only admin pages, so the field cannot redirect elsewhere. */
export function adminReturnPath(raw: unknown, fallback: string): string {
  if (typeof raw !== "string" || raw.length > 500 || !/^\/admin(\/[A-Za-z0-9/_-]*)?(\?[A-Za-z0-9=&%+._-]*)?$/.test(raw)) return fallback;
  return raw;
}
