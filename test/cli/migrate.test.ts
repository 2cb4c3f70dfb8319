import assert from "node:assert/strict";
import { it } from "node:test";
import { migrations } from "../../migrations";
import { cliSandbox, runCli } from "../helpers/cli";

// Start from an empty database: the migrations have to create everything.
const box = cliSandbox({ empty: true });
const env = (extra: Record<string, string> = {}) => box.env(extra);
const names = migrations.map((m) => (m as unknown as { name: string }).name);
const tables = async () =>
  (await box.sql.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.t);

it("prints its help", async () => {
  const r = await runCli("migrate", ["--help"], { env: env() });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: npm run migrate/);
  assert.match(r.stdout, /--check/);
  assert.deepEqual(await tables(), [], "nothing ran");
});

it("--check lists pending migrations and exits 1 without applying them", async () => {
  const r = await runCli("migrate", ["--check"], { env: env() });
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`${names.length} pending migration\\(s\\) for database "${box.db.name}"`));
  for (const n of names) assert.match(r.stdout, new RegExp(`^  ${n}$`, "m"));
  assert.ok(!(await tables()).includes("users"));
});

it("applies every pending migration, prints what ran, and then has nothing to do", async () => {
  let r = await runCli("migrate", [], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Applied ${names.length} migration\\(s\\) to database "${box.db.name}" on 127.0.0.1`));
  for (const n of names) assert.match(r.stdout, new RegExp(`^  ${n}$`, "m"));
  const t = await tables();
  for (const table of ["users", "galleries", "images", "notes", "chats", "chat_members", "messages", "audit_logs", "session", "migrations"]) {
    assert.ok(t.includes(table), `${table} exists`);
  }
  const applied = (await box.sql.query<{ name: string }>("SELECT name FROM migrations ORDER BY id")).rows.map((x) => x.name);
  assert.deepEqual(applied, names);

  r = await runCli("migrate", [], { env: env() });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /No pending migrations: database ".*" on 127\.0\.0\.1:\d+ is up to date\./);
  assert.equal((await box.sql.query("SELECT count(*)::int AS n FROM migrations")).rows[0].n, names.length, "nothing ran twice");
  r = await runCli("migrate", ["--check"], { env: env() });
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.stdout + r.stderr, /password|postgres:\/\//i, "never prints the connection URL");
});

it("fails with a clear message when the configuration or the database is wrong", async () => {
  let r = await runCli("migrate", [], { env: env({ DATABASE_URL: "mysql://nope" }) });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /DATABASE_URL: must be a postgres:\/\/ URL/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  r = await runCli("migrate", [], { env: env({ DATABASE_URL: "postgres://nobody:secretpw@127.0.0.1:1/none" }) });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error: Cannot connect to database "none" on 127\.0\.0\.1:1/);
  assert.doesNotMatch(r.stderr, /secretpw/);
  r = await runCli("migrate", ["extra"], { env: env() });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unexpected argument 'extra'/);
});
