import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, csrfFrom, loggedInAgent, type Agent } from "../helpers/agent";
import { dateFormatter } from "../../src/i18n/format";
import { insertNote, mainOf, noteBodies, noteRow, notesOf, post } from "./notes-helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const countNotes = async () => Number((await app.sql<{ n: string }>("SELECT count(*) AS n FROM notes"))[0].n);

describe("anonymous visitors", () => {
  it("are sent to the login page from every notes page", async () => {
    for (const url of ["/", "/?page=2", "/notes/search?q=x", "/notes/1/edit", "/notes/1/delete"]) {
      const res = await agent(app).get(url);
      assert.equal(res.status, 303, url);
      assert.equal(res.headers.location, "/login", url);
    }
  });

  it("cannot post notes (no CSRF token, no session) and nothing is stored", async () => {
    const before = await countNotes();
    const res = await agent(app).post("/notes").type("form").send({ data: "anonymous" });
    assert.equal(res.status, 403);
    assert.equal(await countNotes(), before);
  });
});

describe("the home page", () => {
  it("shows an empty state and the add form with its label and stated limit", async () => {
    const { agent: a } = await loggedInAgent(app);
    const res = await a.get("/");
    assert.equal(res.status, 200);
    assert.match(res.text, /No notes yet/);
    assert.match(res.text, /<label class="form-label" for="f-data">Your note<\/label>/);
    assert.match(res.text, /<textarea[^>]*id="f-data"[^>]*name="data"[^>]*maxlength="10000"/);
    assert.match(res.text, /Up to 10,000 characters/);
    assert.match(res.text, /<form method="post" action="\/notes" novalidate>\s*<input type="hidden" name="_csrf"/);
    assert.match(res.text, /<form[^>]*role="search" method="get" action="\/notes\/search">/);
    assert.doesNotMatch(res.text, /aria-label="Pages of notes"/, "no pagination for an empty list");
  });

  it("lists only the user's own notes, newest first, line breaks kept, with times; edited ones say so", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const other = await loggedInAgent(app);
    await insertNote(app, other.userId, "someone else's note");
    const first = await insertNote(app, userId, "first\nsecond line\n\n  indented");
    const second = await insertNote(app, userId, "the newer note");
    // Written ten days ago, edited five minutes ago: a week on, a feed gives the date; before, how long ago.
    await app.sql("UPDATE notes SET date = now() - interval '10 days', updated_at = now() - interval '5 minutes' WHERE id = $1", [first]);
    const res = await a.get("/");
    assert.equal(res.status, 200);
    assert.deepEqual(noteBodies(res.text), ["the newer note", "first\nsecond line\n\n  indented"]);
    assert.ok(!res.text.includes("someone else's"), "other users' notes are not listed");
    assert.match(res.text, /2 notes/);
    const [row] = await app.sql<{ date: Date; updated_at: Date }>("SELECT date, updated_at FROM notes WHERE id = $1", [first]);
    const full = (d: Date) => dateFormatter("en", "UTC", true).dateTime(d);
    assert.ok(res.text.includes(`<time datetime="${row.date.toISOString()}" title="${full(row.date)}" data-recent>${full(row.date)}</time>`), "created time: the date");
    assert.ok(res.text.includes(`edited <time datetime="${row.updated_at.toISOString()}" title="${full(row.updated_at)}" data-recent>5 min ago</time>`), "edited time: how long ago, the date in its title");
    assert.match(res.text, /data-recent>now<\/time>/, "the newer note was written just now");
    const uk = await a.get("/").set("Accept-Language", "uk");
    assert.ok(uk.text.includes(`змінено <time datetime="${row.updated_at.toISOString()}" title="${dateFormatter("uk", "UTC", true).dateTime(row.updated_at)}" data-recent>5 хв тому</time>`));
    assert.match(uk.text, /data-recent>зараз<\/time>/);
    const newer = res.text.slice(res.text.indexOf(`id="note-${second}"`), res.text.indexOf(`id="note-${first}"`));
    assert.doesNotMatch(newer, /edited/, "a never-edited note does not say edited");
    assert.match(res.text, new RegExp(`href="/notes/${first}/edit"`));
    assert.match(res.text, new RegExp(`href="/notes/${first}/delete"`));
  });

  it("sorts by recently edited on request (?sort=edited): an edited old note comes first; anything else is the default", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const oldest = await insertNote(app, userId, "oldest, edited today");
    await insertNote(app, userId, "middle");
    await insertNote(app, userId, "newest");
    await app.sql("UPDATE notes SET date = now() - interval '3 days' WHERE user_id = $1", [userId]);
    await app.sql("UPDATE notes SET updated_at = now() WHERE id = $1", [oldest]);
    assert.deepEqual(noteBodies((await a.get("/")).text), ["newest", "middle", "oldest, edited today"]);
    const edited = await a.get("/?sort=edited");
    assert.equal(edited.status, 200);
    assert.deepEqual(noteBodies(edited.text), ["oldest, edited today", "newest", "middle"]);
    assert.match(edited.text, /<a class="nav-link active" href="\/\?sort=edited" aria-current="page">/);
    for (const odd of ["/?sort=bogus", "/?sort=edited&sort=written", "/?sort[]=edited"]) {
      const res = await a.get(odd);
      assert.equal(res.status, 200, odd);
      assert.deepEqual(noteBodies(res.text), ["newest", "middle", "oldest, edited today"], odd);
    }
    const rows = await app.sql<{ id: number; updated_at: Date | null }>("SELECT id, updated_at FROM notes WHERE user_id = $1 ORDER BY id", [userId]);
    assert.deepEqual(rows.map((r) => r.updated_at !== null), [true, false, false], "listing changes nothing");
  });

  describe("pagination", () => {
    let a: Agent;
    let ids: number[];
    before(async () => {
      const user = await loggedInAgent(app);
      a = user.agent;
      await app.sql("INSERT INTO notes (data, user_id) SELECT 'note ' || i, $1 FROM generate_series(1, 45) AS i", [user.userId]);
      ids = (await notesOf(app, user.userId)).map((n) => n.id).reverse();
    });

    it("shows 20 notes a page, newest first, with accessible page links", async () => {
      const p1 = await a.get("/");
      assert.deepEqual(noteBodies(p1.text), ids.slice(0, 20).map((_, i) => `note ${45 - i}`));
      assert.match(p1.text, /45 notes &middot; page 1 of 3/);
      assert.match(p1.text, /<nav class="mt-4" aria-label="Pages of notes">/);
      assert.match(p1.text, /<a class="page-link" href="\/" aria-current="page"><span class="visually-hidden">Page <\/span>1<\/a>/);
      assert.match(p1.text, /<a class="page-link" href="\/\?page=2" rel="next">Next<\/a>/);
      assert.match(p1.text, /<span class="page-link" aria-disabled="true">Previous<\/span>/);

      const p2 = await a.get("/?page=2");
      assert.deepEqual(noteBodies(p2.text), Array.from({ length: 20 }, (_, i) => `note ${25 - i}`));
      assert.match(p2.text, /href="\/\?page=2" aria-current="page"/);
      assert.match(p2.text, /<a class="page-link" href="\/" rel="prev">Previous<\/a>/);

      const p3 = await a.get("/?page=3");
      assert.deepEqual(noteBodies(p3.text), ["note 5", "note 4", "note 3", "note 2", "note 1"]);
      assert.match(p3.text, /<span class="page-link" aria-disabled="true">Next<\/span>/);
    });

    it("treats a malformed page as the first page", async () => {
      const first = noteBodies((await a.get("/")).text);
      for (const q of ["page=abc", "page=-1", "page=0", "page=", "page[]=2", "page=2&page=3", "page=1e1", "page=%00", "page=2.5", "page=%202"]) {
        const res = await a.get(`/?${q}`);
        assert.equal(res.status, 200, q);
        assert.deepEqual(noteBodies(res.text), first, q);
      }
    });

    it("answers 404 for a page past the end or too large to exist", async () => {
      for (const q of ["page=4", "page=1000", "page=99999999999", "page=" + "9".repeat(60)]) {
        const res = await a.get(`/?${q}`);
        assert.equal(res.status, 404, q);
        assert.match(res.text, /Page not found/);
      }
    });

    it("has only page 1 for a user with no notes", async () => {
      const { agent: empty } = await loggedInAgent(app);
      assert.equal((await empty.get("/?page=1")).status, 200);
      assert.equal((await empty.get("/?page=2")).status, 404);
    });
  });
});

