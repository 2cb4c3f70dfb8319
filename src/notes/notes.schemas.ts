// One zod schema per notes form.
import { z } from "zod";
import { NOTE_SORTS } from "./note.entity";

export const NOTE_MAX_CHARS = 10_000;
export const SEARCH_MAX_CHARS = 200;

/** Whitespace plus the invisible characters people paste by accident (zero-width spaces, BOM). */
const BLANK = /^[\s\u200B-\u200D\u2060\uFEFF]*$/u;

/**
 * Browsers send textarea line breaks as CRLF but count them as one character against maxlength, so they
 * are normalised before counting. Leading blank lines and trailing whitespace go; indentation stays.
 * Characters are code points, so an emoji counts once.
 */
const noteText = z
  .string({ error: "notes.errors.empty" })
  .transform((s) => s.replace(/\r\n?/g, "\n").replace(/^(?:[ \t]*\n)+/, "").trimEnd())
  .superRefine((s, ctx) => {
    if (BLANK.test(s)) {
      ctx.addIssue({ code: "custom", message: "notes.errors.blank" });
      return;
    }
    const length = [...s].length;
    if (length > NOTE_MAX_CHARS) {
      ctx.addIssue({ code: "custom", message: "notes.errors.too_long", params: { max: NOTE_MAX_CHARS, length } });
    }
    // Postgres text cannot hold U+0000; refusing it here keeps it from becoming a 500.
    if (s.includes("\u0000")) ctx.addIssue({ code: "custom", message: "notes.errors.nul" });
  });

export const noteSchema = z.object({ data: noteText });

/** ?q= as typed; anything that is not one string (?q=a&q=b, ?q[]=a) is treated as no search at all. */
export const searchSchema = z.object({
  q: z.preprocess(
    (v) => (typeof v === "string" ? v.replace(/\u0000/g, "").trim() : ""),
    z.string().max(SEARCH_MAX_CHARS, "notes.errors.search_too_long"),
  ),
});

/** ?sort= of the home page: a link, so anything unknown (or repeated) is simply the default order. */
export const listSchema = z.object({ sort: z.enum(NOTE_SORTS).catch("written") });
