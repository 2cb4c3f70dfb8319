// The per-request statements go out as named (prepared) statements (src/db/prepared.ts): Postgres then plans them
// once per connection instead of on every request. Nothing functional would notice a lost name, so this test reads
// what Postgres itself holds prepared on the app's pooled connections.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PoolClient } from "pg";
import { preparedStatements } from "../../src/db/prepared";
import { startTestApp, type TestApp } from "../helpers/app";
import { csrfFrom, loggedInAgent } from "../helpers/agent";
import { recordStatements } from "../helpers/sql-spy";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

/** name -> SQL of every statement prepared over the wire (not by PREPARE) on any connection of the app's pool. */
async function preparedOnPool(): Promise<Map<string, string>> {
  const pool = app.deps.pool;
  // Holding as many clients as the pool has open makes it hand out every one of them (new ones add nothing).
  const clients: PoolClient[] = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
  const found = new Map<string, string>();
  try {
    for (const c of clients) {
      const { rows } = await c.query<{ name: string; statement: string }>("SELECT name, statement FROM pg_prepared_statements WHERE NOT from_sql");
      for (const r of rows) found.set(r.name, r.statement);
    }
  } finally {
    clients.forEach((c) => c.release());
  }
  return found;
}

describe("prepared statements on the hot path", () => {
  it("the home page's session read (with its user) and notes query are prepared, under these names", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    await app.sql("INSERT INTO notes (data, user_id) VALUES ('a note', $1)", [userId]);
    // The first page after logging in stores the session's CSRF token (test/http/query-count.test.ts).
    await a.get("/").expect(200);
    let html = "";
    const sent = await recordStatements(async () => {
      const res = await a.get("/").expect(200);
      html = res.text;
    });
    assert.match(html, /a note/);
    // What the client sent: each carries its name (pg's query config).
    const names = sent.map((s) => [...preparedStatements()].find(([, sql]) => sql === s)?.[0] ?? "(unnamed)");
    assert.deepEqual(names, ["session_user_get", "notes_page"]);

    // What Postgres holds: the same names with exactly the registered SQL.
    const onServer = await preparedOnPool();
    for (const name of ["session_user_get", "notes_page"]) {
      assert.equal(onServer.get(name), preparedStatements().get(name), `${name} is prepared on a pooled connection`);
    }
    // Planned once, generically (plan_cache_mode in data-source.ts): no per-execution plans for them.
    const plans = await app.sql<{ name: string; custom: number; generic: number }>(
      "SELECT name, custom_plans::int AS custom, generic_plans::int AS generic FROM pg_prepared_statements WHERE name = ANY($1)",
      [["session_user_get", "notes_page"]],
    );
    for (const p of plans) assert.equal(p.custom, 0, `${p.name}: ${p.generic} generic, ${p.custom} custom plans on this connection`);
  });

  it("the user lookup on its own (a session read without it, e.g. right after logging in) is prepared too", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    // The socket handshake and any other caller of the lookup by id use the same named statement.
    const { User } = await import("../../src/auth/user.entity");
    const { unreadTotalSql } = await import("../../src/chat/unread");
    assert.equal((await User.activeLookup({ unreadTotal: unreadTotalSql })(userId))?.id, userId);
    const onServer = await preparedOnPool();
    assert.equal(onServer.get("user_active_unreadTotal"), preparedStatements().get("user_active_unreadTotal"));
    await a.get("/").expect(200);
  });

  it("a changed session is written through the prepared upsert", async () => {
    const { agent: a } = await loggedInAgent(app);
    // Logging in wrote the session (passport saves it): with the named upsert.
    const onServer = await preparedOnPool();
    assert.equal(onServer.get("session_set"), preparedStatements().get("session_set"));
    assert.match(csrfFrom((await a.get("/").expect(200)).text), /./);
  });

  it("adding a note is one prepared INSERT", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const token = csrfFrom((await a.get("/").expect(200)).text);
    await a.post("/notes").type("form").send({ data: "prepared note", _csrf: token }).expect(303);
    const [row] = await app.sql<{ user_id: number; date: Date; updated_at: Date | null }>("SELECT user_id, date, updated_at FROM notes WHERE data = 'prepared note'");
    assert.equal(row.user_id, userId);
    assert.ok(row.date instanceof Date, "the date from its column default");
    assert.equal(row.updated_at, null);
    const onServer = await preparedOnPool();
    assert.equal(onServer.get("notes_insert"), preparedStatements().get("notes_insert"));
  });

  it("other statements are still sent unnamed", async () => {
    const before = await preparedOnPool();
    await app.sql("SELECT 42 AS answer");
    const afterwards = await preparedOnPool();
    assert.deepEqual([...afterwards.keys()].sort(), [...before.keys()].sort());
    assert.ok(![...afterwards.values()].some((sql) => sql.includes("42")));
  });
});