describe("adding a note", () => {
  it("stores it for the user with CRLF line breaks as LF, redirects home and flashes once", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const res = await post(a, "/notes", { data: "Shopping:\r\n- milk\r\n- bread\r\n\r\n" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/");
    const rows = await notesOf(app, userId);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].data, "Shopping:\n- milk\n- bread", "line breaks normalised, trailing blank lines dropped");
    assert.equal(rows[0].updated_at, null);
    const home = await a.get("/");
    assert.match(home.text, /Note added\./);
    assert.deepEqual(noteBodies(home.text), ["Shopping:\n- milk\n- bread"]);
    assert.doesNotMatch((await a.get("/")).text, /Note added\./, "the flash shows once");
  });

  it("ignores a user_id in the form (no mass assignment)", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const other = await loggedInAgent(app);
    await post(a, "/notes", { data: "mine", user_id: String(other.userId), userId: String(other.userId), id: "1" });
    assert.equal((await notesOf(app, other.userId)).length, 0);
    assert.deepEqual((await notesOf(app, userId)).map((n) => n.data), ["mine"]);
  });

  const refused: [string, Record<string, string | string[]>, RegExp][] = [
    ["an empty note", { data: "" }, /a note cannot be empty/],
    ["a whitespace-only note", { data: "  \r\n\t \r\n " }, /a note cannot be empty or only spaces/],
    ["a note of zero-width spaces", { data: "\u200B\u200B\uFEFF" }, /a note cannot be empty/],
    ["a missing field", {}, /a note cannot be empty/],
    ["two values for one field", { data: ["a", "b"] }, /a note cannot be empty/],
    ["10,001 characters", { data: "x".repeat(10_001) }, /at most 10,000 characters; this one has 10,001/],
    ["a NUL character", { data: "before\u0000after" }, /cannot contain NUL characters/],
  ];
  for (const [name, form, message] of refused) {
    it(`refuses ${name} with 422, the message, the old text and the list, storing nothing`, async () => {
      const { agent: a, userId } = await loggedInAgent(app);
      await insertNote(app, userId, "an existing note");
      const before = await countNotes();
      const res = await post(a, "/notes", form);
      assert.equal(res.status, 422);
      assert.match(res.text, message);
      assert.match(res.text, /<textarea class="form-control is-invalid"[^>]*aria-invalid="true"/);
      assert.match(res.text, /aria-describedby="f-data-help f-data-error"/);
      assert.deepEqual(noteBodies(res.text), ["an existing note"], "the list is still there");
      if (typeof form.data === "string" && !form.data.includes("\u0000")) {
        assert.ok(res.text.includes(`>\n${form.data}</textarea>`), "what was typed is kept");
      }
      assert.equal(await countNotes(), before);
    });
  }

  it("accepts exactly 10,000 characters, counting an emoji or a Cyrillic letter as one", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const texts = ["x".repeat(10_000), "ї".repeat(10_000), "😀".repeat(10_000)];
    for (const data of texts) assert.equal((await post(a, "/notes", { data })).status, 303);
    const rows = await notesOf(app, userId);
    assert.deepEqual(rows.map((r) => r.data), texts);
    assert.equal((await post(a, "/notes", { data: "ї".repeat(10_001) })).status, 422);
    assert.equal((await notesOf(app, userId)).length, 3);
  });

  it("keeps a note's indentation and inner blank lines", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    await post(a, "/notes", { data: "\r\n\r\n    code()\r\n\r\n\r\nend  " });
    assert.equal((await notesOf(app, userId))[0].data, "    code()\n\n\nend");
  });

  it("sends a reload of /notes home", async () => {
    const { agent: a } = await loggedInAgent(app);
    const res = await a.get("/notes");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/");
  });
});

