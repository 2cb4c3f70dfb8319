// Runs the real server as a child process (src/server.ts through tsx, or the compiled bin/start.js) and
// talks to it over HTTP, as a load balancer or a browser would.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Client } from "pg";
import { createClient } from "redis";

export const ROOT = path.resolve(__dirname, "../..");
/** The machine's Redis (CI exports REDIS_URL when one answers); the tests use their own key prefix in it. */
export const REDIS_TEST_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  /** Sends a signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Servers still running when this test file's process exits (a failed assertion skipped their stop): killed then. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Only what the server needs: the test runner's own variables (NODE_ENV=test, DATABASE_URL...) must not leak in. */
function baseEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG"];
  return Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
}

export interface StartOptions {
  env: Record<string, string>;
  /** "source" runs src/server.ts through tsx; "start" runs `node bin/start.js` (compiled dist/ in production). */
  entry?: "source" | "start";
  /** How long to wait for the "running" line before giving up (an embedded Postgres needs a few seconds). */
  bootTimeoutMs?: number;
  /** A project tree other than this checkout (e.g. a private build); its bin/start.js is run. */
  root?: string;
}

function command(entry: "source" | "start", root: string): string[] {
  return entry === "source" ? ["--import", "tsx", path.join(root, "src/server.ts")] : [path.join(root, "bin/start.js")];
}

/** Starts the server and resolves once it listens (its port is read from its own log line). */
export async function startServerProcess({ env, entry = "source", bootTimeoutMs = 60_000, root = ROOT }: StartOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, command(entry, root), {
    cwd: root,
    env: { ...baseEnv(), HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", UV_THREADPOOL_SIZE: "4", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  running.add(child);
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start within ${bootTimeoutMs} ms:\n${out}`));
    }, bootTimeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Hromada is running at http:\/\/localhost:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the server to completion (for configurations it must refuse): exit code and output. */
export async function runServerToExit(env: Record<string, string>, entry: "source" | "start" = "source", root = ROOT) {
  const child = spawn(process.execPath, command(entry, root), { cwd: root, env: { ...baseEnv(), HOST: "127.0.0.1", PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** The session id inside a signed express-session cookie value ("s:<sid>.<signature>"). */
export function sidOf(setCookie: string[] | string | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie.join("\n") : String(setCookie ?? "");
  const m = /hromada\.sid=s%3A([^.;]+)\./.exec(header);
  if (!m) throw new Error(`no session cookie in ${header}`);
  return decodeURIComponent(m[1]);
}

/** The "name=value" part of the session cookie, to send to another process. */
export function sessionCookie(setCookie: string[] | string | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie.join("\n") : String(setCookie ?? "");
  const m = /(hromada\.sid=[^;\s]+)/.exec(header);
  if (!m) throw new Error(`no session cookie in ${header}`);
  return m[1];
}

export async function query<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Why Redis cannot be used, or null when it answers PING. */
export async function redisUnavailable(url = REDIS_TEST_URL): Promise<string | null> {
  const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    await client.close();
    return null;
  } catch (err) {
    return `${(err as Error).message || String(err)}`;
  }
}

/** The Redis keys matching a pattern. */
export async function redisKeysMatching(pattern: string, url = REDIS_TEST_URL): Promise<string[]> {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 100 })) keys.push(...batch);
  await client.close();
  return keys;
}

/** Removes every Redis key under a test run's prefix. */
export async function dropRedisKeys(prefix: string, url = REDIS_TEST_URL): Promise<void> {
  const keys = await redisKeysMatching(`${prefix}:*`, url);
  if (!keys.length) return;
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  await client.del(keys);
  await client.close();
}

/** Polls `probe` until it returns something other than undefined; fails after `deadlineMs` naming what it waited for. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, deadlineMs = 30_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True once nothing accepts TCP connections on 127.0.0.1:port. */
export function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

/** True once the process has exited (a zombie not yet reaped by its new parent counts: it holds nothing). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] === "Z";
  } catch {
    return true;
  }
}

/** The pid of an embedded cluster's postmaster, from its data directory (the first line of postmaster.pid). */
export function postmasterPid(clusterDir: string): number {
  return Number(fs.readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0]);
}
