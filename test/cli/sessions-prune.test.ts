import assert from "node:assert/strict";
import path from "node:path";
import { it } from "node:test";
import { cliSandbox, runCli } from "../helpers/cli";

const box = cliSandbox();

const run = (args: string[] = []) => runCli("sessions-prune", args, { env: box.env() });
const sids = async () => (await box.sql.query<{ sid: string }>("SELECT sid FROM session ORDER BY sid")).rows.map((r) => r.sid);

it("prints its help", async () => {
  const r = await run(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: npm run sessions:prune/);
});

it("deletes only expired sessions and says how many; --dry-run only counts", async () => {
  await box.sql.query(`INSERT INTO session (sid, sess, expire) VALUES
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
  const r = await runCli("sessions-prune", [], { env: { NODE_ENV: "test", DATABASE_URL: "postgres://x@127.0.0.1:1/nowhere", DATA_DIR: path.join(box.tmp, "d") } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error: Cannot connect to database "nowhere"/);
});
