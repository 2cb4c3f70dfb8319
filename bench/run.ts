// `npm run bench`: starts Hromada in production mode on a fresh database, seeds it, and measures the hot paths
// (S1 home page against a raw node:http baseline, S2 adding notes, S3 logins at bcrypt cost 12, S4 chat fan-out (S4M:
// the same with reactions and edits mixed in),
// S5 uploads, S6 a gallery page with its 20 thumbnails) plus memory across two identical rounds. Prints a table and writes bench/results/latest.json.
// Each round measures every target again; a target is met when it is met in more than half of the rounds.
//
//   npm run bench                      full run (about 5-6 minutes)
//   npm run bench -- --quick           2 s phases, one round, 200 chat members: a smoke test (about a minute)
//   npm run bench -- --only S1,S3      some scenarios only (MEM needs a full round: it runs when S1-S6 all do)
//   npm run bench -- --profile         V8 CPU profiles of the servers into bench/results/profiles/, summarised
//   npm run bench -- --rounds 5        five rounds (verdicts by majority; about 8 minutes); default 2 (1 with --quick)
//   npm run bench -- --app ../other     measure the app in another checkout (A/B of a change), same harness
//   npm run bench -- --members 1000    chat members for S4 (default 1000; 200 with --quick)
//   npm run bench -- --no-pin          no taskset pinning
//   npm run bench -- --floor           S1 also measures the stack floor (bench/stack-floor.ts): the fixed stack, none of our code
//   npm run bench -- --pin-postgres    the embedded Postgres on the server's CPU: app + database on one core, as the peer harness measures
//   npm run bench -- --pin-postgres=load  the embedded Postgres on the load generator's CPU instead (the server's CPU is its own)
//   npm run bench -- --log-level info  the app's LOG_LEVEL (default: info, as in production; logs go to a file)
//   npm run bench -- --media-direct    the app sends /media files itself (default: MEDIA_ACCEL_REDIRECT, as behind nginx)
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createBenchDatabase, postgresCpuMeter, postgresPids, settle, type BenchDatabase } from "./lib/db";
import { measurePostgresWith } from "./lib/load";
import { freePort } from "../src/db/embedded";
import { pinLoadGenerator, startServer, tail, type ProbeStats, type ServerProcess } from "./lib/proc";
import { combineRounds, fmt, rowsTable, table, targetsTable, type Outcome, type Target } from "./lib/report";
import { logInAs, mintSessions, seedGallery, seedRows } from "./lib/seed";
import { summarizeProfile } from "./profile";
import type { Ctx, Durations } from "./scenarios/context";
import { runS1 } from "./scenarios/s1-home";
import { runS2 } from "./scenarios/s2-add-note";
import { runS3 } from "./scenarios/s3-login";
import { runS4 } from "./scenarios/s4-chat";
import { runS4Mixed } from "./scenarios/s4-mixed";
import { runS5 } from "./scenarios/s5-upload";
import { runS6 } from "./scenarios/s6-gallery";

const ROOT = path.resolve(__dirname, "..");
const RESULTS = path.join(__dirname, "results");
const SCENARIOS: { id: string; run: (ctx: Ctx) => Promise<Outcome> }[] = [
  { id: "S1", run: runS1 },
  { id: "S2", run: runS2 },
  { id: "S3", run: runS3 },
  { id: "S4", run: runS4 },
  { id: "S4M", run: runS4Mixed },
  { id: "S5", run: runS5 },
  { id: "S6", run: runS6 },
];

