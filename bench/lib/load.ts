// HTTP load through autocannon in this process, with our own latency record (sub-millisecond, every response)
// and the server's side of the story from its probe: CPU per request, event-loop utilisation and delay.
import http from "node:http";
import autocannon from "autocannon";
import type { ProbeStats, ServerProcess } from "./proc";
import { pgCpuBetween, type PgCpuMeter } from "./db";

let pgMeter: PgCpuMeter | null = null;
/** Every saturating run from now on also reads Postgres's CPU (run.ts sets it once the database is up). */
export function measurePostgresWith(meter: PgCpuMeter | null): void {
  pgMeter = meter;
}

export interface LoadOptions {
  server: ServerProcess;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  connections: number;
  durationS: number;
  /** Requests per second across all connections (open-loop probe); unset means as fast as the server answers. */
  overallRate?: number;
  /** A sequence each connection loops over (e.g. a POST and the GET its redirect leads to). */
  requests?: autocannon.Request[];
  /** Status(es) every response must have; anything else counts as an error. */
  expectStatus: number | number[];
  /** Substring every response body must contain (checked on each response; misses count as errors). */
  expectText?: string;
  /** Skip probe reset/stats (when another run on the same server owns them). */
  noProbe?: boolean;
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  latency: Latency;
  /** autocannon's own percentiles (whole ms, 2xx only; corrected for coordinated omission in fixed-rate runs). */
  autocannonLatency: { p50: number; p99: number };
  /** Connection errors, timeouts, unexpected statuses and body mismatches. */
  errors: number;
  errorDetail: string;
  statuses: Record<string, number>;
  /** Latency per status code (tells a sequence's POSTs from its GETs). */
  byStatus: Record<string, Latency>;
  durationS: number;
  server?: ProbeStats;
  /** Server CPU time per request, in microseconds (includes its thread pool: bcrypt, sharp). */
  serverCpuUsPerReq?: number;
  /** Postgres's CPU time during the run (ms) and per request (µs): see postgresCpuMeter in db.ts. */
  pgCpuMs?: number;
  pgCpuUsPerReq?: number;
  /** This process's CPU use during the run, as a fraction of one CPU: near 1 means the load generator limited the result. */
  loadGenCpu: number;
}

export function percentiles(values: number[] | Float64Array): Latency {
  const a = Float64Array.from(values).sort();
  const at = (p: number) => (a.length ? a[Math.min(a.length - 1, Math.ceil((p / 100) * a.length) - 1)] : NaN);
  return { p50: at(50), p90: at(90), p99: at(99), max: a.length ? a[a.length - 1] : NaN, count: a.length };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const perStatus: Record<string, number[]> = {};
  const statuses: Record<string, number> = {};
  let mismatches = 0;
  if (!o.noProbe) await o.server.reset();
  const pg0 = o.noProbe || !pgMeter ? undefined : await pgMeter.snapshot();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const instance = autocannon({
    url: o.server.url + o.path,
    method: (o.method ?? "GET") as autocannon.Request["method"],
    headers: o.headers,
    body: o.body,
    connections: o.connections,
    duration: o.durationS,
    overallRate: o.overallRate,
    timeout: 20,
    ...(o.requests ? { requests: o.requests } : {}),
    ...(o.expectText ? { verifyBody: (body: string | Buffer | undefined) => String(body ?? "").includes(o.expectText!) } : {}),
    // Without a callback autocannon returns its instance (an EventEmitter) that is also a promise of the result.
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
    (perStatus[status] ??= []).push(ms);
  });
  const res = await instance;
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const server = o.noProbe ? undefined : await o.server.stats();
  const pgCpuMs = pg0 && pgMeter ? pgCpuBetween(pg0, await pgMeter.snapshot()) : undefined;
  mismatches = res.mismatches ?? 0;
  const requests = latencies.length;
  const expected = Array.isArray(o.expectStatus) ? o.expectStatus : [o.expectStatus];
  const unexpected = requests - expected.reduce((n, s) => n + (statuses[s] ?? 0), 0);
  const errors = res.errors + unexpected + mismatches; // autocannon's errors include its timeouts
  const detail: string[] = [];
  if (res.errors) detail.push(`${res.errors} connection errors/timeouts`);
  if (unexpected) detail.push(`statuses ${JSON.stringify(statuses)} (expected ${expected.join(" or ")})`);
  if (mismatches) detail.push(`${mismatches} bodies without "${o.expectText}"`);
  return {
    requests,
    rps: requests / res.duration,
    latency: percentiles(latencies),
    autocannonLatency: { p50: res.latency.p50, p99: res.latency.p99 },
    errors,
    errorDetail: detail.join("; "),
    statuses,
    byStatus: Object.fromEntries(Object.entries(perStatus).map(([k, v]) => [k, percentiles(v)])),
    durationS: res.duration,
    server,
    serverCpuUsPerReq: server && requests ? (server.cpuMs * 1000) / requests : undefined,
    pgCpuMs,
    pgCpuUsPerReq: pgCpuMs !== undefined && requests ? (pgCpuMs * 1000) / requests : undefined,
    loadGenCpu: (cpu.user + cpu.system) / 1e6 / wall,
  };
}

