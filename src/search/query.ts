// The search boxes' query language (notes and chat messages): how a query becomes a database search, and how
// matches are marked in the results.
// Highlighting happens here on plain text, never in SQL: ts_headline returns HTML built from the user's
// own text, and marking that safe would let a note inject markup. The template escapes every segment.
import { containsPattern } from "../db/sql";

/** What Postgres' 'simple' parser would call a word, near enough for choosing a mode and highlighting. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/** Whole words this long or longer go to the full-text index; shorter queries are substring searches. */
const MIN_FULLTEXT_WORD = 3;

export interface SearchPlan {
  /**
   * fulltext: to_tsvector('simple', data) @@ websearch_to_tsquery('simple', text), served by the GIN index;
   * whole words, any order, "phrases", -exclusions and `or` work.
   * substring: data ILIKE '%text%', for queries made only of short words ("ok", "C#") that word search
   * would miss or that the parser would throw away.
   */
  mode: "fulltext" | "substring";
  text: string;
  /** What to mark in the results. */
  terms: string[];
}

export function planSearch(q: string): SearchPlan {
  const words = q.match(WORD) ?? [];
  if (words.some((w) => [...w].length >= MIN_FULLTEXT_WORD)) return { mode: "fulltext", text: q, terms: fulltextTerms(q) };
  return { mode: "substring", text: q, terms: [q] };
}

/** The words a full-text query asks for: websearch syntax drops -word, -"a phrase" and a bare `or`. */
function fulltextTerms(q: string): string[] {
  const terms = new Set<string>();
  for (const m of q.matchAll(/(-?)"([^"]*)"?|(-?)(\S+)/gu)) {
    if (m[1] === "-" || m[3] === "-") continue;
    if (m[4] !== undefined && m[4].toLowerCase() === "or") continue;
    for (const w of (m[2] ?? m[4] ?? "").match(WORD) ?? []) terms.add(w.toLowerCase());
  }
  return [...terms];
}

/**
 * The WHERE condition that applies a plan to a text column, given the placeholder of its parameter (matchParam).
 * Full-text mode spells the indexed expression exactly, to_tsvector('simple', <column>), or Postgres cannot use
 * the column's GIN index.
 */
export function matchSql(plan: SearchPlan, column: string, param: string): string {
  return plan.mode === "fulltext"
    ? `to_tsvector('simple', ${column}) @@ websearch_to_tsquery('simple', ${param})`
    : `${column} ILIKE ${param}`;
}

/** The parameter of matchSql's condition. */
export function matchParam(plan: SearchPlan): string {
  return plan.mode === "fulltext" ? plan.text : containsPattern(plan.text);
}

/** Up to `chars` of a text, starting a little before the first term it matches. */
export function excerpt(text: string, terms: string[], chars: number): string {
  if (text.length <= chars) return text;
  const lower = text.toLowerCase();
  const hits = terms.map((term) => lower.indexOf(term.toLowerCase())).filter((i) => i >= 0);
  const from = hits.length ? Math.max(0, Math.min(...hits) - 60) : 0;
  return `${from > 0 ? "…" : ""}${text.slice(from, from + chars)}${from + chars < text.length ? "…" : ""}`;
}

export interface Segment {
  text: string;
  mark: boolean;
}

// Only syntax characters: in a u-flag RegExp, escaping anything else (even "-") is a SyntaxError.
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * Splits a text into plain and matching segments. Full-text matches are whole words (as the index
 * matched them), substring matches are anywhere; both ignore case, as the SQL does.
 */
export function highlight(text: string, plan: SearchPlan): Segment[] {
  const terms = plan.terms.filter(Boolean).sort((a, b) => b.length - a.length).map(escapeRegExp);
  if (!terms.length) return [{ text, mark: false }];
  const alternatives = terms.join("|");
  const re = plan.mode === "fulltext"
    ? new RegExp(`(?<![\\p{L}\\p{M}\\p{N}])(?:${alternatives})(?![\\p{L}\\p{M}\\p{N}])`, "giu")
    : new RegExp(alternatives, "giu");
  const segments: Segment[] = [];
  let at = 0;
  for (const m of text.matchAll(re)) {
    if (!m[0]) continue;
    if (m.index > at) segments.push({ text: text.slice(at, m.index), mark: false });
    segments.push({ text: m[0], mark: true });
    at = m.index + m[0].length;
  }
  if (at < text.length) segments.push({ text: text.slice(at), mark: false });
  return segments;
}