interface Args {
  quick: boolean;
  only: Set<string>;
  profile: boolean;
  rounds: number;
  pin: boolean;
  /** Pin the embedded Postgres: "server" (on the server's CPU, equal terms with the peers), "load" (the load generator's), or not. */
  pinPostgres: "server" | "load" | false;
  logLevel: string;
  members: number;
  /** The checkout whose app is measured (default: this one). */
  appRoot: string;
  /** S1 also measures the stack floor (bench/stack-floor.ts). */
  floor: boolean;
  /** No MEDIA_ACCEL_REDIRECT: the app streams /media files itself, as without nginx. */
  mediaDirect: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, only: new Set(SCENARIOS.map((s) => s.id)), profile: false, rounds: 0, pin: true, pinPostgres: false, logLevel: "info", members: 0, appRoot: ROOT, floor: false, mediaDirect: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes("=") ? arg.split("=").slice(1).join("=") : argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === "--quick") a.quick = true;
    else if (arg === "--profile") a.profile = true;
    else if (arg === "--no-pin") a.pin = false;
    else if (arg === "--pin-postgres") a.pinPostgres = "server";
    else if (arg.startsWith("--pin-postgres=")) {
      const where = value();
      if (where !== "server" && where !== "load") throw new UsageError(`--pin-postgres=${where}: say server or load`);
      a.pinPostgres = where;
    }
    else if (arg === "--floor") a.floor = true;
    else if (arg === "--media-direct") a.mediaDirect = true;
    else if (arg.startsWith("--only")) {
      const ids = value().toUpperCase().split(",").map((s) => s.trim()).filter(Boolean);
      const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
      if (unknown.length) throw new UsageError(`--only: unknown scenario ${unknown.join(", ")} (known: ${SCENARIOS.map((s) => s.id).join(", ")})`);
      a.only = new Set(ids);
    } else if (arg.startsWith("--rounds")) a.rounds = Math.max(1, Math.min(5, Number(value()) || 1));
    else if (arg.startsWith("--log-level")) a.logLevel = value();
    else if (arg.startsWith("--app")) {
      a.appRoot = path.resolve(value());
      if (!fs.existsSync(path.join(a.appRoot, "bin", "start.js"))) throw new UsageError(`--app: no bin/start.js in ${a.appRoot}`);
    }
    else if (arg.startsWith("--members")) a.members = Math.max(10, Math.floor(Number(value()) / 5) * 5 || 1000);
    else if (arg === "--help" || arg === "-h") {
      console.log(fs.readFileSync(__filename, "utf8").split("\n").filter((l) => l.startsWith("//")).join("\n").replace(/^\/\/ ?/gm, ""));
      process.exit(0);
    } else throw new UsageError(`unknown argument ${arg} (try --help)`);
  }
  // A quick run is a smoke test of the harness: one round, 200 chat members, unless asked otherwise.
  a.rounds ||= a.quick ? 1 : 2;
  a.members ||= a.quick ? 200 : 1000;
  return a;
}

/** dist/ is stale when any TypeScript source under src/ or migrations/ is newer than the compiled server. */
function ensureBuild(log: (m: string) => void, root: string): string {
  const compiled = path.join(root, "dist", "src", "server.js");
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return Math.max(max, newest(p));
      return e.name.endsWith(".ts") ? Math.max(max, fs.statSync(p).mtimeMs) : max;
    }, 0);
  const sources = Math.max(newest(path.join(root, "src")), newest(path.join(root, "migrations")), fs.statSync(path.join(root, "tsconfig.json")).mtimeMs);
  const built = fs.existsSync(compiled) ? fs.statSync(compiled).mtimeMs : 0;
  if (built >= sources) return "dist/ up to date";
  log(built ? "dist/ is older than the sources: npm run build" : "no dist/: npm run build");
  const t0 = Date.now();
  const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm run build failed");
  return `built dist/ (${((Date.now() - t0) / 1000).toFixed(1)} s)`;
}

function gitCommit(root: string): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "views", "migrations"], { cwd: root, encoding: "utf8" }).trim();
    const where = root === ROOT ? "" : ` in ${root}`;
    return dirty ? `${sha}${where} (+ uncommitted changes in src/views/migrations)` : `${sha}${where}`;
  } catch {
    return "unknown";
  }
}

