// S2: adding a note as a browser does it: POST the home page's form (with its CSRF token), then GET the page
// the 303 leads to (which also shows and clears the "Note added." flash, as a real visit would; without that
// GET the flash messages would pile up in the session and every later POST would rewrite a growing row).
import { csrfFrom, formsOf } from "../lib/http";
import { runLoad } from "../lib/load";
import { fmt, type Outcome } from "../lib/report";
import { loadRow, sessionFingerprint } from "./s1-home";
import { S1_CONNECTIONS, type Ctx } from "./context";

export async function runS2(ctx: Ctx): Promise<Outcome> {
  const out: Outcome = { id: "S2", title: "add a note", status: "ok", rows: [], targets: [], data: {} };
  const page = await ctx.s2.browser.get("/");
  const form = formsOf(page.text).find((f) => f.method === "post" && /<textarea\b/.test(f.html));
  const field = form && /<textarea\b[^>]*\bname="([^"]+)"/.exec(form.html)?.[1];
  const token = csrfFrom(page.text);
  if (page.status !== 200 || !form || !field || !token) {
    return { ...out, status: "skipped", reason: `no note form with a textarea and a CSRF field on GET / (status ${page.status})` };
  }
  const body = new URLSearchParams({ _csrf: token, [field]: "Bench note: bread, milk, coffee.\nAnd call the plumber." }).toString();
  const headers = { cookie: ctx.s2.cookie };
  const requests = [
    { method: "POST" as const, path: form.action, body, headers: { ...headers, "content-type": "application/x-www-form-urlencoded" } },
    { method: "GET" as const, path: "/", headers },
  ];
  const count = async () => Number((await ctx.db.pool.query("SELECT count(*) AS n FROM notes WHERE user_id = $1", [ctx.seed.s2.id])).rows[0].n);
  const reset = () => ctx.db.pool.query("DELETE FROM notes WHERE user_id = $1", [ctx.seed.s2.id]);
  const load = (durationS: number) =>
    runLoad({ server: ctx.app, path: "/", requests, connections: S1_CONNECTIONS, durationS, expectStatus: [303, 200] });

  await reset();
  if (ctx.d.warmS) {
    await load(ctx.d.warmS);
    await reset();
  }
  const sessionBefore = await sessionFingerprint(ctx, ctx.s2);
  const r = await load(ctx.d.measureS);
  const sessionUntouched = sessionBefore === (await sessionFingerprint(ctx, ctx.s2));
  const stored = await count();
  const posts = r.statuses[303] ?? 0;
  // Every acknowledged add (303) must be a row; a request cut off by the end of the run may have stored one too.
  const lost = Math.max(0, posts - stored);
  const notesPerS = posts / r.durationS;
  out.data.load = r;
  out.data.stored = stored;
  out.rows.push({
    ...loadRow("S2", `POST ${form.action} + GET /, ${S1_CONNECTIONS} conn`, r, "notes/s"),
    rate: notesPerS,
    p50: r.byStatus["303"]?.p50,
    p99: r.byStatus["303"]?.p99,
    errors: r.errors + lost,
    note: `p50/p99 are the POST's; the GET / after it: p99 ${fmt.ms(r.byStatus["200"]?.p99)} ms; ${stored} notes stored for ${posts} acknowledged, ` +
      `server ${fmt.n(r.server ? (r.server.cpuMs * 1000) / Math.max(1, posts) : undefined)} µs and Postgres ${fmt.n(r.pgCpuMs !== undefined ? (r.pgCpuMs * 1000) / Math.max(1, posts) : undefined)} µs CPU per add (POST+GET), ELU ${fmt.pct(r.server?.elu)}, loadgen CPU ${fmt.pct(r.loadGenCpu)}` +
      (r.errorDetail ? `, ${r.errorDetail}` : ""),
  });
  out.data.sessionRowUnchanged = sessionUntouched;
  // Flash messages travel in a signed cookie (src/http/flash.ts): adding a note writes the note, not the session.
  out.targets.push({ scenario: "S2", what: "no session write per added note", target: "row unchanged", actual: sessionUntouched ? "unchanged" : "CHANGED", met: sessionUntouched });
  // The next round starts from the same state.
  await reset();
  return out;
}
