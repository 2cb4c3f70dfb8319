// Finds the database (DATABASE_URL, or the embedded server under DATA_DIR) and opens the DataSource.
import type { DataSource } from "typeorm";
import type { Config } from "../config";
import { createDataSource, openDatabase } from "./data-source";
import { startEmbeddedPostgres, type EmbeddedServer } from "./embedded";

export interface Database {
  ds: DataSource;
  embedded?: EmbeddedServer;
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
  try {
    await openDatabase(ds, { migrate });
  } catch (err) {
    if (ds.isInitialized) await ds.destroy();
    await embedded?.stop();
    throw err;
  }
  return {
    ds,
    embedded,
    close: async () => {
      if (ds.isInitialized) await ds.destroy();
      await embedded?.stop();
    },
  };
}
