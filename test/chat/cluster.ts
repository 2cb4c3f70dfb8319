// Several apps in this one test process standing for several servers behind a load balancer (the Redis streams
// adapter, as with REDIS_URL): they share only the database and Redis. Each test file that uses it calls
// useCluster() once at top level; its tests skip with a message when no Redis answers.
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { after, before } from "node:test";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { createDataSource, openDatabase } from "../../src/db/data-source";
import { createLogger } from "../../src/logger";
import { connectRedis, type RedisClient } from "../../src/realtime-adapter";
import type { TestApp } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { dropRedisKeys, redisUnavailable, REDIS_TEST_URL } from "../production/server-process";

export interface ClusterNode {
  app: TestApp;
  redis: RedisClient;
  stop(): Promise<void>;
}

export function useCluster(env: Record<string, string> = {}) {
  const prefix = `hromada-test-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  let redisDown: string | null = null;
  let db: TestDatabase;
  let tmp: string;
  const nodes: ClusterNode[] = [];
  const closers: (() => void)[] = [];

  before(async () => {
    redisDown = await redisUnavailable();
    if (redisDown) return;
    db = await createTestDatabase();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-test-"));
  });

  after(async () => {
    if (redisDown) return;
    for (const close of closers) close();
    for (const n of nodes) await n.stop();
    await db?.drop();
    await dropRedisKeys(prefix);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** One app on the shared database and Redis, listening on its own port: what the helpers expect of a TestApp. */
  async function startNode(): Promise<ClusterNode> {
    const config = loadConfig({
      NODE_ENV: "test", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", BCRYPT_COST: "4",
      DATABASE_URL: db.url, DATABASE_POOL_SIZE: "3",
      DATA_DIR: path.join(tmp, "data"), MEDIA_ROOT: path.join(tmp, "media"),
      REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix,
      LOGIN_RATE_LIMIT: "10000", LOGIN_ACCOUNT_RATE_LIMIT: "10000", SIGNUP_RATE_LIMIT: "10000", CHAT_MESSAGES_PER_10S: "10000",
      HOST: "127.0.0.1",
      ...env,
    });
    const logger = createLogger(config);
    const redis = (await connectRedis(config, logger))!;
    const ds = createDataSource({ url: db.url, poolSize: config.databasePoolSize });
    await openDatabase(ds, { migrate: false });
    const built = createApp({ config, logger, ds, sessionSecret: "test-secret-0123456789abcdef0123456789", redis });
    await new Promise<void>((resolve) => built.server.listen(0, "127.0.0.1", resolve));
    const { port } = built.server.address() as AddressInfo;
    const app = {
      ...built, url: `http://127.0.0.1:${port}`, config, db, mediaRoot: config.mediaRoot,
      sql: async (text: string, params?: unknown[]) => (await built.deps.pool.query(text, params)).rows,
      close: async () => {},
    } as unknown as TestApp;
    const node = {
      app,
      redis,
      stop: async () => {
        built.io.disconnectSockets(true);
        await new Promise<void>((resolve) => built.io.close(() => resolve()));
        built.server.closeAllConnections();
        await redis.close().catch(() => {});
        if (ds.isInitialized) await ds.destroy();
      },
    };
    nodes.push(node);
    return node;
  }

  /**
   * A stand-in for the load balancer: a TCP proxy whose new connections go to `route(url)`'s app. `drop()` cuts
   * every connection it carries (the client sees its transport close, as when a phone loses its network).
   */
  async function balancer(first: TestApp) {
    let target = Number(new URL(first.url).port);
    const open = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const upstream = net.connect(target, "127.0.0.1");
      open.add(client);
      client.pipe(upstream).pipe(client);
      const end = () => {
        open.delete(client);
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on("error", end);
        s.on("close", end);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => server.close());
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      route: (app: TestApp) => {
        target = Number(new URL(app.url).port);
      },
      drop: () => {
        for (const c of open) c.destroy();
      },
    };
  }

  return { prefix, startNode, balancer, redisDown: () => redisDown, skipMessage: () => `no Redis at ${REDIS_TEST_URL}: ${redisDown}` };
}
