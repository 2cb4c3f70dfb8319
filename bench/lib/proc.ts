// Servers under test as child processes: CPU pinning, readiness, the probe's IPC questions, clean stop.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface Pinning {
  /** taskset found and at least two CPUs: server on serverCpu, this process (the load generator) on loadCpu. */
  enabled: boolean;
  serverCpu?: number;
  loadCpu?: number;
  /** CPUs the server may use (what "cores" means for the ideal login rate). */
  serverCores: number;
  /** Where Postgres runs (set by run.ts after --pin-postgres): its CPU per request means most on the server's CPU. */
  postgres?: "unpinned" | "server CPU" | "load generator CPU";
  description: string;
}

function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** CPUs this process may currently run on (its affinity mask), as taskset reports them. */
function allowedCpus(): number[] {
  try {
    const out = execFileSync("taskset", ["-c", "-p", String(process.pid)], { encoding: "utf8" });
    const list = out.split(":").pop()!.trim();
    return list.split(",").flatMap((part) => {
      const [a, b] = part.split("-").map(Number);
      return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
  } catch {
    return Array.from({ length: os.availableParallelism() }, (_, i) => i);
  }
}

/**
 * Pins this process (every thread: -a) to the second allowed CPU and plans the servers for the first one.
 * Postgres is left where it is: on a two-core machine it shares the CPUs with both sides, for the app and
 * the baseline alike.
 */
export function pinLoadGenerator(disabled: boolean): Pinning {
  const cpus = allowedCpus();
  if (disabled) {
    return { enabled: false, serverCores: os.availableParallelism(), description: "CPU pinning off (--no-pin): server, load generator and Postgres share all CPUs" };
  }
  if (!hasTaskset()) {
    return { enabled: false, serverCores: os.availableParallelism(), description: "taskset not found: no CPU pinning (server, load generator and Postgres share all CPUs)" };
  }
  if (cpus.length < 2) {
    return { enabled: false, serverCores: cpus.length, description: `only ${cpus.length} CPU available: no pinning` };
  }
  const [serverCpu, loadCpu] = cpus;
  execFileSync("taskset", ["-a", "-p", "-c", String(loadCpu), String(process.pid)], { stdio: "ignore" });
  return {
    enabled: true,
    serverCpu,
    loadCpu,
    serverCores: 1,
    description:
      `taskset: server pinned to CPU ${serverCpu}, load generator (this process, all threads) to CPU ${loadCpu}; ` +
      `Postgres unpinned (${cpus.length} CPUs allowed: ${cpus.join(",")})`,
  };
}

export interface ProbeStats {
  pid: number;
  wallMs: number;
  eld: { p50: number; p99: number; max: number; mean: number };
  elu: number;
  cpuMs: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** The server's child processes (image workers): how many are alive, their RSS, CPU since the last reset. Null off Linux. */
  children: { count: number; rss: number; cpuMs: number } | null;
  /** GC pauses since the last reset: how many, their total, the longest (and its kind), how many took >= 20 ms. */
  gc: { count: number; totalMs: number; maxMs: number; maxKind: string; over20: number };
}

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  logFile: string;
  reset(): Promise<void>;
  stats(): Promise<ProbeStats>;
  /** Full GC (the child runs with --expose-gc), then stats. */
  gcStats(): Promise<ProbeStats>;
  /** Starts the V8 CPU profiler in the server (through the probe). */
  profileStart(): Promise<void>;
  /** Stops it and writes the .cpuprofile to `file`. */
  profileStop(file: string): Promise<void>;
  /** Times of `n` bcrypt comparisons run one after another inside the server (ms). */
  hashTimes(hash: string, password: string, n: number): Promise<number[]>;
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  name: string;
  /** Node arguments after the flags this module adds: a script and its args. */
  script: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  pinning: Pinning;
  logFile: string;
  /** Extra node flags (e.g. --require tsx/cjs for the TypeScript baseline). */
  nodeFlags?: string[];
  readyPath?: string;
  /** Working directory (the app's checkout: modules resolve from there). */
  cwd?: string;
  readyTimeoutMs?: number;
  /** A command the server runs under (e.g. valgrind and its options); not combined with pinning. */
  wrapper?: string[];
}

const PROBE = path.join(__dirname, "..", "probe.cjs");

export async function startServer(opts: StartOptions): Promise<ServerProcess> {
  const nodeArgs = [
    "--expose-gc",
    "--require", PROBE,
    ...(opts.nodeFlags ?? []),
    ...opts.script,
  ];
  const [cmd, args] = opts.wrapper?.length
    ? [opts.wrapper[0], [...opts.wrapper.slice(1), process.execPath, ...nodeArgs]]
    : opts.pinning.enabled
      ? ["taskset", ["-c", String(opts.pinning.serverCpu), process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = fs.openSync(opts.logFile, "w");
  const child: ChildProcess = spawn(cmd as string, args as string[], {
    env: opts.env,
    cwd: opts.cwd,
    stdio: ["ignore", log, log, "ipc"],
  });
  fs.closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, sig) => resolve(code ?? (sig ? 128 : null))));
  let seq = 0;
  const pending = new Map<number, (d: unknown) => void>();
  child.on("message", (m: { bench?: boolean; id?: number; data?: unknown }) => {
    if (m?.bench && typeof m.id === "number") {
      pending.get(m.id)?.(m.data);
      pending.delete(m.id);
    }
  });
  const ask = <T>(cmdName: string, extra: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${opts.name}: no answer to "${cmdName}" from the probe within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      pending.set(id, (d) => {
        clearTimeout(timer);
        resolve(d as T);
      });
      child.send({ bench: true, id, cmd: cmdName, ...extra });
    });

  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  let lastErr = "";
  let early: number | null | undefined;
  void exited.then((c) => (early = c));
  for (;;) {
    if (early !== undefined) throw new Error(`${opts.name} exited (code ${early}) before it was ready; see ${opts.logFile}:\n${tail(opts.logFile)}`);
    try {
      const res = await fetch(url + (opts.readyPath ?? "/healthz"));
      if (res.ok) break;
      lastErr = `status ${res.status}`;
    } catch (err) {
      lastErr = String((err as Error).cause ?? err);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${opts.name} not ready after ${(opts.readyTimeoutMs ?? 60_000) / 1000} s (${lastErr}); see ${opts.logFile}:\n${tail(opts.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  let stopping: Promise<void> | undefined;
  return {
    name: opts.name,
    url,
    pid: child.pid!,
    logFile: opts.logFile,
    exited,
    reset: () => ask("reset"),
    stats: () => ask<ProbeStats>("stats"),
    gcStats: () => ask<ProbeStats>("gc"),
    profileStart: () => ask("profile-start"),
    hashTimes: async (hash, password, n) => {
      const r = await ask<{ ok: boolean; times?: number[]; error?: string }>("hash-time", { hash, password, n }, 120_000);
      if (!r.ok || !r.times) throw new Error(`${opts.name}: hash timing failed (${r.error})`);
      return r.times;
    },
    profileStop: async (file) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const r = await ask<{ ok: boolean; error?: string }>("profile-stop", { file }, 60_000);
      if (!r.ok) throw new Error(`${opts.name}: profile not written (${r.error ?? "profiler not started"})`);
    },
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        await exited;
        clearTimeout(killer);
      })()),
  };
}

export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
