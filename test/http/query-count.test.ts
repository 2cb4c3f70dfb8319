// The home page is the app's hottest path: count the SQL it really sends (test/helpers/sql-spy.ts).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, type Agent } from "../helpers/agent";
import { recordStatements, writes } from "../helpers/sql-spy";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

async function sessionRows(): Promise<{ sid: string; sess: unknown; expire: Date }[]> {
  return app.sql("SELECT sid, sess::text AS sess, expire FROM session ORDER BY sid");
}

describe("GET / for a logged-in user with 25 notes", () => {
  let a: Agent;
  before(async () => {
    const user = await loggedInAgent(app);
    a = user.agent;
    await app.sql(
      "INSERT INTO notes (data, user_id) SELECT 'note number ' || i, $1 FROM generate_series(1, 25) AS i",
      [user.userId],
    );
    // The first page after logging in stores the session's CSRF token and expiry stamp (a write that
    // belongs to logging in); what is measured is every page view after that.
    const warm = await a.get("/");
    assert.equal(warm.status, 200);
  });

  it("sends exactly two statements: the session with its user, one page of notes with its total", async () => {
    let status = 0;
    let text = "";
    const statements = await recordStatements(async () => {
      const res = await a.get("/");
      status = res.status;
      text = res.text;
    });
    assert.equal(status, 200);
    assert.equal((text.match(/class="card shadow-sm note-card"/g) ?? []).length, 20, "the page shows 20 notes");
    assert.match(text, /25 notes/, "and knows the total");
    assert.equal(statements.length, 2, `expected 2 statements, got:\n${statements.join("\n")}`);
    assert.match(statements[0], /FROM "?session"?/i, "first the session");
    assert.match(statements[0], /LEFT JOIN LATERAL \(SELECT .* FROM "users"/i, "with its user (src/http/session.ts)");
    assert.match(statements[1], /FROM "notes"/i, "then the notes");
    assert.match(statements[1], /count\(\*\) OVER \(\)/i, "page and total in one statement");
    assert.deepEqual(writes(statements), [], "nothing is written");
  });

  it("does not write the session on later page views either", async () => {
    const before = await sessionRows();
    assert.equal(before.length, 1);
    for (const url of ["/", "/?page=2", "/"]) {
      const statements = await recordStatements(() => a.get(url).expect(200));
      assert.equal(statements.length, 2, `${url}: ${statements.join("\n")}`);
      assert.deepEqual(writes(statements), [], `${url} writes nothing`);
    }
    assert.deepEqual(await sessionRows(), before, "the session row is untouched, expiry included");
  });

  it("would see a write if there were one (the spy records what changes data)", async () => {
    const page = await a.get("/");
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const statements = await recordStatements(() =>
      a.post("/notes").type("form").send({ data: "one more", _csrf: token }).expect(303),
    );
    assert.ok(writes(statements).some((s) => /^\s*INSERT INTO "notes"/i.test(s)), statements.join("\n"));
    assert.equal((await app.sql("SELECT 1 FROM notes WHERE data = 'one more'")).length, 1);
  });
});
