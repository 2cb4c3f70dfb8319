import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../src/db/data-source";
import { pendingSchemaChanges } from "../../src/db/schema-diff";
import { createTestDatabase, type TestDatabase } from "../helpers/db";

let db: TestDatabase;
let ds: DataSource;
before(async () => {
  db = await createTestDatabase();
  ds = createDataSource({ url: db.url, poolSize: 2 });
  await openDatabase(ds, { migrate: true });
});
after(async () => {
  await ds.destroy();
  await db.drop();
});

it("the migrations and the entities agree (generating a migration yields nothing)", async () => {
  const { up } = await pendingSchemaChanges(ds);
  assert.deepEqual(up, []);
});

it("usernames and emails are unique case-insensitively in the database itself", async () => {
  const [g1] = await ds.query("INSERT INTO galleries DEFAULT VALUES RETURNING id");
  const [g2] = await ds.query("INSERT INTO galleries DEFAULT VALUES RETURNING id");
  await ds.query("INSERT INTO users (username, email, password_hash, gallery_id) VALUES ('Taras', 't@x.test', 'x', $1)", [g1.id]);
  await assert.rejects(
    ds.query("INSERT INTO users (username, email, password_hash, gallery_id) VALUES ('taras', 'other@x.test', 'x', $1)", [g2.id]),
    /users_username_lower_key/,
  );
  await assert.rejects(
    ds.query("INSERT INTO users (username, email, password_hash, gallery_id) VALUES ('other', 'T@X.TEST', 'x', $1)", [g2.id]),
    /users_email_lower_key/,
  );
});

it("migrations can be reverted and applied again", async () => {
  for (let i = 0; i < ds.migrations.length; i++) await ds.undoLastMigration({ transaction: "each" });
  const tables = await ds.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'");
  assert.equal(tables[0].n, 0);
  await ds.runMigrations({ transaction: "each" });
  const { up } = await pendingSchemaChanges(ds);
  assert.deepEqual(up, []);
});
