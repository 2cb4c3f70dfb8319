// ?page=N for note lists: lenient about junk, strict about pages that cannot exist.
import { notFound } from "../http/errors";

/** Beyond this no page can hold a note (ids are int4, 20 a page): a 404 without asking the database. */
const MAX_PAGE = Math.floor(2147483647 / 20) + 1;

/**
 * Missing or malformed (?page=abc, -1, 0, ?page=1&page=2, ?page[]=1) means the first page, as people and
 * crawlers mangle links; a well-formed number too large to exist is a 404.
 */
export function parsePage(raw: unknown): number {
  if (typeof raw !== "string" || !/^[0-9]{1,100}$/.test(raw)) return 1;
  const digits = raw.replace(/^0+/, "");
  if (!digits) return 1;
  if (digits.length > 10 || Number(digits) > MAX_PAGE) throw notFound();
  return Number(digits);
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

/** Links for a Bootstrap pagination bar: the first, the last and two either side of the current page. */
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
