// Paging for every list: ?page=N parsing, the one-extra-row window, and a numbered Bootstrap bar.
import { INT4_MAX } from "../db/sql";
import { notFound } from "./errors";

export interface PageOptions {
  perPage: number;
  /**
   * false (the default): missing or malformed (?page=abc, -1, 0, ?page=1&page=2, ?page[]=1) means the first page, as
   * people and crawlers mangle links. true: only a missing page is the first; anything malformed is a 404 (the admin
   * site, whose links nobody types).
   */
  strict?: boolean;
}

/** ?page=N. A well-formed number too large for any row to be on it (ids are int4) is a 404 without asking the database. */
export function parsePage(raw: unknown, { perPage, strict = false }: PageOptions): number {
  if (raw === undefined || raw === "") return 1;
  if (typeof raw !== "string" || !/^[0-9]{1,100}$/.test(raw)) return malformed(strict);
  const digits = raw.replace(/^0+/, "");
  if (!digits) return malformed(strict);
  if (strict && digits !== raw) throw notFound();
  if (digits.length > 10 || Number(digits) > Math.floor(INT4_MAX / perPage) + 1) throw notFound();
  return Number(digits);
}

function malformed(strict: boolean): number {
  if (strict) throw notFound();
  return 1;
}

/** A page of a list read without a count: prev/next only. */
export interface Paged<T> {
  items: T[];
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
}

/** LIMIT and OFFSET for `page`: one row more than a page, whose presence says there is a next page, with no count. */
export function pageWindow(page: number, perPage: number): { limit: number; offset: number } {
  return { limit: perPage + 1, offset: (page - 1) * perPage };
}

/** The rows read through pageWindow, as a page. */
export function paged<T>(rows: T[], page: number, perPage: number): Paged<T> {
  return { items: rows.slice(0, perPage), page, hasPrev: page > 1, hasNext: rows.length > perPage };
}

export interface PageLink {
  /** null marks a gap (…) between page numbers. */
  page: number | null;
  href: string;
  current: boolean;
}

export interface Pagination {
  page: number;
  pages: number;
  prev: string | null;
  next: string | null;
  links: PageLink[];
}

/** Links for a Bootstrap pagination bar of a counted list: the first, the last and two either side of the current page. */
export function paginate(page: number, total: number, perPage: number, href: (page: number) => string): Pagination {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const shown = new Set([1, pages]);
  for (let p = page - 2; p <= page + 2; p++) if (p >= 1 && p <= pages) shown.add(p);
  const links: PageLink[] = [];
  let last = 0;
  for (const p of [...shown].sort((a, b) => a - b)) {
    if (p > last + 1) links.push({ page: null, href: "", current: false });
    links.push({ page: p, href: href(p), current: p === page });
    last = p;
  }
  return {
    page,
    pages,
    prev: page > 1 ? href(page - 1) : null,
    next: page < pages ? href(page + 1) : null,
    links,
  };
}
