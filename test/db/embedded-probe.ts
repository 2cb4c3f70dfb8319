// Run by locale.test.ts in a child process with an emptied environment: starts a throwaway embedded cluster in
// the folder given, prints what its databases do with Cyrillic as one JSON line, and stops it.
import { Client } from "pg";
import { freePort, startEmbeddedPostgres } from "../../src/db/embedded";
import { checkUnicodeAt, withDatabase } from "../../src/db/locale";

async function main() {
  const server = await startEmbeddedPostgres({ dataDir: process.argv[2], port: await freePort(), persistent: false });
  try {
    // A database created plainly afterwards (as test/run.ts and the test helpers do) inherits template1.
    const admin = new Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query("CREATE DATABASE plain");
    await admin.end();
    const result = { admin: await checkUnicodeAt(server.adminUrl), app: await checkUnicodeAt(server.url), plain: await checkUnicodeAt(withDatabase(server.adminUrl, "plain")) };
    console.log(JSON.stringify(result));
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
