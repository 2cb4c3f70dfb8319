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
