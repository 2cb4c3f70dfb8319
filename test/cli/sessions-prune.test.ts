import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { Client } from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { runCli } from "./run-command";

let db: TestDatabase;
let sql: Client;
let tmp: string;
before(async () => {
  db = await createTestDatabase();
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-cli-"));
});
after(async () => {
  await sql.end();
  await db.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const env = { NODE_ENV: "test", DATABASE_URL: "", DATA_DIR: "" };
const run = (args: string[] = []) => runCli("sessions-prune", args, { env: { ...env, DATABASE_URL: db.url, DATA_DIR: path.join(tmp, "data") } });
const sids = async () => (await sql.query<{ sid: string }>("SELECT sid FROM session ORDER BY sid")).rows.map((r) => r.sid);

it("prints its help", async () => {
  const r = await run(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: npm run sessions:prune/);
});

it("deletes only expired sessions and says how many; --dry-run only counts", async () => {
  await sql.query(`INSERT INTO session (sid, sess, expire) VALUES
    ('old-1', '{"cookie":{}}', now() - interval '1 day'),
    ('old-2', '{"cookie":{},"passport":{"user":1}}', now() - interval '1 minute'),
    ('old-3', '{"cookie":{}}', now() - interval '30 days'),
    ('live-1', '{"cookie":{}}', now() + interval '1 hour'),
    ('live-2', '{"cookie":{},"passport":{"user":1}}', now() + interval '14 days')`);
  let r = await run(["--dry-run"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^3 expired session\(s\) in database ".*" on 127\.0\.0\.1:\d+ \(nothing deleted: --dry-run\)\./m);
  assert.equal((await sids()).length, 5);

  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Deleted 3 expired session\(s\) from database/m);
  assert.deepEqual(await sids(), ["live-1", "live-2"]);

  r = await run();
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Deleted 0 expired session\(s\)/m);
  assert.deepEqual(await sids(), ["live-1", "live-2"]);
});

it("exits non-zero with a clear message when the database cannot be reached", async () => {
  const r = await runCli("sessions-prune", [], { env: { NODE_ENV: "test", DATABASE_URL: "postgres://x@127.0.0.1:1/nowhere", DATA_DIR: path.join(tmp, "d") } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error: Cannot connect to database "nowhere"/);
});
