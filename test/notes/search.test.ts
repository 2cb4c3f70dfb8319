import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "pg";
import { highlight, planSearch } from "../../src/search/query";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, type Agent } from "../helpers/agent";
import { insertNote, mainOf, noteBodies } from "./notes-helpers";

let app: TestApp;
let a: Agent;
let userId: number;
let otherId: number;
before(async () => {
  app = await startTestApp();
  ({ agent: a, userId } = await loggedInAgent(app));
  ({ userId: otherId } = await loggedInAgent(app));
  for (const text of [
    "Buy milk and bread on Friday",
    "Call the plumber about the leaking pipe",
    "Ideas: a garden with tomatoes, a PIPE organ",
    "The book is OK, not great",
    "100% sure about the date",
    "1000 sure",
    "snake_case vs camelCase",
    "snakeXcase",
    "path C:\\temp\\x",
    "<b>bold</b> claims & \"quotes\"",
    "Зустріч у п'ятницю з Оленою",
  ]) await insertNote(app, userId, text);
  await insertNote(app, otherId, "other user's pipe and milk, 100% ok <b>bold</b>");
});
after(() => app.close());

const search = (q: string, extra = "") => a.get(`/notes/search?q=${encodeURIComponent(q)}${extra}`);
const plain = (body: string) => body.replace(/<\/?mark>/g, "");

describe("full-text search", () => {
  it("finds whole words in any order and any case, marking them", async () => {
    const res = await search("PIPE leaking");
    assert.equal(res.status, 200);
    assert.deepEqual(noteBodies(res.text), ["Call the plumber about the <mark>leaking</mark> <mark>pipe</mark>"]);
    assert.match(res.text, /1 note matches <q data-user-content>PIPE leaking<\/q>/);
    const pipes = noteBodies((await search("pipe")).text);
    assert.deepEqual(pipes, [
      "Ideas: a garden with tomatoes, a <mark>PIPE</mark> organ",
      "Call the plumber about the leaking <mark>pipe</mark>",
    ], "newest first; the other user's pipe is not found");
  });

  it("matches whole words, not parts of words", async () => {
    assert.deepEqual(noteBodies((await search("plum")).text), []);
    assert.match((await search("plum")).text, /No notes match/);
  });

  it("understands phrases, exclusions and or", async () => {
    assert.deepEqual(noteBodies((await search('"leaking pipe"')).text).map(plain), ["Call the plumber about the leaking pipe"]);
    assert.deepEqual(noteBodies((await search('"pipe leaking"')).text), [], "a phrase keeps its order");
    assert.deepEqual(noteBodies((await search("pipe -plumber")).text), ["Ideas: a garden with tomatoes, a <mark>PIPE</mark> organ"]);
    assert.deepEqual(noteBodies((await search("milk or tomatoes")).text).map(plain), [
      "Ideas: a garden with tomatoes, a PIPE organ",
      "Buy milk and bread on Friday",
    ]);
  });

  it("works for Cyrillic words", async () => {
    assert.deepEqual(noteBodies((await search("оленою")).text), ["Зустріч у п&#39;ятницю з <mark>Оленою</mark>"]);
  });

  it("sends a query the GIN index can serve", async () => {
    // Capture the statement the app sends, then ask Postgres how it would run it with sequential scans
    // off and the per-user index out of the way (dropped inside a transaction that is rolled back): if
    // the expression did not match notes_data_fts_idx exactly, the plan could not name it.
    const sent: { text: string; values: unknown[] }[] = [];
    const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    proto.query = function (this: Client, ...args: unknown[]) {
      const [q, v] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
      if (typeof q === "string" && q.includes("websearch_to_tsquery")) sent.push({ text: q, values: v ?? [] });
      return original.apply(this, args);
    };
    try {
      assert.equal((await search("plumber")).status, 200);
    } finally {
      proto.query = original;
    }
    assert.equal(sent.length, 1);
    assert.match(sent[0].text, /to_tsvector\('simple', "n"\."data"\) @@ websearch_to_tsquery\('simple', \$2\)/);
    const client = new Client({ connectionString: app.db.url });
    await client.connect();
    try {
      await client.query("BEGIN");
      await client.query("SET LOCAL enable_seqscan = off");
      await client.query("DROP INDEX notes_user_id_id_idx");
      const { rows } = await client.query(`EXPLAIN ${sent[0].text}`, sent[0].values);
      await client.query("ROLLBACK");
      const plan = rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n");
      assert.match(plan, /Bitmap Index Scan on notes_data_fts_idx/, plan);
    } finally {
      await client.end();
    }
  });
});

describe("short-word substring search", () => {
  it("finds short words anywhere in the text, ignoring case", async () => {
    assert.deepEqual(noteBodies((await search("ok")).text), ["The bo<mark>ok</mark> is <mark>OK</mark>, not great"]);
    assert.match((await search("ok")).text, /1 note matches/);
  });

  it("takes % and _ literally", async () => {
    assert.deepEqual(noteBodies((await search("0%")).text), ["10<mark>0%</mark> sure about the date"]);
    assert.deepEqual(noteBodies((await search("e_c")).text), ["snak<mark>e_c</mark>ase vs camelCase"]);
    assert.deepEqual(noteBodies((await search("%")).text).map(plain), ["100% sure about the date"]);
    assert.deepEqual(noteBodies((await search("_")).text).map(plain), ["snake_case vs camelCase"]);
  });

  it("takes a backslash literally", async () => {
    assert.deepEqual(noteBodies((await search(":\\")).text), ["path C<mark>:&#92;</mark>temp&#92;x"]);
  });

  it("never finds another user's notes", async () => {
    for (const q of ["ok", "0%", "&", "<b"]) {
      const bodies = noteBodies((await search(q)).text).join("\n");
      assert.ok(!bodies.includes("other user"), q);
    }
  });
});

