// S5: uploading a 5-megapixel JPEG (2592x1944, about 2.3 MB, made here with sharp) to the gallery through its
// real multipart form, as fast as a few uploaders can, while the S1 probe measures the home page alongside.
import sharp from "sharp";
import { formsOf } from "../lib/http";
import { runLoad } from "../lib/load";
import { fmt, type Outcome } from "../lib/report";
import { ensureProbeReference, loadRow, runProbe } from "./s1-home";
import type { Ctx } from "./context";

let photo: Promise<Buffer> | undefined;

/** A photo-like 5 MP JPEG: gradients plus fine noise, so it compresses like a camera picture (not like a flat colour). */
export function fiveMegapixelJpeg(): Promise<Buffer> {
  photo ??= (() => {
    const w = 2592;
    const h = 1944;
    const raw = Buffer.alloc(w * h * 3);
    let seed = 12345;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const n = (seed >> 16) & 31;
        const i = (y * w + x) * 3;
        raw[i] = ((x * 255) / w + n) & 255;
        raw[i + 1] = ((y * 255) / h + n) & 255;
        raw[i + 2] = (((x ^ y) & 255) >> 1) + n;
      }
    }
    return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  })();
  return photo;
}

function multipart(field: string, filename: string, type: string, data: Buffer) {
  const boundary = `----hromadabench${Date.now().toString(16)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, data, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function runS5(ctx: Ctx): Promise<Outcome> {
  const out: Outcome = { id: "S5", title: "gallery upload", status: "ok", rows: [], targets: [], data: {} };
  const page = await ctx.s5.browser.get("/gallery");
  const form = formsOf(page.text).find((f) => f.enctype === "multipart/form-data" && /type="file"/.test(f.html) && f.action.startsWith("/gallery"));
  const field = form && /<input\b[^>]*type="file"[^>]*>/.exec(form.html)?.[0].match(/\bname="([^"]+)"/)?.[1];
  if (page.status !== 200 || !form || !field) {
    return { ...out, status: "skipped", reason: `no multipart upload form on GET /gallery (status ${page.status}): gallery feature missing?` };
  }
  if (!/[?&]_csrf=/.test(form.action)) return { ...out, status: "failed", reason: `upload form action has no _csrf parameter: ${form.action}` };
  const jpeg = await fiveMegapixelJpeg();
  const { body, contentType } = multipart(field, "holiday.jpg", "image/jpeg", jpeg);
  out.data.photo = { width: 2592, height: 1944, bytes: jpeg.length };

  const probeRef = await ensureProbeReference(ctx);
  const count = async () => Number((await ctx.db.pool.query("SELECT count(*) AS n FROM images WHERE owner_id = $1", [ctx.seed.s5.id])).rows[0].n);
  const before = await count();
  const uploaders = ctx.pinning.serverCores * 2 + 2;
  const uploads = runLoad({
    server: ctx.app,
    path: form.action,
    method: "POST",
    headers: { cookie: ctx.s5.cookie, "content-type": contentType },
    body,
    connections: uploaders,
    durationS: ctx.d.measureS,
    expectStatus: 303,
    noProbe: true,
  });
  const probe = await runProbe(ctx, ctx.d.measureS);
  const up = await uploads;
  const stored = (await count()) - before;
  const acked = up.statuses[303] ?? 0;
  // The probe's requests cost what they cost unloaded; the rest of the server's CPU time went to uploads.
  // The encoding itself runs in the server's child processes (image workers): their CPU is counted apart.
  const uploadCpuMs = probe.server
    ? (probe.server.cpuMs - ((probeRef.serverCpuUsPerReq ?? 0) * probe.requests) / 1000) / Math.max(1, acked)
    : undefined;
  const workers = probe.server?.children;
  const workerCpuMs = workers ? workers.cpuMs / Math.max(1, acked) : undefined;
  out.data.uploads = up;
  out.data.uploadCpuMs = uploadCpuMs;
  out.data.workerCpuMs = workerCpuMs;
  out.data.workers = workers;
  out.data.probe = probe;
  out.data.stored = stored;
  out.rows.push({
    ...loadRow("S5", `POST ${form.action.replace(/_csrf=[^&]*/, "_csrf=…")} 5 MP JPEG, ${uploaders} conn`, up, "uploads/s"),
    errors: up.errors + Math.max(0, acked - stored),
    note: `${fmt.n(jpeg.length / 1024 / 1024, 1)} MB each; ${stored} images stored for ${acked} acknowledged; ` +
      `CPU per upload: server ≈${fmt.n(uploadCpuMs, 0)} ms (the probe's share taken out)` +
      (workers ? ` + child processes ${fmt.n(workerCpuMs, 0)} ms (${workers.count} alive, RSS ${fmt.mb(workers.rss)})` : "") +
      (up.errorDetail ? `; ${up.errorDetail}` : ""),
  });
  const ratio = probe.latency.p99 / probeRef.latency.p99;
  out.rows.push(loadRow("S5", `probe GET / at ${ctx.probe.rate}/s during uploads`, probe, "req/s", [], false));
  out.rows[out.rows.length - 1].note += `; unloaded probe: p99 ${fmt.ms(probeRef.latency.p99)} ms, loop delay p99 ${fmt.ms(probeRef.server?.eld.p99)} ms`;
  out.targets.push({
    scenario: "S5", what: "S1 probe p99 during uploads", target: "<= 2x unloaded",
    actual: `${fmt.n(ratio, 2)}x (${fmt.ms(probe.latency.p99)} vs ${fmt.ms(probeRef.latency.p99)} ms; loop delay p99 ${fmt.ms(probe.server?.eld.p99)} ms; ${fmt.n(up.rps, 1)} uploads/s)`,
    met: probe.errors === 0 && up.errors === 0 && acked > 0 && ratio <= 2,
  });
  // The next round starts from the same state (the files stay in the run's temporary MEDIA_ROOT).
  await ctx.db.pool.query("DELETE FROM images WHERE owner_id = $1", [ctx.seed.s5.id]);
  return out;
}
