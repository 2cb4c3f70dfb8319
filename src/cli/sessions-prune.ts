// npm run sessions:prune: deletes expired sessions. The app prunes on its own every 15 minutes; this is
// for a cron job when that is switched off, or to clean up after a long downtime.
import { Session } from "../auth/session.entity";
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
    if (args["dry-run"]) {
      console.log(`${await Session.countExpired()} expired session(s) in ${describeDatabase(config)} (nothing deleted: --dry-run).`);
      return 0;
    }
    const deleted = await Session.pruneExpired();
    console.log(`Deleted ${deleted} expired session(s) from ${describeDatabase(config)}.`);
    return 0;
  } finally {
    await db.close();
  }
});
