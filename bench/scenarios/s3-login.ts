// S3: logging in at the production bcrypt cost (12). First the capacity (logins/s with enough logins in flight
// to keep the server's hashing busy) against the ideal, cores / one hash's time measured now on this machine;
// then logins at half that capacity while the S1 probe runs, to see whether hashing stalls the event loop.
import bcrypt from "bcrypt";
import { Browser, csrfFrom } from "../lib/http";
import { percentiles } from "../lib/load";
import { fmt, type Outcome } from "../lib/report";
import { PASSWORD, type SeedUser } from "../lib/seed";
import { ensureProbeReference, loadRow, runProbe } from "./s1-home";
import type { Ctx } from "./context";

interface LoginResult {
  ok: boolean;
  ms: number;
  status: number;
}

/** One visitor: GET /login for a session and token, POST the form; a 303 is a success. */
async function oneLogin(base: string, user: SeedUser): Promise<LoginResult> {
  const t0 = performance.now();
  const b = new Browser(base);
  try {
    const page = await b.get("/login");
    const token = csrfFrom(page.text);
    if (!token) return { ok: false, ms: performance.now() - t0, status: page.status };
    const res = await b.postForm("/login", { login: user.username, password: PASSWORD, _csrf: token });
    return { ok: res.status === 303, ms: performance.now() - t0, status: res.status };
  } catch {
    return { ok: false, ms: performance.now() - t0, status: 0 };
  }
}

function summarize(results: LoginResult[], seconds: number) {
  const ok = results.filter((r) => r.ok);
  const failed = results.filter((r) => !r.ok);
  const statuses: Record<string, number> = {};
  for (const r of failed) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return { count: ok.length, perS: ok.length / seconds, latency: percentiles(ok.map((r) => r.ms)), errors: failed.length, failedStatuses: statuses };
}

export async function runS3(ctx: Ctx): Promise<Outcome> {
  const out: Outcome = { id: "S3", title: "logins at bcrypt cost 12", status: "ok", rows: [], targets: [], data: {} };
  const users = ctx.seed.members.length ? ctx.seed.members : [ctx.seed.s3];
  const userAt = (i: number) => users[i % users.length];
  const probeRef = await ensureProbeReference(ctx);

  // One hash's time: bcrypt.compare as the login does it, one at a time, on the server's own CPU (through its
  // probe), median of five after one to warm up. Timed here too, on the load generator's CPU, as a cross-check.
  const serverTimes = (await ctx.app.hashTimes(ctx.seed.passwordHash, PASSWORD, 6)).slice(1);
  const hashMs = serverTimes.sort((a, b) => a - b)[2];
  const localTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await bcrypt.compare(PASSWORD, ctx.seed.passwordHash);
    localTimes.push(performance.now() - t0);
  }
  out.data.hashMsLoadGenerator = localTimes.sort((a, b) => a - b)[1];
  const cores = ctx.pinning.serverCores;
  const ideal = (cores * 1000) / hashMs;
  out.data.hashMs = hashMs;
  out.data.idealPerS = ideal;

  // Capacity: enough logins in flight to keep every core hashing, plus a little for the round trips.
  const concurrency = cores * 2 + 2;
  const warm = await Promise.all([0, 1].map((i) => oneLogin(ctx.app.url, userAt(i))));
  if (!warm.every((r) => r.ok)) {
    return { ...out, status: "failed", reason: `warm-up logins failed with statuses ${warm.map((r) => r.status).join(", ")}` };
  }
  await ctx.app.reset();
  const results: LoginResult[] = [];
  const t0 = performance.now();
  const deadline = t0 + ctx.d.measureS * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) results.push(await oneLogin(ctx.app.url, userAt(next++)));
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const server = await ctx.app.stats();
  const cap = summarize(results, seconds);
  out.data.capacity = { ...cap, concurrency, server };
  out.rows.push({
    scenario: "S3",
    name: `logins, ${concurrency} in flight (capacity)`,
    rate: cap.perS,
    unit: "logins/s",
    p50: cap.latency.p50,
    p99: cap.latency.p99,
    errors: cap.errors,
    note: `ideal ${fmt.n(ideal, 1)}/s = ${cores} core(s) / ${fmt.ms(hashMs)} ms per hash (timed in the server; ${fmt.ms(out.data.hashMsLoadGenerator as number)} ms on the load generator's CPU); ${fmt.pct(cap.perS / ideal)} of ideal; ` +
      `server ${fmt.n(server.cpuMs / Math.max(1, cap.count), 1)} ms CPU/login, loop delay p99 ${fmt.ms(server.eld.p99)} ms` +
      (cap.errors ? `; failures by status ${JSON.stringify(cap.failedStatuses)}` : ""),
  });
  out.targets.push({
    scenario: "S3", what: "logins/s vs ideal", target: ">= 80%",
    actual: `${fmt.pct(cap.perS / ideal)} (${fmt.n(cap.perS, 1)} of ${fmt.n(ideal, 1)}/s)`, met: cap.errors === 0 && cap.perS >= 0.8 * ideal,
  });

  // Half capacity, open loop (a login starts every 1/rate s whatever the server does), with the probe alongside.
  const rate = Math.max(0.5, cap.perS / 2);
  const half: Promise<LoginResult>[] = [];
  const probeDone = runProbe(ctx, ctx.d.measureS);
  const h0 = performance.now();
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const due = h0 + (i * 1000) / rate;
      if (due > h0 + ctx.d.measureS * 1000) return resolve();
      const wait = due - performance.now();
      if (wait > 1) return void setTimeout(tick, wait);
      half.push(oneLogin(ctx.app.url, userAt(next++)));
      i++;
      tick();
    };
    tick();
  });
  const probe = await probeDone;
  const halfSum = summarize(await Promise.all(half), ctx.d.measureS);
  out.data.halfCapacity = { rate, logins: halfSum, probe };
  const ratio = probe.latency.p99 / probeRef.latency.p99;
  out.rows.push(loadRow("S3", `probe GET / at ${ctx.probe.rate}/s + ${fmt.n(rate, 1)} logins/s`, probe, "req/s", [
    `${halfSum.count} logins done (${halfSum.errors} failed), login p99 ${fmt.ms(halfSum.latency.p99)} ms`,
  ], false));
  out.rows[out.rows.length - 1].note += `; unloaded probe: p99 ${fmt.ms(probeRef.latency.p99)} ms, loop delay p99 ${fmt.ms(probeRef.server?.eld.p99)} ms`;
  out.targets.push({
    scenario: "S3", what: "S1 probe p99 during logins", target: "<= 2x unloaded",
    actual: `${fmt.n(ratio, 2)}x (${fmt.ms(probe.latency.p99)} vs ${fmt.ms(probeRef.latency.p99)} ms; loop delay p99 ${fmt.ms(probe.server?.eld.p99)} ms)`,
    met: probe.errors === 0 && halfSum.errors === 0 && ratio <= 2,
  });
  return out;
}
