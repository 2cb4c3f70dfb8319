// Node's CPU time per home page (S1's GET / of the user with 20 notes), for A/B comparisons of checkouts on a busy
// machine, where req/s and latency say more about the neighbours than about the code. Each checkout's server runs
// as `npm run bench` starts it (node bin/start.js, NODE_ENV=production, compiled dist/, its own database seeded by
// its own bench/lib/seed.ts, the S1 user logged in through the login form); all of them stay up, and the rounds
// alternate between them, so a slow spell of the machine falls on every side alike. What is measured is the
// server's own CPU time (process.cpuUsage in the server, read by bench/probe.cjs) over a fixed number of requests,
// not how fast they came back.
//
//   npx tsx bench/page-cpu.ts --app ../before --app . [--rounds 5] [--requests 3000] [--connections 8]
//   npx tsx bench/page-cpu.ts --app . --callgrind   instructions per page under valgrind (load-independent, slow)
//   npx tsx bench/page-cpu.ts --profile <dir>       also a V8 CPU profile of each server's first measured round
//
// --callgrind runs each server under `valgrind --tool=callgrind` with collection off, switches it on with
// callgrind_control around the measured requests and reads the instruction count (Ir) of those requests alone.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createBenchDatabase, type BenchDatabase } from "./lib/db";
import { startServer, tail, type ServerProcess } from "./lib/proc";
import { freePort } from "../src/db/embedded";

/** valgrind names its control pipes after $HOST, which the servers get as their listening address. */
const VG_ENV = { ...process.env, HOST: "127.0.0.1" };

interface Args {
  apps: string[];
  rounds: number;
  requests: number;
  connections: number;
  callgrind: boolean;
  /** A V8 CPU profile of each server over its measured requests (round 1), written here. */
  profileDir?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { apps: [], rounds: 5, requests: 3000, connections: 8, callgrind: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => (arg.includes("=") ? arg.split("=").slice(1).join("=") : argv[++i]);
    if (arg.startsWith("--app")) a.apps.push(path.resolve(value()));
    else if (arg.startsWith("--rounds")) a.rounds = Number(value());
    else if (arg.startsWith("--requests")) a.requests = Number(value());
    else if (arg.startsWith("--connections")) a.connections = Number(value());
    else if (arg === "--callgrind") a.callgrind = true;
    else if (arg.startsWith("--profile")) a.profileDir = path.resolve(value());
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!a.apps.length) a.apps.push(path.resolve(__dirname, ".."));
  return a;
}

