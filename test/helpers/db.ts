// A database of the test file's own, cloned from the run's migrated template (see test/run.ts).
import crypto from "node:crypto";
import { Client } from "pg";
import { createDataSource, openDatabase } from "../../src/db/data-source";

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_ADMIN_URL ?? process.env.DATABASE_URL;
  if (!adminUrl) throw new Error("Run tests with `npm test` (it provides a database), or set DATABASE_URL.");
  const template = process.env.TEST_TEMPLATE_DB;
  const runTag = template ? template.split("_")[2] : String(process.pid);
  const name = `hromada_t_${runTag}_${crypto.randomBytes(5).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Two files cloning the template at the same instant can collide; a short retry settles it.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`);
        break;
      } catch (err) {
        if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  if (!template) {
    const ds = createDataSource({ url, poolSize: 1 });
    await openDatabase(ds);
    await ds.destroy();
  }
  return {
    url,
    name,
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      await c.end();
    },
  };
}
