import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HttpError } from "../../src/http/errors";
import { paginate, parsePage } from "../../src/http/pagination";

const notes = { perPage: 20 };
const admin = { perPage: 25, strict: true };

describe("parsePage", () => {
  it("reads a page number", () => {
    assert.equal(parsePage("1", notes), 1);
    assert.equal(parsePage("7", notes), 7);
    assert.equal(parsePage("007", notes), 7);
  });

  it("falls back to the first page for anything malformed", () => {
    for (const raw of [undefined, "", "abc", "-1", "0", "000", "1.5", "1e3", " 2", "2 ", ["2"], { a: "2" }, 2]) {
      assert.equal(parsePage(raw, notes), 1, JSON.stringify(raw));
    }
  });

  it("is a 404 for a page too large to hold any note", () => {
    for (const raw of ["107374184", "99999999999", "9".repeat(100)]) {
      assert.throws(() => parsePage(raw, notes), (e: unknown) => e instanceof HttpError && e.status === 404, raw);
    }
    assert.equal(parsePage("107374183", notes), 107374183, "the last page that could exist");
  });

  it("strict (the admin site): only a missing page is the first, anything malformed is a 404", () => {
    assert.equal(parsePage(undefined, admin), 1);
    assert.equal(parsePage("", admin), 1);
    assert.equal(parsePage("12", admin), 12);
    for (const raw of ["abc", "-1", "0", "007", "1.5", ["2"], "85899347"]) {
      assert.throws(() => parsePage(raw, admin), (e: unknown) => e instanceof HttpError && e.status === 404, JSON.stringify(raw));
    }
  });
});

describe("paginate", () => {
  const href = (p: number) => `/?page=${p}`;
  const shape = (page: number, total: number) => paginate(page, total, 20, href).links.map((l) => (l.page ? (l.current ? `[${l.page}]` : String(l.page)) : "…")).join(" ");

  it("shows the first, the last and two pages either side, with gaps", () => {
    assert.equal(shape(1, 0), "[1]");
    assert.equal(shape(1, 20), "[1]");
    assert.equal(shape(1, 21), "[1] 2");
    assert.equal(shape(1, 200), "[1] 2 3 … 10");
    assert.equal(shape(5, 200), "1 … 3 4 [5] 6 7 … 10");
    assert.equal(shape(4, 200), "1 2 3 [4] 5 6 … 10");
    assert.equal(shape(10, 200), "1 … 8 9 [10]");
  });

  it("links to the previous and next pages when there are any", () => {
    assert.deepEqual(
      { ...paginate(1, 45, 20, href), links: undefined },
      { page: 1, pages: 3, prev: null, next: "/?page=2", links: undefined },
    );
    const last = paginate(3, 45, 20, href);
    assert.equal(last.prev, "/?page=2");
    assert.equal(last.next, null);
  });
});