describe("editing a note", () => {
  it("shows the note in a labelled form and saves the change with its edit time", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const id = await insertNote(app, userId, "draft\nline two");
    const form = await a.get(`/notes/${id}/edit`);
    assert.equal(form.status, 200);
    assert.match(form.text, /<label class="form-label" for="f-data">Note<\/label>/);
    assert.ok(form.text.includes(">\ndraft\nline two</textarea>"));
    assert.match(form.text, new RegExp(`<form method="post" action="/notes/${id}/edit" novalidate>`));
    assert.match(form.text, /Up to 10,000 characters/);

    const res = await post(a, `/notes/${id}/edit`, { data: "final\r\nversion" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/");
    const row = await noteRow(app, id);
    assert.equal(row?.data, "final\nversion");
    assert.ok(row?.updated_at, "updated_at set");
    assert.ok(row!.updated_at! >= row!.date);
    const home = await a.get("/");
    assert.match(home.text, /Note saved\./);
    assert.match(home.text, /edited <time/);
    assert.deepEqual(noteBodies(home.text), ["final\nversion"]);
  });

  it("refuses in the reader's language, numbers written their way", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const id = await insertNote(app, userId, "лишити як є");
    const home = await a.get("/").set("Accept-Language", "uk");
    const res = await a.post(`/notes/${id}/edit`).type("form").set("Accept-Language", "uk").send({ data: "ж".repeat(10_001), _csrf: csrfFrom(home.text) });
    assert.equal(res.status, 422);
    assert.match(res.text, /Нотатка може мати щонайбільше 10\s000 символів, а в цій їх 10\s001\./);
    assert.match(res.text, /До 10\s000 символів\. Розриви рядків зберігаються\./);
    assert.equal((await noteRow(app, id))?.data, "лишити як є");
  });

  it("refuses an empty or too long edit with 422 and the typed text, leaving the note alone", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const id = await insertNote(app, userId, "keep me");
    for (const [data, message] of [["   ", /cannot be empty/], ["z".repeat(10_001), /at most 10,000/]] as const) {
      const res = await post(a, `/notes/${id}/edit`, { data });
      assert.equal(res.status, 422);
      assert.match(res.text, message);
      assert.ok(res.text.includes(`>\n${data}</textarea>`), "typed text kept");
      assert.match(res.text, new RegExp(`action="/notes/${id}/edit"`));
      const row = await noteRow(app, id);
      assert.equal(row?.data, "keep me");
      assert.equal(row?.updated_at, null);
    }
  });
});

