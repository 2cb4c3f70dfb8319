// A fresh database for one benchmark run: a new database on DATABASE_URL's server, or a throwaway embedded Postgres.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client, Pool } from "pg";
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from "../../src/db/embedded";
import { createUnicodeDatabase, withDatabase } from "../../src/db/locale";

export interface BenchDatabase {
  url: string;
  description: string;
  /** A small pool for seeding and for checks between scenarios. */
  pool: Pool;
  serverVersion: string;
  /** The embedded cluster's data directory (none on DATABASE_URL's server). */
  dataDir?: string;
  drop(): Promise<void>;
}

/**
 * Does now the database upkeep a scenario's writes would set off later: S4 inserts 110,000 messages, and
 * Postgres answers with autovacuum/analyze of the table and a checkpoint writing those pages out. Left to
 * run on their own they land in the next scenario (S5), on the same two cores. Each scenario should measure
 * its own work. (Measured: it takes 0.1-0.2 s here, and S5's probe p99 after S4 was 39/52 ms without it,
 * 40/33 ms with it, against 22-31 ms for S5 alone: within this VM's noise, so kept as hygiene, not as a fix.)
 * CHECKPOINT needs a superuser (or pg_checkpoint): said and skipped when not allowed.
 */
export async function settle(pool: Pool): Promise<string> {
  const t0 = Date.now();
  await pool.query("VACUUM (ANALYZE)");
  let checkpoint = "checkpoint";
  try {
    await pool.query("CHECKPOINT");
  } catch (err) {
    checkpoint = `no checkpoint (${(err as Error).message})`;
  }
  return `database settled (vacuum, analyze, ${checkpoint}) in ${Date.now() - t0} ms`;
}

export async function createBenchDatabase(log: (m: string) => void): Promise<BenchDatabase> {
  let embedded: EmbeddedServer | undefined;
  let adminUrl = process.env.DATABASE_URL;
  let where: string;
  let dataDir: string | undefined;
  if (adminUrl) {
    where = `DATABASE_URL's server (${new URL(adminUrl).host})`;
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-bench-pg-"));
    log(`No DATABASE_URL: starting a throwaway embedded PostgreSQL in ${dir}`);
    embedded = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), persistent: false });
    dataDir = embedded.dataDir;
    adminUrl = embedded.adminUrl;
    where = "embedded PostgreSQL (throwaway cluster)";
  }
  const name = `hromada_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const { rows } = await admin.query("SHOW server_version");
  await admin.end();
  await createUnicodeDatabase(adminUrl, name);
  const url = withDatabase(adminUrl, name);
  const pool = new Pool({ connectionString: url, max: 4 });
  // Dropping the database WITH (FORCE) at the end can reach a connection that is still closing.
  pool.on("error", () => {});
  let dropped = false;
  return {
    url,
    pool,
    serverVersion: String(rows[0].server_version),
    dataDir,
    description: `PostgreSQL ${rows[0].server_version} on ${where}, database ${name}`,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => {});
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      await c.end();
      await embedded?.stop();
    },
  };
}

/** The embedded cluster's processes: the postmaster (first line of postmaster.pid) and its children. */
export function postgresPids(dataDir: string): number[] {
  const postmaster = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const pids = [postmaster];
  for (const tid of fs.readdirSync(`/proc/${postmaster}/task`)) {
    const list = fs.readFileSync(`/proc/${postmaster}/task/${tid}/children`, "utf8").trim();
    if (list) pids.push(...list.split(" ").map(Number));
  }
  return pids;
}

/** CPU time (ms) of each Postgres process at one moment, by pid. */
export type PgCpuSnapshot = Map<number, number>;

export interface PgCpuMeter {
  /** Which processes are counted (printed with the run). */
  description: string;
  snapshot(): Promise<PgCpuSnapshot>;
}

const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  } catch {
    return 10;
  }
})();

/** utime + stime of a process from /proc (ms), or undefined when it is gone or unreadable. */
function procCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields after it start past the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * Postgres's CPU, read from /proc like the peer harness does: the whole embedded cluster (postmaster, backends,
 * background writers), or on DATABASE_URL's shared server only the backends connected to the bench database
 * (its other databases belong to someone else). Null off Linux. A backend that starts during a run counts from
 * zero; one that ends during it is lost (the app's pool keeps its connections, so that is rare).
 */
export function postgresCpuMeter(db: BenchDatabase): PgCpuMeter | null {
  if (!fs.existsSync("/proc/self/stat")) return null;
  const pids = db.dataDir
    ? async () => postgresPids(db.dataDir!)
    : async () =>
        (await db.pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).rows.map((r) => r.pid);
  return {
    description: db.dataDir ? "Postgres CPU: every process of the embedded cluster (/proc)" : "Postgres CPU: the bench database's backends on DATABASE_URL's server (/proc; background processes not counted)",
    snapshot: async () => {
      const snap: PgCpuSnapshot = new Map();
      for (const pid of await pids()) {
        const ms = procCpuMs(pid);
        if (ms !== undefined) snap.set(pid, ms);
      }
      return snap;
    },
  };
}

/** CPU (ms) the processes of `after` used since `before`. */
export function pgCpuBetween(before: PgCpuSnapshot, after: PgCpuSnapshot): number {
  let ms = 0;
  for (const [pid, now] of after) ms += Math.max(0, now - (before.get(pid) ?? 0));
  return ms;
}