export interface PacedOptions {
  server: ServerProcess;
  path: string;
  headers?: Record<string, string>;
  /** Requests per second, started at evenly spaced times whatever the server does (open loop). */
  rate: number;
  /** Keep-alive connections at most; a request due while all are busy waits for one (and that wait counts). */
  connections: number;
  durationS: number;
  expectStatus: number;
  expectText?: string;
}

/**
 * The probe: GET at evenly spaced times (every 1/rate s), each request's latency counted from the time it
 * was due, so a stalled server cannot hide its stall by slowing the sender (no coordinated omission).
 * autocannon's own rate limit is not used for this: it sends each second's quota back to back at the top of
 * the second, so a "rate" run measures bursts queueing behind each other, not the latency of a steady trickle.
 */
export async function runPaced(o: PacedOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });
  const target = new URL(o.server.url + o.path);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let mismatches = 0;
  const one = (due: number) =>
    new Promise<void>((resolve) => {
      const req = http.get(target, { agent, headers: o.headers, timeout: 20_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          latencies.push(performance.now() - due);
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          if (o.expectText && !Buffer.concat(chunks).toString("utf8").includes(o.expectText)) mismatches++;
          resolve();
        });
        res.on("error", () => (errors++, resolve()));
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => (errors++, resolve()));
    });

  await o.server.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now() + 20;
  const count = Math.round(o.rate * o.durationS);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 0.5) await new Promise((r) => setTimeout(r, wait));
    pending.push(one(due));
  }
  await Promise.all(pending);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const server = await o.server.stats();
  agent.destroy();
  const requests = latencies.length;
  const unexpected = requests - (statuses[o.expectStatus] ?? 0);
  const detail: string[] = [];
  if (errors) detail.push(`${errors} connection errors/timeouts`);
  if (unexpected) detail.push(`statuses ${JSON.stringify(statuses)} (expected ${o.expectStatus})`);
  if (mismatches) detail.push(`${mismatches} bodies without "${o.expectText}"`);
  const latency = percentiles(latencies);
  return {
    requests,
    rps: requests / wall,
    latency,
    autocannonLatency: { p50: latency.p50, p99: latency.p99 },
    errors: errors + unexpected + mismatches,
    errorDetail: detail.join("; "),
    statuses,
    byStatus: { [o.expectStatus]: latency },
    durationS: wall,
    server,
    serverCpuUsPerReq: requests ? (server.cpuMs * 1000) / requests : undefined,
    loadGenCpu: (cpu.user + cpu.system) / 1e6 / wall,
  };
}