describe("deleting a note", () => {
  it("asks for confirmation on its own page, then deletes on POST", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const keep = await insertNote(app, userId, "keep this one");
    const id = await insertNote(app, userId, "delete this one");
    const confirm = await a.get(`/notes/${id}/delete`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /Delete this note\?/);
    assert.match(confirm.text, /delete this one/);
    assert.match(confirm.text, new RegExp(`<form method="post" action="/notes/${id}/delete"[^>]*>\\s*<input type="hidden" name="_csrf"`));
    assert.ok(await noteRow(app, id), "looking at the confirmation deletes nothing");

    const res = await post(a, `/notes/${id}/delete`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/");
    assert.equal(await noteRow(app, id), undefined);
    assert.ok(await noteRow(app, keep), "only that note");
    const home = await a.get("/");
    assert.match(home.text, /Note deleted\./);
    assert.deepEqual(noteBodies(home.text), ["keep this one"]);

    const again = await post(a, `/notes/${id}/delete`);
    assert.equal(again.status, 404, "a second delete finds nothing");
  });

  it("ships the optional JS confirm as a module; the link still goes to the confirmation page", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const id = await insertNote(app, userId, "x");
    const home = await a.get("/");
    assert.match(home.text, /<script type="module" src="\/static\/js\/notes.js"><\/script>/);
    assert.match(home.text, new RegExp(`<a class="btn btn-sm btn-outline-danger" href="/notes/${id}/delete" data-note-delete="/notes/${id}/delete">`));
    const js = await a.get("/static/js/notes.js");
    assert.equal(js.status, 200);
    assert.match(js.text, /window\.confirm/);
  });
});

