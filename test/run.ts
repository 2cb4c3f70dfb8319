// `npm test` / `npm run test:e2e`: makes sure a Postgres is there (DATABASE_URL, or a throwaway embedded
// server), prepares one migrated template database, then runs node's test runner over the test files.
// Each test file clones the template into a database of its own, so every run starts clean.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { createDataSource, openDatabase } from "../src/db/data-source";
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from "../src/db/embedded";
import { createUnicodeDatabase, withDatabase } from "../src/db/locale";

function findTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return findTests(p);
    return e.name.endsWith(".test.ts") ? [p] : [];
  });
}

async function main() {
  const args = process.argv.slice(2);
  const e2e = args.includes("--e2e");
  const filters = args.filter((a) => !a.startsWith("--"));
  const root = path.resolve(__dirname, "..");
  let files = findTests(path.join(root, "test")).filter((f) => f.includes(`${path.sep}e2e${path.sep}`) === e2e).sort();
  if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
  if (!files.length) {
    console.error("No test files matched.");
    process.exit(1);
  }

  let embedded: EmbeddedServer | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-test-pg-"));
    console.log(`No DATABASE_URL: starting a throwaway embedded PostgreSQL in ${dir}`);
    embedded = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
    adminUrl = embedded.adminUrl;
  }

  const template = `hromada_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const { rows } = await admin.query("SHOW server_version");
  console.log(`PostgreSQL ${rows[0].server_version}`);
  // Unicode-aware whatever the server's template1 is, so the Cyrillic tests test the app, not the machine's locale.
  await createUnicodeDatabase(adminUrl, template);
  const ds = createDataSource({ url: withDatabase(adminUrl, template), poolSize: 1 });
  await openDatabase(ds, { migrate: true });
  await ds.destroy();

  const concurrency = e2e ? 1 : Math.max(1, Math.min(4, os.availableParallelism()));
  // A test that hangs (a socket never answered, a lock never released) fails on its own after this long instead
  // of holding the whole run until CI's limit. Generous: on a loaded 2-core machine a browser flow takes minutes.
  const timeoutMs = Number(process.env.TEST_TIMEOUT_MS) || 900_000;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, "--test-reporter=spec", ...files],
    {
      stdio: "inherit",
      env: {
        ...process.env,
        NODE_ENV: "test",
        TEST_ADMIN_URL: adminUrl,
        TEST_TEMPLATE_DB: template,
        UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? "8",
      },
    },
  );
  // Ctrl-C: let the test runner stop, then fall through to the clean-up below.
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
  const code: number = await new Promise((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));

  // Drop what the run created: the template and any database a crashed test left behind.
  const leftovers = await admin.query(
    `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
    [template, `hromada_t_${template.split("_")[2]}_%`],
  );
  for (const r of leftovers.rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`).catch(() => {});
  await admin.end();
  await embedded?.stop();
  process.exit(code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
