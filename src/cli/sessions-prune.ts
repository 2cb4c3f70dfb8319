// npm run sessions:prune: deletes expired sessions. The app prunes on its own every 15 minutes; this is
// for a cron job when that is switched off, or to clean up after a long downtime.
import { poolOf } from "../db/data-source";
import { commandConfig, describeDatabase, openCommandDatabase, parseCommandArgs, runCommand } from "./command";

const USAGE = `Usage: npm run sessions:prune [-- --dry-run]

Deletes every expired login session from the session table and prints how many went.

Options:
  --dry-run   only count the expired sessions
  -h, --help  show this help`;

runCommand(async () => {
  const args = parseCommandArgs(USAGE, { "dry-run": { type: "boolean" } });
  const config = commandConfig();
  const db = await openCommandDatabase(config);
  try {
    const pool = poolOf(db.ds);
    if (args["dry-run"]) {
      const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM session WHERE expire < now()");
      console.log(`${rows[0].n} expired session(s) in ${describeDatabase(config)} (nothing deleted: --dry-run).`);
      return 0;
    }
    // The same condition connect-pg-simple's own pruning uses.
    const { rowCount } = await pool.query("DELETE FROM session WHERE expire < now()");
    console.log(`Deleted ${rowCount ?? 0} expired session(s) from ${describeDatabase(config)}.`);
    return 0;
  } finally {
    await db.close();
  }
});