describe("highlighting", () => {
  it("escapes the note around and inside the marks", async () => {
    const bold = await search("bold");
    assert.deepEqual(noteBodies(bold.text), ["&lt;b&gt;<mark>bold</mark>&lt;/b&gt; claims &amp; &quot;quotes&quot;"]);
    const tag = await search("<b>");
    assert.deepEqual(noteBodies(tag.text), ["<mark>&lt;b&gt;</mark>bold&lt;/b&gt; claims &amp; &quot;quotes&quot;"]);
    assert.doesNotMatch(mainOf(tag.text), /<b>/);
  });

  it("escapes the query where it is echoed", async () => {
    const res = await search(`"><script>alert(1)</script>`);
    assert.equal(res.status, 200);
    const main = mainOf(res.text);
    assert.doesNotMatch(main, /<script>/);
    assert.ok(main.includes('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'));
    assert.ok(main.includes("<q data-user-content>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</q>"));
  });
});

describe("the search page", () => {
  it("without a query shows the form and no results", async () => {
    for (const url of ["/notes/search", "/notes/search?q=", "/notes/search?q=%20%20", "/notes/search?q[]=pipe", "/notes/search?q=pipe&q=milk"]) {
      const res = await a.get(url);
      assert.equal(res.status, 200, url);
      assert.match(res.text, /<label class="visually-hidden" for="q">Search your notes<\/label>/);
      assert.doesNotMatch(res.text, /role="status"/, url);
      assert.deepEqual(noteBodies(res.text), [], url);
    }
  });

  it("refuses an over-long query with 422 and a message", async () => {
    const res = await search("x".repeat(201));
    assert.equal(res.status, 422);
    assert.match(res.text, /Search for at most 200 characters/);
    assert.match(res.text, /aria-invalid="true" aria-describedby="q-error"/);
  });

  it("survives odd input: NUL, lone operators, punctuation only", async () => {
    for (const q of ["\u0000", "pipe\u0000", "-", "!!!", "\"", "or", "-pipe", "&|!():*", "'''"]) {
      const res = await search(q);
      assert.equal(res.status, 200, JSON.stringify(q));
    }
    assert.deepEqual(noteBodies((await search("pipe\u0000")).text).map(plain).length, 2);
  });

  it("paginates results 20 a page, keeping the query in the links", async () => {
    const { agent: b, userId: bId } = await loggedInAgent(app);
    await app.sql("INSERT INTO notes (data, user_id) SELECT 'kettle number ' || i, $1 FROM generate_series(1, 25) AS i", [bId]);
    await app.sql("INSERT INTO notes (data, user_id) VALUES ('teapot', $1)", [bId]);
    const p1 = await b.get("/notes/search?q=kettle%20%26");
    assert.equal(p1.status, 200);
    assert.equal(noteBodies(p1.text).length, 20);
    assert.match(p1.text, /25 notes match <q data-user-content>kettle &amp;<\/q> &middot; page 1 of 2/);
    assert.match(p1.text, /<nav class="mt-4" aria-label="Pages of search results">/);
    assert.match(p1.text, /href="\/notes\/search\?q=kettle%20%26&amp;page=2" rel="next"/);
    const uk = await b.get("/notes/search?q=kettle%20%26").set("Accept-Language", "uk");
    assert.match(uk.text, /25 нотаток відповідають запиту <q data-user-content>kettle &amp;<\/q> &middot; сторінка 1 з 2/);
    const p2 = await b.get("/notes/search?q=kettle%20%26&page=2");
    assert.deepEqual(noteBodies(p2.text).map(plain), ["kettle number 5", "kettle number 4", "kettle number 3", "kettle number 2", "kettle number 1"]);
    assert.equal((await b.get("/notes/search?q=kettle&page=3")).status, 404);
    assert.equal((await b.get("/notes/search?q=kettle&page=abc")).status, 200);
  });
});

describe("planSearch and highlight", () => {
  it("chooses full text when a word has three letters or more, substring otherwise", () => {
    assert.equal(planSearch("pipe").mode, "fulltext");
    assert.equal(planSearch("to do list").mode, "fulltext");
    assert.equal(planSearch("їжа").mode, "fulltext");
    assert.equal(planSearch("ok").mode, "substring");
    assert.equal(planSearch("C#").mode, "substring");
    assert.equal(planSearch("a b").mode, "substring");
    assert.equal(planSearch("%%%").mode, "substring");
  });

  it("marks only the words asked for", () => {
    const plan = planSearch('pipe -plumber or "big organ"');
    assert.deepEqual(plan.terms.sort(), ["big", "organ", "pipe"]);
    assert.deepEqual(highlight("Pipe, pipes and a big organ", plan), [
      { text: "Pipe", mark: true },
      { text: ", pipes and a ", mark: false },
      { text: "big", mark: true },
      { text: " ", mark: false },
      { text: "organ", mark: true },
    ]);
  });

  it("treats regular-expression characters in a query as text", () => {
    assert.deepEqual(highlight("a (b) c.* [d]", planSearch("(b)")), [
      { text: "a ", mark: false },
      { text: "(b)", mark: true },
      { text: " c.* [d]", mark: false },
    ]);
    assert.deepEqual(highlight("x.*y", planSearch(".*")), [{ text: "x", mark: false }, { text: ".*", mark: true }, { text: "y", mark: false }]);
  });

  it("returns the text unmarked when nothing matches", () => {
    assert.deepEqual(highlight("nothing here", planSearch("pipe")), [{ text: "nothing here", mark: false }]);
    assert.deepEqual(highlight("", planSearch("pipe")), []);
  });
});
