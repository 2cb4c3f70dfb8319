import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { Client } from "pg";
import { createDataSource, openDatabase } from "../../src/db/data-source";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { runCli } from "./run-command";

let db: TestDatabase;
let tmp: string;
before(async () => {
  db = await createTestDatabase();
  const ds = createDataSource({ url: db.url, poolSize: 1 });
  await openDatabase(ds); // fully migrated
  await ds.destroy();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-gen-"));
});
after(async () => {
  await db.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const env = () => ({ NODE_ENV: "test", DATABASE_URL: db.url, DATA_DIR: path.join(tmp, "data") });

it("says there is nothing to generate when entities and migrations agree, and writes nothing", async () => {
  const out = path.join(tmp, "none");
  const r = await runCli("migration-generate", ["nothing-new", "--dir", out], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /No changes/);
  assert.equal(fs.existsSync(out), false);
});

it("writes a migration with the missing SQL when the database lags behind the entities", async () => {
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`DROP INDEX "messages_chat_id_id_idx"`);
  await sql.end();
  const out = path.join(tmp, "some");
  const r = await runCli("migration-generate", ["restore-index", "--dir", out], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  const [file] = fs.readdirSync(out);
  assert.match(file, /^\d+-restore-index\.ts$/);
  const text = fs.readFileSync(path.join(out, file), "utf8");
  assert.match(text, /export class RestoreIndex\d+ implements MigrationInterface/);
  assert.match(text, /CREATE INDEX \\"messages_chat_id_id_idx\\" ON \\"messages\\"/);
  assert.match(text, /DROP INDEX \\"public\\".\\"messages_chat_id_id_idx\\"/);
});

it("refuses a bad name with usage and exit code 2", async () => {
  const r = await runCli("migration-generate", ["Bad Name"], { env: env() });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Usage: npm run migration:generate/);
});
