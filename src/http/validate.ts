// zod at the edge: one schema per form; failures become field errors, in the reader's language, for a 422 re-render.
import type { z } from "zod";
import { translateMessage, type Translate } from "../i18n";

export type FieldErrors = Record<string, string>;

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/**
 * Schemas carry translation keys as messages (`.min(3, "validation.too_short")`); a custom issue passes its
 * values in `params`. A size check's limit reaches the message as {{min}} / {{max}}.
 */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown, t: Translate): FormResult<z.output<S>> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? "_form");
    errors[key] ??= issueText(t, issue);
  }
  return { ok: false, errors };
}

/** One zod issue in words: its message key translated, with a size check's limit as {{min}} / {{max}}. */
export function issueText(t: Translate, issue: z.core.$ZodIssue): string {
  const i = issue as { minimum?: unknown; maximum?: unknown; params?: Record<string, unknown> };
  return translateMessage(t, issue.message, { min: i.minimum, max: i.maximum, ...i.params });
}

/** Form fields as the user typed them, minus anything secret, for re-rendering a form. */
export function oldInput(body: unknown, omit: string[] = ["password", "password_confirm", "current_password", "new_password", "_csrf"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === "object") {
    for (const [k, v] of Object.entries(body)) if (!omit.includes(k) && typeof v === "string") out[k] = v;
  }
  return out;
}
