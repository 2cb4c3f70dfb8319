// npm run migrate: applies pending migrations (each in its own transaction) and prints what ran.
// `--check` only lists what is pending and exits 1 if anything is, for deploy pipelines.
import { withMigrationLock } from "../db/connect";
import { commandConfig, describeDatabase, openCommandDatabase, parseCommandArgs, pendingMigrations, runCommand } from "./command";

const USAGE = `Usage: npm run migrate [-- --check]

Applies every pending database migration (migrations/), each in its own transaction, and prints
the ones that ran. Uses DATABASE_URL, or the embedded PostgreSQL under DATA_DIR when it is unset.

Options:
  --check     list pending migrations without applying them; exit 1 if there are any
  -h, --help  show this help`;

runCommand(async () => {
  const args = parseCommandArgs(USAGE, { check: { type: "boolean" } });
  const config = commandConfig();
  const db = await openCommandDatabase(config, { requireMigrated: false });
  try {
    const where = describeDatabase(config);
    if (args.check) {
      const pending = await pendingMigrations(db);
      if (!pending.length) {
        console.log(`No pending migrations: ${where} is up to date.`);
        return 0;
      }
      console.log(`${pending.length} pending migration(s) for ${where}:`);
      for (const name of pending) console.log(`  ${name}`);
      return 1;
    }
    // The app's own lock (src/db/connect.ts): this command and a starting replica never run a migration twice.
    const url = (db.ds.options as { url: string }).url;
    const ran = await withMigrationLock(url, true, () => db.ds.runMigrations({ transaction: "each" }));
    if (!ran.length) {
      console.log(`No pending migrations: ${where} is up to date.`);
      return 0;
    }
    console.log(`Applied ${ran.length} migration(s) to ${where}:`);
    for (const m of ran) console.log(`  ${m.name}`);
    return 0;
  } finally {
    await db.close();
  }
});
