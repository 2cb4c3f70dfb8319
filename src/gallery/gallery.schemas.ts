// zod at the edge of the gallery: where a form sends the user back to, and the upload field names.
import { z } from "zod";
import { safeReturnPath } from "../http/guards";

export const PER_PAGE = 48;

/** An optional same-site path to return to after a POST (e.g. set-as-avatar from the full-size view). */
const returnForm = z.object({
  next: z
    .unknown()
    .transform((v) => safeReturnPath(v))
    .optional(),
});

/** The `next` field of a form, if it is a same-site path, else `fallback`. */
export function returnTo(body: unknown, fallback: string): string {
  const form = returnForm.safeParse(body ?? {});
  return (form.success && form.data.next) || fallback;
}

/** The upload field names the forms use. */
export const UPLOAD_FIELD = "images";
export const AVATAR_FIELD = "image";

export const CAPTION_MAX = 300;

/** The caption form: any text up to 300 characters (empty removes it). */
export const captionSchema = z.object({
  caption: z
    .string({ error: "gallery.caption.invalid" })
    .trim()
    .max(CAPTION_MAX, "gallery.caption.too_long")
    .refine((s) => !s.includes("\u0000"), "gallery.caption.invalid"),
});

/** Bulk delete: the chosen photo ids (one or many checkboxes), and whether the confirmation was given. */
export const bulkDeleteSchema = z.object({
  ids: z
    .union([z.string(), z.array(z.string())], { error: "gallery.bulk.choose" })
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(z.array(z.string().regex(/^[1-9][0-9]{0,8}$/, "gallery.bulk.choose").transform(Number)).min(1, "gallery.bulk.choose").max(PER_PAGE, "gallery.bulk.over_limit")),
  confirm: z.literal("yes").optional(),
});
