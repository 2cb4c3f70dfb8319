// The home page's template work alone, in one process: the real app (test helpers, a test database) serves one GET /
// of a user with 20 notes, its render context is kept, and notes/index.njk is rendered again from it by an
// environment configured as production's (compiled templates cached), in interleaved blocks; prints CPU µs per
// render (the fastest block, and the median). On a busy machine the CPU µs move with the neighbours and even with
// the folders' order; --callgrind's instruction counts are the steadier comparison.
//
//   DATABASE_URL=postgres://... node --expose-gc --import tsx bench/render-home.ts [--blocks 10] [--per-block 500] [--lang uk] [--views dirA,dirB]
//
// --views: template folders to compare (default: views/), each its own environment, blocks interleaved.
// --callgrind: counts instructions instead of CPU time (load-independent); run the script itself under
//   valgrind --tool=callgrind --instr-atstart=no --vgdb-prefix=/tmp/render-vg node --expose-gc --import tsx bench/render-home.ts --callgrind /tmp/render-vg
// and it switches counting on around each block with callgrind_control.
import { execFileSync } from "node:child_process";
import path from "node:path";
import nunjucks from "nunjucks";
import { registerFilters } from "../src/views";
import { startTestApp } from "../test/helpers/app";
import { loggedInAgent } from "../test/helpers/agent";
import { htmlDifference } from "./lib/html";
import { noteTexts } from "./lib/seed";

async function main() {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const vgdb = opt("callgrind", "");
  const blocks = Number(opt("blocks", vgdb ? "3" : "10"));
  const perBlock = Number(opt("per-block", vgdb ? "20" : "500"));
  const control = (...a: string[]) =>
    execFileSync("callgrind_control", [`--vgdb-prefix=${vgdb}`, ...a, String(process.pid)], { encoding: "utf8" });
  // The main thread's count: the template work runs there; V8's compiler and GC helper threads come and go.
  const instructions = () => Number(/^\s*Th\s+1\s+([\d,]+)/m.exec(control("-e"))?.[1].replace(/,/g, "") ?? NaN);
  const app = await startTestApp();
  try {
    const { agent, userId } = await loggedInAgent(app);
    await app.sql("UPDATE users SET email_verified_at = now(), locale = $2 WHERE id = $1", [userId, opt("lang", "en")]);
    await app.sql(
      `INSERT INTO notes (data, user_id, date, updated_at)
       SELECT t, $2, now() - make_interval(hours => (21 - i)::int), CASE WHEN i % 3 = 0 THEN now() - make_interval(mins => (21 - i)::int) END
       FROM unnest($1::text[]) WITH ORDINALITY AS x(t, i)`,
      [noteTexts(), userId],
    );
    let captured: { name: string; ctx: Record<string, unknown> } | undefined;
    const proto = nunjucks.Environment.prototype as unknown as { render: (...a: unknown[]) => unknown };
    const original = proto.render;
    proto.render = function (this: unknown, ...a: unknown[]) {
      if (a[0] === "notes/index.njk") captured = { name: a[0] as string, ctx: a[1] as Record<string, unknown> };
      return original.apply(this, a);
    };
    await agent.get("/");
    const res = await agent.get("/");
    proto.render = original;
    if (!captured || res.status !== 200) throw new Error(`no home page rendered (status ${res.status})`);
    const dirs = opt("views", path.join(__dirname, "..", "views")).split(",");
    const envs = dirs.map((dir) => {
      const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.resolve(dir), { noCache: false }), { autoescape: true, throwOnUndefined: false });
      registerFilters(env);
      return env;
    });
    const { name, ctx } = captured;
    if (process.env.SHOW_KEYS) console.log(Object.keys(ctx).join(" "));
    const times: number[][] = envs.map(() => []);
    let first: string | undefined;
    for (const [i, env] of envs.entries()) {
      const html = env.render(name, ctx);
      first ??= html;
      const same = htmlDifference(first, html);
      console.log(`${dirs[i]}: page ${(Buffer.byteLength(html) / 1024).toFixed(1)} KB (the app sent ${(Buffer.byteLength(res.text) / 1024).toFixed(1)} KB)${i ? `; against ${dirs[0]}: ${same ?? "same HTML"}` : ""}`);
      for (let k = 0; k < perBlock; k++) env.render(name, ctx);
    }
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let b = 0; b < blocks; b++) {
      // Each block starts after a full collection, and the order turns each round: no block pays for another's garbage or place.
      for (let j = 0; j < envs.length; j++) {
        const i = (j + b) % envs.length;
        const env = envs[i];
          gc?.();
        if (vgdb) {
          control("--instr=on");
          control("--zero");
          for (let k = 0; k < perBlock; k++) env.render(name, ctx);
          const ir = instructions();
          control("--instr=off");
          times[i].push(ir / perBlock);
          continue;
        }
        const c0 = process.cpuUsage();
        for (let k = 0; k < perBlock; k++) env.render(name, ctx);
        const c = process.cpuUsage(c0);
        times[i].push((c.user + c.system) / perBlock);
      }
    }
    for (const [i, t] of times.entries()) {
      t.sort((a, b) => a - b);
      const unit = vgdb ? "instructions" : "µs";
      console.log(`${dirs[i]}: fastest block ${Math.round(t[0]).toLocaleString("en")} ${unit}, median ${Math.round(t[Math.floor(t.length / 2)]).toLocaleString("en")} ${unit} per render (${blocks} x ${perBlock})`);
    }
  } finally {
    await app.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
