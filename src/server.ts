// Boot: config -> database (embedded when DATABASE_URL is unset) -> Redis (when REDIS_URL is set) ->
// http + socket.io listen; on SIGTERM/SIGINT a graceful drain (see shutdown below).
import { loadConfig, ConfigError, type Config } from "./config";
import { connectDatabase } from "./db/connect";
import { createApp } from "./app";
import { closeImageWorkers } from "./gallery/image-pipeline";
import { createLogger } from "./logger";
import { resolveSessionSecret } from "./http/session";
import { connectRedis, type RedisClient } from "./realtime-adapter";

/** Sent to every socket before it is closed on shutdown: reconnect (through the load balancer, to another process). */
export const SHUTDOWN_EVENT = "server:shutdown";

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

async function main() {
  const config = configOrExit();
  const logger = createLogger(config);
  if (config.isProduction && !config.cookieSecure)
    logger.warn("COOKIE_SECURE=false in production: session cookies will also travel over plain HTTP");
  if (config.cookieSecure && config.trustProxy === false)
    logger.warn("COOKIE_SECURE is on and TRUST_PROXY is off: if TLS ends at a proxy, set TRUST_PROXY or no session cookie will be set");

  const db = await connectDatabase(config, { log: (m) => logger.info(m) });
  if (db.localeProblem) logger.error(db.localeProblem);
  let redis: RedisClient | undefined;
  try {
    redis = await connectRedis(config, logger);
  } catch (err) {
    await db.close();
    throw err;
  }
  const { server, io, lifecycle, mailer, exports: dataExports } = createApp({ config, logger, ds: db.ds, sessionSecret: resolveSessionSecret(config), redis });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  mailer.start();
  dataExports.start();
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  logger.info({ port, pid: process.pid, redis: Boolean(redis) }, `Hromada is running at http://localhost:${port}`);
  // Plain text for the person who just typed `npm start` (the JSON log line is for machines).
  if (process.stdout.isTTY || config.env !== "production") console.log(`\n  Hromada is running at http://localhost:${port}\n`);

  let stopping = false;
  /**
   * The drain, in order: /readyz turns 503 (and, for SHUTDOWN_DELAY_SECONDS, traffic is still served so a
   * load balancer polling it can move away); the listener closes; every socket gets SHUTDOWN_EVENT and a
   * transport close, which socket.io clients answer by reconnecting (a server-side disconnect would tell
   * them not to) with their connection state kept for recovery; requests already accepted, uploads
   * included, run to completion; then the image workers, Redis, the pool and the embedded Postgres close,
   * and we exit 0.
   */
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    lifecycle.shuttingDown = true;
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    const force = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs + config.shutdownDelayMs);
    force.unref();
    if (config.shutdownDelayMs) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));

    const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    // A keep-alive connection is idle between requests; close those now and as each in-flight request ends.
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    // local: only this process's sockets are going away (and a cluster broadcast would reach them only after a
    // round trip to Redis, by which time they are closed).
    io.local.emit(SHUTDOWN_EVENT, { reconnect: true });
    await new Promise((r) => setImmediate(r)); // let the hint reach the sockets before they close
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await httpClosed;
    clearInterval(sweep);
    await closeImageWorkers();
    await dataExports.stop();
    await mailer.stop();
    if (redis?.isOpen) await redis.close().catch(() => {});
    await db.close();
    logger.info("bye");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
