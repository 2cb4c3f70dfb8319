// S1: the home page of a logged-in user with 20 notes, 32 connections, against the raw baseline server;
// then the fixed-rate S1 probe, unloaded, as the reference for S3 and S5.
import fs from "node:fs";
import path from "node:path";
import { htmlDifference } from "../lib/html";
import { runLoad, runPaced, type LoadResult } from "../lib/load";
import type { ServerProcess } from "../lib/proc";
import { fmt, type Outcome, type Row, type Target } from "../lib/report";
import { sidOf, SESSION_COOKIE } from "../lib/seed";
import { PROBE_CONNECTIONS, PROBE_SHARE, S1_CONNECTIONS, type Ctx } from "./context";

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** One-line server context for a row: CPU per request, event-loop utilisation and delay, load-generator CPU. */
export function serverNote(r: LoadResult, extra: string[] = [], cpuPerReq = true): string {
  const parts = [...extra];
  if (cpuPerReq && r.serverCpuUsPerReq !== undefined) parts.push(`server ${fmt.n(r.serverCpuUsPerReq)} µs CPU/req`);
  if (cpuPerReq && r.pgCpuUsPerReq !== undefined) parts.push(`Postgres ${fmt.n(r.pgCpuUsPerReq)} µs CPU/req`);
  if (r.server) {
    parts.push(`ELU ${fmt.pct(r.server.elu)}`, `loop delay p99 ${fmt.ms(r.server.eld.p99)} ms (max ${fmt.ms(r.server.eld.max)})`);
    const gc = r.server.gc;
    if (gc) parts.push(`GC ${gc.count} pauses, ${fmt.n(gc.totalMs)} ms, longest ${fmt.ms(gc.maxMs)} ms ${gc.maxKind}, ${gc.over20} >= 20 ms`);
  }
  parts.push(`loadgen CPU ${fmt.pct(r.loadGenCpu)}`);
  if (r.errorDetail) parts.push(r.errorDetail);
  return parts.join(", ");
}

/** cpuPerReq false for a probe that shares the server with other work: its CPU time is not the probe's. */
export function loadRow(scenario: string, name: string, r: LoadResult, unit = "req/s", extra: string[] = [], cpuPerReq = true): Row {
  return { scenario, name, rate: r.rps, unit, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, note: serverNote(r, extra, cpuPerReq) };
}

export async function sessionFingerprint(ctx: Ctx, who: Ctx["s1"] = ctx.s1): Promise<string> {
  const sid = sidOf(who.cookie.slice(SESSION_COOKIE.length + 1));
  const { rows } = await ctx.db.pool.query("SELECT md5(sess::text) || ' ' || expire::text AS f FROM session WHERE sid = $1", [sid]);
  return String(rows[0]?.f ?? "missing");
}

