// Summarises a V8 .cpuprofile (from --cpu-prof): self time by function and by package/area.
// Also runnable on its own: `npx tsx bench/profile.ts bench/results/profiles/<run>/app-*.cpuprofile`.
import fs from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idlePct: number;
  top: { name: string; where: string; ms: number; pct: number }[];
  /** Time spent in a function and everything it called (each stack counted once per function). */
  inclusive: { name: string; where: string; ms: number; pct: number }[];
  /** Self time by package or area, with node-internal and native time charged to the JS package that called it. */
  byArea: { area: string; ms: number; pct: number }[];
}

/** Where a frame's code lives: a package, our own code (src/, bench/), node internals, or V8 itself. */
export function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith("(") ? name : "(native/V8)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const m = /\/(dist\/)?(src|bench|views|migrations)\/(.*)$/.exec(url);
  if (m) return `${m[2]}/${m[3].split("/")[0]}`;
  return path.basename(url);
}

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(dist\/)?(?=(src|bench|views|migrations)\/)/, "");
}

export function summarizeProfile(file: string): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const totalUs = p.endTime - p.startTime;
  for (const n of p.nodes) for (const c of n.children ?? []) byId.get(c)!.parent = n.id;
  /** The nearest frame up the stack that is JavaScript of a package or of ours (not node internals, not native). */
  const owner = (n: ProfileNode): ProfileNode => {
    const special = n.callFrame.functionName.startsWith("(");
    for (let m: ProfileNode | undefined = n; m && !special; m = m.parent === undefined ? undefined : byId.get(m.parent)) {
      const u = m.callFrame.url;
      if (u && !u.startsWith("node:")) return m;
    }
    return n;
  };
  // The observer's own work (bench/probe.cjs answering, and the profiler serialising itself at stop) is not
  // the server's: samples with the probe on their stack are left out.
  const probeMemo = new Map<number, boolean>();
  const underProbe = (id: number): boolean => {
    const known = probeMemo.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    const v = n.callFrame.url.endsWith("probe.cjs") || (n.parent !== undefined && underProbe(n.parent));
    probeMemo.set(id, v);
    return v;
  };
  for (const id of [...selfUs.keys()]) if (underProbe(id)) selfUs.delete(id);
  const fnTotals = new Map<string, { name: string; where: string; us: number }>();
  const areaTotals = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || "(anonymous)";
    if (name === "(idle)") {
      idleUs += us;
      continue;
    }
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : "";
    const key = `${name}@${where}`;
    const t = fnTotals.get(key) ?? { name, where, us: 0 };
    t.us += us;
    fnTotals.set(key, t);
    const o = owner(n);
    const area = areaOf(o.callFrame.url, o.callFrame.functionName || name);
    areaTotals.set(area, (areaTotals.get(area) ?? 0) + us);
  }
  const busyUs = Math.max(1, [...selfUs.values()].reduce((a, b) => a + b, 0) - idleUs);

  // Inclusive time: walk each sample's stack to the root, crediting every distinct function on it once.
  const keyOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    return `${functionName || "(anonymous)"}@${shortUrl(url)}${url ? `:${lineNumber + 1}` : ""}`;
  };
  const inclusiveUs = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    if (underProbe(p.samples[i])) continue;
    const seen = new Set<string>();
    for (let n = byId.get(p.samples[i]); n; n = n.parent === undefined ? undefined : byId.get(n.parent)) {
      const { functionName, url } = n.callFrame;
      if (!url || url.startsWith("node:")) continue; // runtime plumbing: every stack has it
      if (functionName === "(idle)" || functionName === "(program)") break;
      seen.add(keyOf(n));
    }
    for (const k of seen) inclusiveUs.set(k, (inclusiveUs.get(k) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  return {
    totalMs: totalUs / 1000,
    idlePct: (idleUs / totalUs) * 100,
    top: [...fnTotals.values()].sort((a, b) => b.us - a.us).map((t) => ({ name: t.name, where: t.where, ms: t.us / 1000, pct: (t.us / busyUs) * 100 })),
    inclusive: [...inclusiveUs].sort((a, b) => b[1] - a[1]).map(([k, us]) => {
      const at = k.indexOf("@");
      return { name: k.slice(0, at), where: k.slice(at + 1), ms: us / 1000, pct: (us / busyUs) * 100 };
    }),
    byArea: [...areaTotals].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: us / 1000, pct: (us / busyUs) * 100 })),
  };
}

if (require.main === module) {
  for (const f of process.argv.slice(2)) {
    const s = summarizeProfile(f);
    console.log(`${f}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${s.idlePct.toFixed(1)}% idle; shares below are of the busy time`);
    for (const t of s.top.slice(0, 40)) console.log(`${t.pct.toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(7)} ms  ${t.name}  ${t.where}`);
    console.log("\ninclusive (a function and what it calls):");
    for (const t of s.inclusive.slice(0, 40)) console.log(`${t.pct.toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(7)} ms  ${t.name}  ${t.where}`);
    console.log("");
    for (const a of s.byArea.slice(0, 25)) console.log(`${a.pct.toFixed(1).padStart(5)}%  ${a.area}`);
  }
}
