import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { Client } from "pg";
import { migrations } from "../../migrations";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { runCli } from "./run-command";

let db: TestDatabase;
let sql: Client;
let tmp: string;
before(async () => {
  db = await createTestDatabase();
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  // Start from an empty database: the migrations have to create everything.
  await sql.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-cli-"));
});
after(async () => {
  await sql.end();
  await db.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ NODE_ENV: "test", DATABASE_URL: db.url, DATA_DIR: path.join(tmp, "data"), ...extra });
const names = migrations.map((m) => (m as unknown as { name: string }).name);
const tables = async () =>
  (await sql.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.t);

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
  assert.match(r.stdout, new RegExp(`${names.length} pending migration\\(s\\) for database "${db.name}"`));
  for (const n of names) assert.match(r.stdout, new RegExp(`^  ${n}$`, "m"));
  assert.ok(!(await tables()).includes("users"));
});

it("applies every pending migration, prints what ran, and then has nothing to do", async () => {
  let r = await runCli("migrate", [], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Applied ${names.length} migration\\(s\\) to database "${db.name}" on 127.0.0.1`));
  for (const n of names) assert.match(r.stdout, new RegExp(`^  ${n}$`, "m"));
  const t = await tables();
  for (const table of ["users", "galleries", "images", "notes", "chats", "chat_members", "messages", "audit_logs", "session", "migrations"]) {
    assert.ok(t.includes(table), `${table} exists`);
  }
  const applied = (await sql.query<{ name: string }>("SELECT name FROM migrations ORDER BY id")).rows.map((x) => x.name);
  assert.deepEqual(applied, names);

  r = await runCli("migrate", [], { env: env() });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /No pending migrations: database ".*" on 127\.0\.0\.1:\d+ is up to date\./);
  assert.equal((await sql.query("SELECT count(*)::int AS n FROM migrations")).rows[0].n, names.length, "nothing ran twice");
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
