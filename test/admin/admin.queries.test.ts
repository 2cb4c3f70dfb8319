// The admin pages read everything they show in a fixed, small number of statements, however much data there is.
// Counted with the SQL spy (test/helpers/sql-spy.ts).
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials, type Agent } from "../helpers/agent";
import { recordStatements } from "../helpers/sql-spy";

let app: TestApp;
let staff: Agent;
let someone: number;
before(async () => {
  app = await startTestApp();
  staff = (await loggedInAgent(app, newCredentials("qstaff"), { isStaff: true })).agent;
  for (let i = 0; i < 30; i++) someone = (await app.auth.signup(newCredentials("q"))).id;
  await app.sql("INSERT INTO notes (data, user_id) SELECT 'n' || i, $1 FROM generate_series(1, 40) i", [someone]);
  assert.equal((await staff.get("/admin")).status, 200, "warm-up: the session's CSRF token is stored");
  // The sign-ups' confirmation mails go out in the background: sent before counting, not counted with a page.
  await app.mailer.drain();
});
after(() => app.close());

// Every page also loads the session, with its user: one statement on top of the page's own.
for (const [url, expected] of [["/admin", 2], ["/admin/users", 1], ["/admin/notes", 1], ["/admin/audit", 1]] as const) {
  it(`GET ${url} reads its data in ${expected} statement(s)`, async () => {
    let status = 0;
    const all = await recordStatements(async () => {
      status = (await staff.get(url)).status;
    });
    assert.equal(status, 200);
    // + 1: the session read, which brings the user along (src/http/session.ts).
    assert.equal(all.length, expected + 1, `all statements:\n${all.join("\n---\n")}`);
  });
}

it("GET /admin/users/:id reads the user with all their counts in one statement (plus the audit entries)", async () => {
  const all = await recordStatements(async () => {
    assert.equal((await staff.get(`/admin/users/${someone}`)).status, 200);
  });
  assert.equal(all.length, 3, `all statements:\n${all.join("\n---\n")}`);
});