describe("two users and each other's notes", () => {
  it("can neither read, edit nor delete the other's notes: 404, and the database is unchanged after each try", async () => {
    const alice = await loggedInAgent(app);
    const bob = await loggedInAgent(app);
    const aliceNote = await insertNote(app, alice.userId, "alice's secret");
    const bobNote = await insertNote(app, bob.userId, "bob's secret");
    const pairs: [typeof alice, number, string, number, string][] = [
      [bob, aliceNote, "alice's secret", alice.userId, "bob's secret"],
      [alice, bobNote, "bob's secret", bob.userId, "alice's secret"],
    ];
    for (const [intruder, victimNote, victimText, victimId, ownText] of pairs) {
      const unchanged = async (what: string) => {
        const row = await noteRow(app, victimNote);
        assert.equal(row?.data, victimText, `${what}: text unchanged`);
        assert.equal(row?.user_id, victimId, `${what}: owner unchanged`);
        assert.equal(row?.updated_at, null, `${what}: not marked edited`);
      };
      for (const url of [`/notes/${victimNote}/edit`, `/notes/${victimNote}/delete`]) {
        const res = await intruder.agent.get(url);
        assert.equal(res.status, 404, url);
        assert.ok(!res.text.includes(victimText), `${url} reveals nothing`);
        await unchanged(`GET ${url}`);
      }
      let res = await post(intruder.agent, `/notes/${victimNote}/edit`, { data: "hijacked" });
      assert.equal(res.status, 404);
      await unchanged("POST edit");
      res = await post(intruder.agent, `/notes/${victimNote}/edit`, { data: "" });
      assert.equal(res.status, 404, "an invalid edit of someone else's note is still a 404, not a 422");
      await unchanged("POST invalid edit");
      res = await post(intruder.agent, `/notes/${victimNote}/delete`);
      assert.equal(res.status, 404);
      await unchanged("POST delete");
      const home = await intruder.agent.get("/");
      assert.ok(!home.text.includes(victimText), "not on the intruder's home page");
      assert.deepEqual(noteBodies(home.text), [ownText.replace("'", "&#39;")]);
      const search = await intruder.agent.get("/notes/search?q=secret");
      const ownName = ownText.split("'")[0];
      assert.deepEqual(noteBodies(search.text), [`${ownName}&#39;s <mark>secret</mark>`], "only the intruder's own note is found");
    }
  });

  it("answers a missing note exactly as it answers someone else's", async () => {
    const alice = await loggedInAgent(app);
    const bob = await loggedInAgent(app);
    const aliceNote = await insertNote(app, alice.userId, "hers");
    const [{ max }] = await app.sql<{ max: number }>("SELECT max(id) AS max FROM notes");
    const missing = await bob.agent.get(`/notes/${max + 1000}/edit`);
    const theirs = await bob.agent.get(`/notes/${aliceNote}/edit`);
    assert.equal(missing.status, 404);
    assert.equal(theirs.status, 404);
    assert.equal(mainOf(theirs.text), mainOf(missing.text));
  });
});

describe("ids of the wrong shape", () => {
  const bad = ["abc", "-1", "0", "01", "1.5", "1e3", "0x10", "%20", "1%20", "99999999999", "2147483648", "1;DROP%20TABLE%20notes"];
  it("answer 404 on every note route, never a 500, and change nothing", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const id = await insertNote(app, userId, "untouched");
    const before = await countNotes();
    for (const raw of [...bad, "2147483647"]) {
      for (const url of [`/notes/${raw}/edit`, `/notes/${raw}/delete`]) {
        assert.equal((await a.get(url)).status, 404, `GET ${url}`);
        assert.equal((await post(a, url, { data: "changed" })).status, 404, `POST ${url}`);
      }
    }
    assert.equal(await countNotes(), before);
    assert.equal((await noteRow(app, id))?.data, "untouched");
    // ?id[]= style ids do not exist on these routes: the id is in the path.
    assert.equal((await a.get(`/notes/edit?id[]=${id}`)).status, 404);
    assert.equal((await a.get(`/notes/${id}/edit?id[]=1`)).status, 200, "a stray query string does not matter");
  });
});

