// Database outage: Postgres stops under a running app and comes back. Meanwhile the app answers with a clear
// 503 (never a 500, never a crash); afterwards it recovers by itself, with the same sessions, no restart.
// The test runs its OWN embedded PostgreSQL, so stopping it touches no other test's database.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import request from "supertest";
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from "../../src/db/embedded";
import { csrfFrom } from "../helpers/agent";
import { query, sessionCookie, sidOf, startServerProcess, type ServerProcess } from "./server-process";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-outage-"));
let pgPort: number;
let pg: EmbeddedServer | undefined;
let server: ServerProcess | undefined;

// persistent: stop() keeps the cluster on disk, so the "same" database can come back on the same port.
const startPostgres = () => startEmbeddedPostgres({ dataDir, port: pgPort, persistent: true });

before(async () => {
  pgPort = await freePort();
  pg = await startPostgres();
  // Production mode, as deployed: error pages carry no internals. Plain HTTP here, hence COOKIE_SECURE=false.
  server = await startServerProcess({
    env: {
      NODE_ENV: "production", SESSION_SECRET: crypto.randomBytes(24).toString("hex"), COOKIE_SECURE: "false",
      DATABASE_URL: pg.url, BCRYPT_COST: "10", DATABASE_POOL_SIZE: "4",
    },
  });
});

after(async () => {
  await server?.stop();
  await pg?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it("serves 503 pages while Postgres is down, stays up, and recovers with the same session once it is back", async () => {
  const app = server!;
  const username = `outage_${process.pid}`;
  const page = await request(app.url).get("/signup");
  const signup = await request(app.url).post("/signup").set("Cookie", sessionCookie(page.headers["set-cookie"])).type("form").send({
    username, email: `${username}@example.test`, password: "correct horse battery", password_confirm: "correct horse battery", _csrf: csrfFrom(page.text),
  });
  assert.equal(signup.status, 303);
  const cookie = sessionCookie(signup.headers["set-cookie"]);
  const sid = sidOf(signup.headers["set-cookie"]);
  const before = await request(app.url).get("/").set("Cookie", cookie);
  assert.equal(before.status, 200);
  assert.match(before.text, new RegExp(username));

  await pg!.stop();
  pg = undefined;

  // Pages that need the session (the logged-in home page, a form post) say "try again soon".
  for (let i = 0; i < 3; i++) {
    const res = await request(app.url).get("/").set("Cookie", cookie).set("Accept", "text/html");
    assert.equal(res.status, 503, `request ${i} during the outage: ${res.status} ${res.text.slice(0, 300)}`);
    assert.match(res.text, /briefly unavailable/);
    assert.equal(res.headers["retry-after"], "5");
    assert.doesNotMatch(res.text, /ECONNREFUSED|at .*\.ts:\d+/, "no internals in the page");
  }
  const post = await request(app.url).post("/logout").set("Cookie", cookie).type("form").send({ _csrf: "x" });
  assert.equal(post.status, 503);
  const json = await request(app.url).get("/").set("Cookie", cookie).set("Accept", "application/json");
  assert.equal(json.status, 503);
  assert.match(json.body.error, /briefly unavailable/);
  // A new visitor: whatever the page, never a 500.
  const anon = await request(app.url).get("/login");
  assert.ok([200, 503].includes(anon.status), `anonymous /login: ${anon.status}`);
  // Probes: not ready (take me out of the pool), but alive (do not restart me).
  const ready = await request(app.url).get("/readyz");
  assert.equal(ready.status, 503);
  assert.equal(ready.text, "database unavailable");
  assert.equal((await request(app.url).get("/healthz")).status, 200);
  assert.equal((await request(app.url).get("/static/css/app.css")).status, 200);
  assert.equal(app.child.exitCode, null, "the process is still running");

  pg = await startPostgres();

  let recovered: request.Response | undefined;
  for (let i = 0; i < 200 && !recovered; i++) {
    const res = await request(app.url).get("/").set("Cookie", cookie);
    if (res.status === 200) recovered = res;
    else {
      assert.equal(res.status, 503, "only 503 until the database is back");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  assert.ok(recovered, "pages serve again without a restart");
  assert.match(recovered.text, new RegExp(username), "still logged in: the session survived in Postgres");
  assert.equal((await request(app.url).get("/readyz")).status, 200);
  assert.equal(app.child.exitCode, null, "never restarted");
  const rows = await query<{ user: string }>(pg.url, "SELECT sess -> 'passport' ->> 'user' AS user FROM session WHERE sid = $1", [sid]);
  const [{ id }] = await query<{ id: number }>(pg.url, "SELECT id FROM users WHERE username = $1", [username]);
  assert.deepEqual(rows, [{ user: String(id) }]);
  assert.doesNotMatch(app.output(), /Uncaught|unhandled/i);
});
