// Finds the database (DATABASE_URL, or the embedded server under DATA_DIR) and opens the DataSource.
import { Client } from "pg";
import type { DataSource } from "typeorm";
import type { Config } from "../config";
import { createDataSource, openDatabase, poolOf } from "./data-source";
import { startEmbeddedPostgres, type EmbeddedServer } from "./embedded";
import { checkUnicode, unicodeProblemMessage } from "./locale";

export interface Database {
  ds: DataSource;
  embedded?: EmbeddedServer;
  /**
   * Why the database cannot fold case for non-ASCII text, with the fix, or undefined when it can. The app still
   * starts (the data is intact and readable; only case-insensitive matching of non-Latin text is wrong): the
   * caller reports it.
   */
  localeProblem?: string;
  close(): Promise<void>;
}

export async function connectDatabase(
  config: Config,
  { migrate = true, log = (_m: string) => {} } = {},
): Promise<Database> {
  let embedded: EmbeddedServer | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, log });
    url = embedded.url;
  }
  const ds = createDataSource({ url, poolSize: config.databasePoolSize });
  let localeProblem: string | undefined;
  try {
    await withMigrationLock(url, migrate, () => openDatabase(ds, { migrate }));
    const unicode = await checkUnicode(poolOf(ds));
    if (!unicode.ok) localeProblem = unicodeProblemMessage(unicode, { embeddedDir: embedded?.dataDir });
  } catch (err) {
    if (ds.isInitialized) await ds.destroy();
    await embedded?.stop();
    throw err;
  }
  return {
    ds,
    embedded,
    localeProblem,
    close: async () => {
      if (ds.isInitialized) await ds.destroy();
      await embedded?.stop();
    },
  };
}

/**
 * Several app processes start at once (replicas) and each runs pending migrations: a Postgres advisory
 * lock, held on a connection of its own, lets one migrate while the others wait and then find nothing to do.
 * `npm run migrate` takes the same lock.
 */
export async function withMigrationLock<T>(url: string, migrate: boolean, fn: () => Promise<T>): Promise<T> {
  if (!migrate) return fn();
  const lock = new Client({ connectionString: url });
  lock.on("error", () => {}); // a dropped lock connection surfaces as the failed query below
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext('hromada:migrations'))");
    return await fn();
  } finally {
    await lock.end(); // ending the session releases the lock
  }
}