describe("HTML in notes", () => {
  const payloads = [
    `<script>alert(1)</script>`,
    `"><img src=x onerror=alert(1)>`,
    `</textarea><script>alert(2)</script>`,
    `{{ 7*7 }} {% raw %}x{% endraw %}`,
    `<a href="javascript:alert(3)">click</a>`,
  ];
  it("renders inert on the home, edit, delete and search pages", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    for (const p of payloads) assert.equal((await post(a, "/notes", { data: `payload ${p}` })).status, 303);
    const rows = await notesOf(app, userId);
    assert.deepEqual(rows.map((r) => r.data), payloads.map((p) => `payload ${p}`), "stored exactly as typed");
    const pages = [
      await a.get("/"),
      await a.get("/notes/search?q=payload"),
      await a.get("/notes/search?q=%3C"),
      ...(await Promise.all(rows.flatMap((r) => [a.get(`/notes/${r.id}/edit`), a.get(`/notes/${r.id}/delete`)]))),
    ];
    for (const res of pages) {
      assert.equal(res.status, 200);
      const main = mainOf(res.text);
      assert.doesNotMatch(main, /<script>alert/, "no live script");
      assert.doesNotMatch(main, /<img src=x/, "no live img");
      assert.doesNotMatch(main, /<a href="javascript:/, "no live link");
      assert.ok(!main.includes("</textarea><script>"), "the textarea is not broken out of");
    }
    const home = pages[0].text;
    assert.ok(home.includes("payload &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(home.includes("payload &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert.ok(home.includes("payload {{ 7*7 }} {% raw %}x{% endraw %}"));
  });
});

describe("CSRF", () => {
  it("refuses create, update and delete without the session's token, changing nothing", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const id = await insertNote(app, userId, "original");
    const forged = [
      () => a.post("/notes").type("form").send({ data: "forged" }),
      () => a.post("/notes").type("form").send({ data: "forged", _csrf: "not-the-token" }),
      () => a.post(`/notes/${id}/edit`).type("form").send({ data: "forged" }),
      () => a.post(`/notes/${id}/edit`).type("form").send({ data: "forged", _csrf: "x".repeat(64) }),
      () => a.post(`/notes/${id}/delete`).type("form").send({}),
      () => a.post(`/notes/${id}/delete`).type("form").send({ _csrf: "" }),
    ];
    for (const send of forged) {
      const res = await send();
      assert.equal(res.status, 403);
      assert.match(res.text, /Your form expired or came from another site/);
    }
    const rows = await notesOf(app, userId);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].data, "original");
    assert.equal(rows[0].updated_at, null);
  });

  it("refuses another session's token", async () => {
    const alice = await loggedInAgent(app);
    const bob = await loggedInAgent(app);
    const bobToken = /name="_csrf" value="([^"]+)"/.exec((await bob.agent.get("/")).text)![1];
    const res = await alice.agent.post("/notes").type("form").send({ data: "forged", _csrf: bobToken });
    assert.equal(res.status, 403);
    assert.equal((await notesOf(app, alice.userId)).length, 0);
  });
});

describe("deleting a user", () => {
  it("deletes their notes and nobody else's", async () => {
    const gone = await loggedInAgent(app);
    const stays = await loggedInAgent(app);
    await post(gone.agent, "/notes", { data: "one" });
    await post(gone.agent, "/notes", { data: "two" });
    const kept = await insertNote(app, stays.userId, "still here");
    assert.equal((await notesOf(app, gone.userId)).length, 2);
    await app.sql("DELETE FROM users WHERE id = $1", [gone.userId]);
    assert.equal((await notesOf(app, gone.userId)).length, 0);
    assert.equal((await noteRow(app, kept))?.data, "still here");
    const res = await gone.agent.get("/");
    assert.equal(res.status, 303, "the deleted user's session no longer opens the home page");
  });
});