async function main() {
  const started = Date.now();
  const args = parseArgs(process.argv.slice(2));
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
  const log = (m: string) => console.log(`[bench ${elapsed()}] ${m}`);
  const d: Durations = args.quick ? { measureS: 2, warmS: 0.5, chatS: 2 } : { measureS: 10, warmS: 2, chatS: 10 };
  fs.mkdirSync(RESULTS, { recursive: true });
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-bench-"));
  const profileDir = args.profile ? path.join(RESULTS, "profiles", new Date().toISOString().replace(/[:.]/g, "-")) : undefined;

  const build = ensureBuild(log, args.appRoot);
  log(build);
  // The database first: an embedded Postgres started now is not bound to the load generator's CPU.
  let db: BenchDatabase | undefined;
  let app: ServerProcess | undefined;
  let baseline: ServerProcess | undefined;
  let floor: ServerProcess | undefined;
  const cleanup = async () => {
    await Promise.allSettled([app?.stop(), baseline?.stop(), floor?.stop()]);
    await db?.drop().catch(() => {});
    fs.rmSync(tmpDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => {
    console.error("\ninterrupted: stopping servers and dropping the database");
    void cleanup().then(() => process.exit(130));
  });

  try {
    db = await createBenchDatabase(log);
    log(db.description);
    const pinning = pinLoadGenerator(!args.pin);
    if (args.pinPostgres) {
      // Backends are forked by the postmaster later and inherit its CPU list.
      if (!pinning.enabled || !db.dataDir) {
        pinning.description += `; --pin-postgres${args.pinPostgres === "load" ? "=load" : ""} ignored (it needs taskset pinning and the embedded PostgreSQL: unset DATABASE_URL)`;
      } else {
        const cpu = args.pinPostgres === "server" ? pinning.serverCpu : pinning.loadCpu;
        const pids = postgresPids(db.dataDir);
        for (const pid of pids) execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
        pinning.description = pinning.description.replace(/; Postgres unpinned.*$/, "") +
          (args.pinPostgres === "server"
            ? `; Postgres (embedded, ${pids.length} processes and the backends they fork) pinned to CPU ${cpu} WITH THE SERVER (--pin-postgres: app + database on one core, the peer harness's terms)`
            : `; Postgres (embedded, ${pids.length} processes and the backends they fork) pinned to CPU ${cpu} with the load generator (--pin-postgres=load)`);
      }
    }
    pinning.postgres = !pinning.enabled ? "unpinned" : !args.pinPostgres || !db.dataDir ? "unpinned" : args.pinPostgres === "server" ? "server CPU" : "load generator CPU";
    const pgMeter = postgresCpuMeter(db);
    measurePostgresWith(pgMeter);
    if (pgMeter) pinning.description += `; ${pgMeter.description}`;
    log(pinning.description);

    const secret = crypto.randomBytes(32).toString("hex");
    const appPort = await freePort();
    const appEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(appPort),
      DATABASE_URL: db.url,
      SESSION_SECRET: secret,
      // Plain http on loopback: a Secure cookie would never come back.
      COOKIE_SECURE: "false",
      BCRYPT_COST: "12",
      DATA_DIR: path.join(tmpDir, "data"),
      MEDIA_ROOT: path.join(tmpDir, "media"),
      LOG_LEVEL: args.logLevel,
      // S4 measures fan-out, not the flood limit: one sender at a steady rate would trip the default 20 per 10 s.
      CHAT_MESSAGES_PER_10S: "10000",
      // As behind the compose stack's nginx: the app authorizes each /media request, nginx sends the bytes (S6).
      ...(args.mediaDirect ? {} : { MEDIA_ACCEL_REDIRECT: "/_protected_media/" }),
    };
    fs.mkdirSync(appEnv.MEDIA_ROOT!, { recursive: true });
    log(`starting the app (NODE_ENV=production, node bin/start.js, BCRYPT_COST=12, LOG_LEVEL=${args.logLevel}) on port ${appPort}`);
    app = await startServer({
      name: "app",
      script: [path.join(args.appRoot, "bin", "start.js")],
      cwd: args.appRoot,
      env: appEnv,
      port: appPort,
      pinning,
      logFile: path.join(RESULTS, "app.log"),
      readyPath: "/readyz",
    });

    log("seeding: users, 20 notes, chats; logging in over HTTP");
    const needMembers = args.only.has("S4") || args.only.has("S4M") ? args.members : 10;
    const seed = await seedRows(db.pool, needMembers);
    const [s1, s2, s5, sender, g] = await Promise.all([seed.s1, seed.s2, seed.s5, seed.sender, seed.g].map((u) => logInAs(app!.url, u)));
    if (args.only.has("S6")) await seedGallery(db.pool, seed.g, appEnv.MEDIA_ROOT!);
    // The first page after a login stores the session's CSRF token (a one-off write); measure what follows.
    await s1.browser.get("/");
    const memberCookies = await mintSessions(db.pool, sender, seed.members, secret);
    const check = await fetch(app.url + "/", { headers: { cookie: memberCookies.get(seed.members[0].id)! }, redirect: "manual" });
    if (check.status !== 200) throw new Error(`a copied session is not accepted by the app (GET / answered ${check.status})`);
    log(`seeded ${seed.members.length + 5} users, ${seed.smallChats.length + 1} chats, ${memberCookies.size + 4} sessions`);

    /** A comparison server for S1 (bench/<script>.ts), pinned like the app, on the same database and secret. */
    const startReference = async (script: string, what: string) => {
      const port = await freePort();
      log(`starting ${what} (bench/${script}.ts) on port ${port}`);
      return startServer({
        name: script,
        script: [path.join(__dirname, `${script}.ts`)],
        nodeFlags: ["--require", "tsx/cjs"],
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", PORT: String(port), DATABASE_URL: db!.url, SESSION_SECRET: secret },
        port,
        pinning,
        logFile: path.join(RESULTS, `${script}.log`),
      });
    };
    const ctx: Ctx = {
      quick: args.quick,
      round: 1,
      d,
      app,
      startBaseline: async () => (baseline = await startReference("baseline", "the raw baseline")),
      startFloor: args.floor ? async () => (floor = await startReference("stack-floor", "the stack floor")) : undefined,
      db,
      seed,
      secret,
      pinning,
      s1,
      s2,
      s5,
      g,
      sender,
      memberCookies,
      probe: { rate: 0, connections: 8 },
      log,
      tmpDir,
      profileDir,
    };

    const rounds: { round: number; outcomes: Outcome[]; memory?: Awaited<ReturnType<ServerProcess["gcStats"]>> }[] = [];
    const fullRound = SCENARIOS.every((s) => args.only.has(s.id));
    for (let round = 1; round <= args.rounds; round++) {
      ctx.round = round;
      const outcomes: Outcome[] = [];
      for (const s of SCENARIOS) {
        if (!args.only.has(s.id)) continue;
        log(`round ${round}: ${s.id}`);
        const t0 = Date.now();
        let o: Outcome;
        // --profile: one CPU profile per scenario (round 1), so each shows only its own work.
        const profiling = profileDir && round === 1;
        if (profiling) await app.profileStart();
        try {
          o = await s.run(ctx);
          if (profiling) await app.profileStop(path.join(profileDir, `app-${s.id}.cpuprofile`));
        } catch (err) {
          o = { id: s.id, title: "", status: "failed", reason: String((err as Error).stack ?? err).split("\n").slice(0, 3).join(" | "), rows: [], targets: [], data: {} };
          log(`${s.id} failed: ${String(err)}\n${tail(app.logFile, 5)}`);
        }
        o.elapsedS = (Date.now() - t0) / 1000;
        outcomes.push(o);
        log(await settle(db!.pool));
        if (o.status !== "ok") log(`${s.id} ${o.status}: ${o.reason}`);
        if (app.pid && (await Promise.race([app.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10))]))) {
          throw new Error(`the app exited during ${s.id}; last log lines:\n${tail(app.logFile)}`);
        }
      }
      const memory = await app.gcStats();
      log(`round ${round} done: ${memoryText(memory)}`);
      rounds.push({ round, outcomes, memory });
    }

    const targets: Target[] = combineRounds(rounds.map((r) => r.outcomes.flatMap((o) => o.targets)));
    let memoryGrowth: number | undefined;
    if (rounds.length >= 2 && fullRound) {
      // Two rounds: round 1 against round 2 (warm-up included, the strict reading). Three or more: the last
      // two, so the first round's warm-up (JIT, pools, caches filling) is not counted as growth.
      const rss = rounds.map((r) => appRss(r.memory!));
      const [ia, ib] = rounds.length >= 3 ? [rss.length - 2, rss.length - 1] : [0, 1];
      memoryGrowth = (rss[ib] - rss[ia]) / rss[ia];
      targets.push({
        scenario: "MEM", what: `RSS growth round ${ia + 1} -> ${ib + 1}`, target: "< 10%",
        actual: `${(memoryGrowth * 100).toFixed(1)}% (${fmt.mb(rss[ia])} -> ${fmt.mb(rss[ib])})${rss.length > 2 ? `; every round: ${rss.map((b) => fmt.mb(b)).join(", ")}` : ""}`,
        met: memoryGrowth < 0.1,
      });
    } else {
      targets.push({ scenario: "MEM", what: "RSS growth between rounds", target: "< 10%", actual: fullRound ? "one round only (--rounds 1)" : "needs all of S1-S6 (--only given)", met: null });
    }

    await Promise.allSettled([app.stop(), baseline?.stop(), floor?.stop()]);
    console.log("");
    console.log(`Hromada benchmark: ${new Date().toISOString()}, commit ${gitCommit(args.appRoot)}, node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}`);
    console.log(`${pinning.description}`);
    console.log(`${db.description}; ${build}; ${args.quick ? "QUICK run (2 s phases: smoke test only, not a measurement)" : `${d.measureS} s phases after ${d.warmS} s warm-up`}`);
    for (const r of rounds) {
      console.log(`\nRound ${r.round}${r.round > 1 ? " (identical repeat: spread and memory growth)" : ""}`);
      console.log(rowsTable(r.outcomes));
      if (r.memory) console.log(`after round ${r.round}: ${memoryText(r.memory)}`);
    }
    console.log(`\nTargets (issue #8)${rounds.length > 1 ? `, measured in each round (r1, r2, ...); MET when met in more than half of the ${rounds.length} rounds` : ""}:`);
    console.log(targetsTable(targets));
    const notes = rounds[0].outcomes.flatMap((o) => ((o.data.notes as string[] | undefined) ?? []).map((n) => `${o.id}: ${n}`));
    if (notes.length) console.log("\n" + notes.join("\n"));

    let profiles: unknown;
    if (profileDir && fs.existsSync(profileDir)) {
      profiles = fs.readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => {
        const summary = summarizeProfile(path.join(profileDir, f));
        console.log(`\nCPU profile ${path.relative(ROOT, path.join(profileDir, f))}:`);
        console.log(`${fmt.n(summary.totalMs / 1000, 1)} s profiled, ${fmt.n(summary.idlePct)}% idle; shares are of the busy time`);
        console.log(table(["self %", "self ms", "function", "where"], summary.top.slice(0, 20).map((t) => [t.pct.toFixed(1), fmt.n(t.ms), t.name, t.where]), [true, true]));
        console.log(table(["self %", "package / area (node internals and native work charged to the calling package)"], summary.byArea.slice(0, 12).map((t) => [t.pct.toFixed(1), t.area]), [true]));
        return { file: path.relative(ROOT, path.join(profileDir, f)), ...summary, top: summary.top.slice(0, 60) };
      });
    }

    const result = {
      date: new Date().toISOString(),
      commit: gitCommit(args.appRoot),
      node: process.version,
      cpu: `${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}`,
      quick: args.quick,
      durations: d,
      args: process.argv.slice(2),
      pinning,
      database: db.description,
      build,
      probe: { rate: ctx.probe.rate, connections: ctx.probe.connections },
      rounds,
      memoryGrowth,
      targets,
      profiles,
      elapsedS: (Date.now() - started) / 1000,
    };
    const file = path.join(RESULTS, "latest.json");
    fs.writeFileSync(file, JSON.stringify(result, null, 2));
    console.log(`\nWrote ${path.relative(ROOT, file)}; server logs in bench/results/app.log and baseline.log; total ${elapsed()}.`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof UsageError) {
      console.error(`npm run bench: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);

/** The app's memory: the server process plus its child processes (image workers), which exist for its uploads. */
function appRss(m: ProbeStats): number {
  return m.rss + (m.children?.rss ?? 0);
}

function memoryText(m: ProbeStats): string {
  const kids = m.children?.count ? ` + ${m.children.count} image worker(s) ${fmt.mb(m.children.rss)}` : "";
  return `app RSS ${fmt.mb(appRss(m))} (server ${fmt.mb(m.rss)}, heap used ${fmt.mb(m.heapUsed)}, after a full GC${kids})`;
}
