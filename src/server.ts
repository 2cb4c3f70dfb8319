// Boot: config -> database (embedded when DATABASE_URL is unset) -> http + socket.io listen; clean shutdown on signals.
import { loadConfig, ConfigError } from "./config";
import { connectDatabase } from "./db/connect";
import { createApp } from "./app";
import { createLogger } from "./logger";
import { resolveSessionSecret } from "./http/session";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config);
  const db = await connectDatabase(config, { log: (m) => logger.info(m) });
  const { server, io, lifecycle } = createApp({ config, logger, ds: db.ds, sessionSecret: resolveSessionSecret(config) });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  logger.info(`Hromada is running at http://localhost:${port}`);
  if (process.stdout.isTTY || config.env !== "production") console.log(`\n  Hromada is running at http://localhost:${port}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    lifecycle.shuttingDown = true;
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    const force = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, 25_000);
    force.unref();
    // Stop accepting, let in-flight requests finish, end idle keep-alive connections.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    io.disconnectSockets(true);
    await closed;
    await new Promise<void>((resolve) => io.close(() => resolve()));
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
