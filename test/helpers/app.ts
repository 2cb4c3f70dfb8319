// Builds the real app on a fresh database of its own and listens on an ephemeral port.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { createApp, type HromadaApp } from "../../src/app";
import { loadConfig, type Config } from "../../src/config";
import { createDataSource, openDatabase, poolOf } from "../../src/db/data-source";
import { createLogger } from "../../src/logger";
import type { RedisClient } from "../../src/realtime-adapter";
import { createTestDatabase, type TestDatabase } from "./db";

export interface TestApp extends HromadaApp {
  url: string;
  config: Config;
  db: TestDatabase;
  mediaRoot: string;
  /** Runs SQL against the app's database (for checking what was stored). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * env: extra environment variables, as strings, e.g. { LOGIN_RATE_LIMIT: "3" }; logger: instead of the app's own (to
 * read what it logs); db and redis: shared with another test app, as two app processes would share them (a db
 * passed in is left for its owner to drop).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { logger?: Logger; db?: TestDatabase; redis?: RedisClient } = {},
): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-test-"));
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    BCRYPT_COST: "4",
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: "5",
    DATA_DIR: path.join(tmp, "data"),
    MEDIA_ROOT: path.join(tmp, "media"),
    LOGIN_RATE_LIMIT: "10000",
    LOGIN_ACCOUNT_RATE_LIMIT: "10000",
    SIGNUP_RATE_LIMIT: "10000",
    CHAT_MESSAGES_PER_10S: "10000",
    HOST: "127.0.0.1",
    ...env,
  });
  fs.mkdirSync(config.mediaRoot, { recursive: true });
  const ds = createDataSource({ url: db.url, poolSize: config.databasePoolSize });
  await openDatabase(ds, { migrate: false });
  const logger = options.logger ?? createLogger(config);
  const built = createApp({ config, logger, ds, sessionSecret: "test-secret-0123456789abcdef0123456789", redis: options.redis });
  await new Promise<void>((resolve) => built.server.listen(0, "127.0.0.1", resolve));
  const { port } = built.server.address() as AddressInfo;
  let closed = false;
  return {
    ...built,
    url: `http://127.0.0.1:${port}`,
    config,
    db,
    mediaRoot: config.mediaRoot,
    sql: async (text, params) => (await poolOf(ds).query(text, params)).rows,
    close: async () => {
      if (closed) return;
      closed = true;
      await built.exports.stop();
      await built.mailer.stop();
      built.io.disconnectSockets(true);
      await new Promise<void>((resolve) => built.io.close(() => resolve()));
      built.server.closeAllConnections();
      if (ds.isInitialized) await ds.destroy();
      if (!options.db) await db.drop();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