export async function runS1(ctx: Ctx): Promise<Outcome> {
  const out: Outcome = { id: "S1", title: "home page, 20 notes", status: "ok", rows: [], targets: [], data: {} };
  const headers = { cookie: ctx.s1.cookie };
  const page = await ctx.s1.browser.get("/");
  const newest = escapeHtml(ctx.seed.noteTexts[ctx.seed.noteTexts.length - 1]);
  if (page.status !== 200) return { ...out, status: "failed", reason: `GET / as the S1 user answered ${page.status}` };
  if (!page.text.includes(newest)) return { ...out, status: "skipped", reason: "the home page does not list the user's notes (notes feature missing?)" };
  const cards = (page.text.match(/<article\b/g) ?? []).length;
  out.data.pageBytes = Buffer.byteLength(page.text);
  out.data.noteCards = cards;

  const load = (server = ctx.app, durationS = ctx.d.measureS, extra: Partial<Parameters<typeof runLoad>[0]> = {}) =>
    runLoad({ server, path: "/", headers, connections: S1_CONNECTIONS, durationS, expectStatus: 200, expectText: ctx.s1.username, ...extra });

  const before = await sessionFingerprint(ctx);
  if (ctx.d.warmS) await load(ctx.app, ctx.d.warmS);
  const app = await load();
  const sessionUntouched = before === (await sessionFingerprint(ctx));
  out.data.app = app;
  out.data.sessionRowUnchanged = sessionUntouched;
  out.rows.push(loadRow("S1", `GET / app, ${S1_CONNECTIONS} conn`, app, "req/s", [`${fmt.n(Number(out.data.pageBytes) / 1024, 1)} KB page`]));
  const targets: Target[] = [
    { scenario: "S1", what: "app p99 (32 connections)", target: "< 25 ms", actual: `${fmt.ms(app.latency.p99)} ms`, met: app.errors === 0 && app.latency.p99 < 25 },
    { scenario: "S1", what: "no session write on page views", target: "row unchanged", actual: sessionUntouched ? "unchanged" : "CHANGED", met: sessionUntouched },
    // Issue #21's per-page budget. Postgres's share is only the app's own when it runs on the server's CPU.
    { scenario: "S1", what: "app (Node) CPU per page", target: "<= 600 µs", actual: `${fmt.n(app.serverCpuUsPerReq)} µs`, met: app.serverCpuUsPerReq === undefined ? null : app.serverCpuUsPerReq <= 600 },
    {
      scenario: "S1", what: "Postgres CPU per page", target: "<= 250 µs",
      actual: `${fmt.n(app.pgCpuUsPerReq)} µs (Postgres ${ctx.pinning.postgres ?? "unpinned"})`,
      met: app.pgCpuUsPerReq === undefined ? null : app.pgCpuUsPerReq <= 250,
    },
  ];

  /** A comparison server, measured like the app: its page compared with the app's, warm-up, (profile,) load. */
  const measure = async (server: ServerProcess, name: string) => {
    const other = await fetch(server.url + "/", { headers }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const diff = other.status === 200 ? htmlDifference(page.text, other.text) : `${name} answered ${other.status}`;
    // Both pages side by side for `diff` when they drift apart.
    fs.writeFileSync(path.join(__dirname, "..", "results", "home-app.html"), page.text);
    fs.writeFileSync(path.join(__dirname, "..", "results", `home-${name}.html`), other.text);
    if (diff && ctx.round === 1) ctx.log(`WARNING: the ${name}'s page differs from the app's, so the ratio compares different work:\n${diff}`);
    if (ctx.d.warmS) await load(server, ctx.d.warmS);
    const profiling = ctx.profileDir && ctx.round === 1;
    if (profiling) await server.profileStart();
    const result = await load(server);
    if (profiling) await server.profileStop(path.join(ctx.profileDir!, `${name}-S1.cpuprofile`));
    return { result, diff };
  };

  // The raw baseline, on the same CPU, database and session, right after the app in every round: the two
  // numbers of a ratio come from the same minutes of this VM (whose speed drifts by up to ~1.5x), and in
  // later rounds both are warm (the app, with far more code to compile, gains more from it than the baseline).
  try {
    ctx.baseline ??= await ctx.startBaseline();
    const { result: base, diff } = await measure(ctx.baseline, "baseline");
    out.data.baselineHtmlMatches = diff === null;
    if (diff) out.data.baselineHtmlDifference = diff;
    out.data.baseline = base;
    out.rows.push(loadRow("S1", `GET / raw baseline, ${S1_CONNECTIONS} conn`, base, "req/s", [diff ? "HTML DIFFERS" : "same HTML"]));
    const ratio = app.rps / base.rps;
    out.data.ratio = ratio;
    targets.unshift({ scenario: "S1", what: "app / raw baseline req/s", target: ">= 50%", actual: `${fmt.pct(ratio)} (${fmt.n(app.rps)} / ${fmt.n(base.rps)})`, met: diff === null && app.errors === 0 && ratio >= 0.5 });
  } catch (err) {
    out.data.baselineError = String(err);
    ctx.log(`baseline failed: ${String(err)}`);
    targets.unshift({ scenario: "S1", what: "app / raw baseline req/s", target: ">= 50%", actual: `baseline failed: ${String(err).slice(0, 80)}`, met: null });
  }

  // --floor: the same page from the fixed stack with none of our code (bench/stack-floor.ts), measured the
  // same way: how close to the baseline any app on this stack can get.
  if (ctx.startFloor && ctx.floor !== null) {
    try {
      ctx.floor ??= await ctx.startFloor();
      const { result: floor, diff } = await measure(ctx.floor, "stack-floor");
      out.data.floor = floor;
      const base = out.data.baseline as LoadResult | undefined;
      out.rows.push(loadRow("S1", `GET / stack floor, ${S1_CONNECTIONS} conn`, floor, "req/s", [
        diff ? "HTML DIFFERS" : "same HTML",
        ...(base ? [`floor / baseline ${fmt.pct(floor.rps / base.rps)}`] : []),
        `app / floor ${fmt.pct(app.rps / floor.rps)}`,
      ]));
    } catch (err) {
      ctx.floor = null;
      ctx.log(`stack floor failed: ${String(err)}`);
    }
  }

  // The probe: GET / at a fixed rate. Its rate is fixed in round 1 so both rounds do the same work.
  if (!ctx.probe.rate) ctx.probe.rate = Math.max(10, Math.round((app.rps * PROBE_SHARE) / 10) * 10);
  const probe = await runProbe(ctx, ctx.d.measureS);
  ctx.probe.unloaded = probe;
  out.data.probeUnloaded = probe;
  out.rows.push(loadRow("S1", `probe: GET / at ${ctx.probe.rate}/s, unloaded`, probe));
  out.targets = targets;
  return out;
}

/** The unloaded probe reference, for scenarios run without S1 (--only S3): measured here if S1 did not. */
export async function ensureProbeReference(ctx: Ctx): Promise<LoadResult> {
  if (ctx.probe.unloaded) return ctx.probe.unloaded;
  const headers = { cookie: ctx.s1.cookie };
  if (!ctx.probe.rate) {
    const sat = await runLoad({ server: ctx.app, path: "/", headers, connections: S1_CONNECTIONS, durationS: Math.min(3, ctx.d.measureS), expectStatus: 200 });
    ctx.probe.rate = Math.max(10, Math.round((sat.rps * PROBE_SHARE) / 10) * 10);
  }
  ctx.probe.unloaded = await runProbe(ctx, ctx.d.measureS);
  return ctx.probe.unloaded;
}

/** The probe while something else loads the server; compared with the unloaded reference. */
export function runProbe(ctx: Ctx, durationS: number) {
  return runPaced({
    server: ctx.app, path: "/", headers: { cookie: ctx.s1.cookie }, connections: PROBE_CONNECTIONS, rate: ctx.probe.rate,
    durationS, expectStatus: 200, expectText: ctx.s1.username,
  });
}