/** `count` GETs of `url`'s path over `connections` keep-alive connections; every answer must be 200 and name the user. */
async function hammer(url: string, cookie: string, expect: string, count: number, connections: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let sent = 0;
  let bytes = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.get(url, { agent, headers: { cookie } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          bytes = body.length;
          if (res.statusCode !== 200 || !body.includes(expect)) reject(new Error(`GET / answered ${res.statusCode}`));
          else resolve();
        });
      });
      req.on("error", reject);
    });
  const loop = async () => {
    while (sent < count) {
      sent++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  agent.destroy();
  return bytes;
}

interface Side {
  root: string;
  label: string;
  /** callgrind_control's option naming the server's vgdb pipes (--callgrind). */
  vgdb: string;
  db: BenchDatabase;
  server: ServerProcess;
  cookie: string;
  username: string;
  results: number[];
  pageBytes: number;
}

function label(root: string): string {
  try {
    return `${path.basename(root)}@${execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim()}`;
  } catch {
    return path.basename(root);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const log = (m: string) => console.log(`[page-cpu] ${m}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-page-cpu-"));
  const sides: Side[] = [];
  const cleanup = async () => {
    for (const s of sides) {
      await s.server.stop().catch(() => {});
      await s.db.drop().catch(() => {});
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    for (const [i, root] of args.apps.entries()) {
      if (!fs.existsSync(path.join(root, "dist", "src", "server.js"))) throw new Error(`${root}: no dist/ (npm run build there first)`);
      const db = await createBenchDatabase(log);
      const port = await freePort();
      const secret = crypto.randomBytes(32).toString("hex");
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: String(port),
        DATABASE_URL: db.url,
        SESSION_SECRET: secret,
        COOKIE_SECURE: "false",
        BCRYPT_COST: "12",
        DATA_DIR: path.join(tmp, `data${i}`),
        MEDIA_ROOT: path.join(tmp, `media${i}`),
        LOG_LEVEL: "info",
      };
      fs.mkdirSync(env.MEDIA_ROOT!, { recursive: true });
      const script = [path.join(root, "bin", "start.js")];
      const server = await startServer({
        name: `app${i}`,
        script,
        cwd: root,
        env,
        port,
        pinning: { enabled: false, serverCores: os.availableParallelism(), description: "" },
        logFile: path.join(tmp, `app${i}.log`),
        readyPath: "/readyz",
        readyTimeoutMs: args.callgrind ? 600_000 : 60_000,
        ...(args.callgrind ? { wrapper: ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--smc-check=all-non-file", `--vgdb-prefix=${tmp}/vgdb${i}`, `--callgrind-out-file=${tmp}/cg${i}.%p`] } : {}),
      });
      // The checkout's own seed: its schema and its notes.
      const seedModule = (await import(path.join(root, "bench", "lib", "seed.ts"))) as typeof import("./lib/seed");
      const seed = await seedModule.seedRows(db.pool, 10);
      const s1 = await seedModule.logInAs(server.url, seed.s1);
      // The first page after a login stores the session's CSRF token (a one-off write); measure what follows.
      await s1.browser.get("/");
      sides.push({ root, label: label(root), vgdb: `--vgdb-prefix=${tmp}/vgdb${i}`, db, server, cookie: s1.cookie, username: s1.username, results: [], pageBytes: 0 });
      log(`${label(root)}: server pid ${server.pid} on ${server.url}`);
    }
    // Warm-up: JIT and pools, not measured.
    for (const s of sides) await hammer(s.server.url + "/", s.cookie, s.username, 1000, args.connections);
    for (let round = 1; round <= args.rounds; round++) {
      for (const s of round % 2 ? sides : [...sides].reverse()) {
        if (args.callgrind) {
          execFileSync("callgrind_control", [s.vgdb, "--instr=on", String(s.server.pid)], { stdio: "ignore", env: VG_ENV });
          execFileSync("callgrind_control", [s.vgdb, "--zero", String(s.server.pid)], { stdio: "ignore", env: VG_ENV });
          s.pageBytes = await hammer(s.server.url + "/", s.cookie, s.username, args.requests, args.connections);
          // Every thread's count (the main thread, GC helpers, libuv's pool): "Th <n>  <Ir>" lines after "Totals:".
          const out = execFileSync("callgrind_control", [s.vgdb, "-e", String(s.server.pid)], { encoding: "utf8", env: VG_ENV });
          execFileSync("callgrind_control", [s.vgdb, "--instr=off", String(s.server.pid)], { stdio: "ignore", env: VG_ENV });
          const ir = [...out.matchAll(/^\s*Th\s+\d+\s+([\d,]+)/gm)].reduce((sum, m) => sum + Number(m[1].replace(/,/g, "")), 0);
          s.results.push(ir / args.requests);
          log(`round ${round} ${s.label}: ${Math.round(ir / args.requests).toLocaleString("en")} instructions per page`);
        } else {
          await s.server.reset();
          const profiling = args.profileDir && round === 1;
          if (profiling) await s.server.profileStart();
          s.pageBytes = await hammer(s.server.url + "/", s.cookie, s.username, args.requests, args.connections);
          const st = await s.server.stats();
          if (profiling) await s.server.profileStop(path.join(args.profileDir!, `${s.label.replace(/[^\w.@-]/g, "_")}.cpuprofile`));
          const us = (st.cpuMs * 1000) / args.requests;
          s.results.push(us);
          log(`round ${round} ${s.label}: ${us.toFixed(0)} µs CPU per page (GC ${st.gc.count} pauses ${st.gc.totalMs.toFixed(0)} ms)`);
        }
      }
    }
    const unit = args.callgrind ? "instructions" : "µs";
    console.log(`\nload average now: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; ${args.requests} requests per round, ${args.connections} connections`);
    for (const s of sides) {
      const sorted = [...s.results].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      console.log(`${s.label.padEnd(24)} median ${Math.round(median).toLocaleString("en")} ${unit} per page, min ${Math.round(sorted[0]).toLocaleString("en")}, all [${s.results.map((r) => Math.round(r)).join(", ")}], page ${(s.pageBytes / 1024).toFixed(1)} KB`);
    }
  } catch (err) {
    for (const s of sides) console.error(`${s.label}'s log ends:\n${tail(s.server.logFile, 20)}`);
    throw err;
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
