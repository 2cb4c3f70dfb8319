import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { it } from "node:test";
import { cliSandbox, runCli } from "../helpers/cli";

// A clone of the run's fully migrated template.
const box = cliSandbox();
const env = () => box.env();

it("says there is nothing to generate when entities and migrations agree, and writes nothing", async () => {
  const out = path.join(box.tmp, "none");
  const r = await runCli("migration-generate", ["nothing-new", "--dir", out], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /No changes/);
  assert.equal(fs.existsSync(out), false);
});

it("writes a migration with the missing SQL when the database lags behind the entities", async () => {
  await box.sql.query(`DROP INDEX "messages_chat_id_id_idx"`);
  const out = path.join(box.tmp, "some");
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
