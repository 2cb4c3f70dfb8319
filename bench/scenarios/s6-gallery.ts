// S6: a gallery page with 20 thumbnails, as a browser loads it: GET /gallery, then each thumbnail the page shows,
// every one authorized by the app (issue #18: one indexed lookup that reads the session itself, no session write).
// Then the thumbnails alone, which gives what one media request costs, and /healthz, the cost of any request at
// all in this app, so that what authorization adds per thumbnail can be read off (Node: media minus /healthz;
// Postgres: all of the media request's). The app runs with MEDIA_ACCEL_REDIRECT as behind the compose stack's
// nginx (the app says yes, nginx sends the bytes); --media-direct measures Node sending the files itself.
import { decodeEntities } from "../lib/http";
import { runLoad } from "../lib/load";
import { fmt, type Outcome } from "../lib/report";
import { GALLERY_PHOTOS } from "../lib/seed";
import { loadRow, sessionFingerprint } from "./s1-home";
import { S1_CONNECTIONS, type Ctx } from "./context";

export async function runS6(ctx: Ctx): Promise<Outcome> {
  const out: Outcome = { id: "S6", title: `gallery page, ${GALLERY_PHOTOS} thumbnails`, status: "ok", rows: [], targets: [], data: {} };
  const headers = { cookie: ctx.g.cookie };
  const page = await ctx.g.browser.get("/gallery");
  if (page.status !== 200) return { ...out, status: "failed", reason: `GET /gallery as the S6 user answered ${page.status}` };
  const thumbs = [...page.text.matchAll(/<img\b[^>]*\bsrc="(\/media\/[^"]+)"/g)].map((m) => decodeEntities(m[1]));
  if (thumbs.length !== GALLERY_PHOTOS) return { ...out, status: "skipped", reason: `the gallery page shows ${thumbs.length} /media images, not the ${GALLERY_PHOTOS} seeded` };
  // What is measured must be what it claims: the owner is let through, a visitor is not.
  const own = await fetch(ctx.app.url + thumbs[0], { headers });
  const anonymous = await fetch(ctx.app.url + thumbs[0]);
  await Promise.all([own.arrayBuffer(), anonymous.arrayBuffer()]);
  if (own.status !== 200 || anonymous.status !== 404) {
    return { ...out, status: "failed", reason: `a thumbnail answered ${own.status} to its owner and ${anonymous.status} to a visitor (want 200 and 404)` };
  }
  const accel = own.headers.get("x-accel-redirect") !== null;
  const how = accel ? "X-Accel-Redirect (nginx sends the bytes)" : "Node sends the file";

  const get = (path: string) => ({ method: "GET" as const, path, headers });
  const load = async (requests: ReturnType<typeof get>[]) => {
    const run = (durationS: number) => runLoad({ server: ctx.app, path: requests[0].path, requests, connections: S1_CONNECTIONS, durationS, expectStatus: 200 });
    if (ctx.d.warmS) await run(ctx.d.warmS);
    return run(ctx.d.measureS);
  };
  const perView = (us: number | undefined) => (us === undefined ? undefined : us * (GALLERY_PHOTOS + 1));

  const sessionBefore = await sessionFingerprint(ctx, ctx.g);
  const view = await load([get("/gallery"), ...thumbs.map(get)]);
  const media = await load(thumbs.map(get));
  const sessionUntouched = sessionBefore === (await sessionFingerprint(ctx, ctx.g));
  const floor = await load([get("/healthz")]);
  Object.assign(out.data, { view, media, floor, sessionRowUnchanged: sessionUntouched, accel, thumbnails: thumbs.length });

  const views = view.requests / (GALLERY_PHOTOS + 1);
  out.rows.push({
    ...loadRow("S6", `GET /gallery + ${GALLERY_PHOTOS} thumbnails, ${S1_CONNECTIONS} conn`, view, "views/s"),
    rate: views / view.durationS,
    note: `per view (page + ${GALLERY_PHOTOS} media requests): server ${fmt.n(perView(view.serverCpuUsPerReq))} µs and Postgres ` +
      `${fmt.n(perView(view.pgCpuUsPerReq))} µs CPU; p50/p99 of all ${GALLERY_PHOTOS + 1} requests; ${fmt.n(views)} views; ELU ${fmt.pct(view.server?.elu)}, loadgen CPU ${fmt.pct(view.loadGenCpu)}` +
      (view.errorDetail ? `, ${view.errorDetail}` : ""),
  });
  out.rows.push(loadRow("S6", `GET /media thumbnail, ${S1_CONNECTIONS} conn`, media, "req/s", [how]));
  out.rows.push(loadRow("S6", `GET /healthz (any request), ${S1_CONNECTIONS} conn`, floor, "req/s"));

  // What authorization adds to a request: its Node time above the bare request's, and all of its Postgres time.
  const nodeAuth = media.serverCpuUsPerReq !== undefined && floor.serverCpuUsPerReq !== undefined ? media.serverCpuUsPerReq - floor.serverCpuUsPerReq : undefined;
  out.data.authorizationUs = { node: nodeAuth, postgres: media.pgCpuUsPerReq };
  out.data.notes = [
    `media authorization per thumbnail: Node ${fmt.n(nodeAuth)} µs above a bare request (${fmt.n(media.serverCpuUsPerReq)} - ${fmt.n(floor.serverCpuUsPerReq)}), ` +
      `Postgres ${fmt.n(media.pgCpuUsPerReq)} µs (its one statement; test/gallery/media.test.ts holds it to one statement, index scans only, no write); ` +
      `the gallery page itself about ${fmt.n(view.serverCpuUsPerReq !== undefined && media.serverCpuUsPerReq !== undefined ? view.serverCpuUsPerReq * (GALLERY_PHOTOS + 1) - media.serverCpuUsPerReq * GALLERY_PHOTOS : undefined)} µs of Node per view; files: ${how}`,
  ];
  out.targets.push({ scenario: "S6", what: "no session write on gallery views and media requests", target: "row unchanged", actual: sessionUntouched ? "unchanged" : "CHANGED", met: sessionUntouched });
  out.targets.push({
    scenario: "S6", what: "every view and thumbnail answered", target: "0 errors",
    actual: `${view.errors + media.errors} errors`, met: view.errors + media.errors === 0,
  });
  return out;
}
