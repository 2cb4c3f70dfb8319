// zod at the edge of the gallery: the page number of the grid, and where a form sends the user back to.
import { z } from "zod";
import { safeReturnPath } from "../http/guards";

export const PER_PAGE = 48;

/** ?page=N; anything odd (missing, zero, text, absurdly large) is simply the first page. */
export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
});

/** An optional same-site path to return to after a POST (e.g. set-as-avatar from the full-size view). */
export const returnForm = z.object({
  next: z
    .unknown()
    .transform((v) => safeReturnPath(v))
    .optional(),
});

/** The upload field names the forms use. */
export const UPLOAD_FIELD = "images";
export const AVATAR_FIELD = "image";
