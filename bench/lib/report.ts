// What a scenario returns, and how the run prints it: one table of measurements, then the targets.

export interface Row {
  scenario: string;
  name: string;
  rate?: number;
  unit?: string;
  p50?: number;
  p99?: number;
  errors?: number;
  /** Server-side and load-generator context: CPU per request, event-loop utilisation/delay, loadgen CPU. */
  note?: string;
}

export interface Target {
  scenario: string;
  what: string;
  target: string;
  actual: string;
  /** null: could not be evaluated (feature missing, or the measurement failed). */
  met: boolean | null;
}

export interface Outcome {
  id: string;
  title: string;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  rows: Row[];
  targets: Target[];
  /** Everything measured, for latest.json. */
  data: Record<string, unknown>;
  elapsedS?: number;
}

export const fmt = {
  n(v: number | undefined, digits = 0): string {
    if (v === undefined || Number.isNaN(v)) return "-";
    return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  },
  ms(v: number | undefined): string {
    if (v === undefined || Number.isNaN(v)) return "-";
    return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
  },
  pct(v: number | undefined): string {
    return v === undefined || Number.isNaN(v) ? "-" : `${Math.round(v * 100)}%`;
  },
  mb(bytes: number | undefined): string {
    return bytes === undefined ? "-" : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  },
};

function pad(s: string, w: number, right = false): string {
  return right ? s.padStart(w) : s.padEnd(w);
}

export function table(headers: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c ?? "", widths[i], rightAlign[i])).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function rowsTable(outcomes: Outcome[]): string {
  const rows: string[][] = [];
  for (const o of outcomes) {
    if (o.status !== "ok" && !o.rows.length) {
      rows.push([o.id, o.title, "", "", "", "", `${o.status}: ${o.reason ?? ""}`]);
      continue;
    }
    for (const r of o.rows) {
      rows.push([
        r.scenario,
        r.name,
        r.rate === undefined ? "-" : `${fmt.n(r.rate, r.rate < 100 ? 1 : 0)} ${r.unit ?? "req/s"}`,
        fmt.ms(r.p50),
        fmt.ms(r.p99),
        r.errors === undefined ? "-" : String(r.errors),
        r.note ?? "",
      ]);
    }
    if (o.status !== "ok") rows.push([o.id, "", "", "", "", "", `${o.status}: ${o.reason ?? ""}`]);
  }
  return table(["", "measurement", "rate", "p50 ms", "p99 ms", "errors", "notes"], rows, [false, false, true, true, true, true, false]);
}

export function targetsTable(targets: Target[]): string {
  const mark = (m: boolean | null) => (m === null ? "n/a" : m ? "MET" : "MISSED");
  return table(
    ["", "target", "wanted", "measured", ""],
    targets.map((t) => [t.scenario, t.what, t.target, t.actual, mark(t.met)]),
  );
}

/**
 * One verdict per target from every round's. On this VM identical rounds differ by 2-5x in the latency tails
 * (bench/README.md), so one round proves nothing either way: a target is met when it is met in more than half
 * of the rounds that could evaluate it (with two rounds: both), and every round's figure is shown.
 */
export function combineRounds(perRound: Target[][]): Target[] {
  if (perRound.length <= 1) return perRound[0] ?? [];
  const key = (t: Target) => `${t.scenario}\u0000${t.what}`;
  // A Map keeps first-seen order: the table lists targets as the scenarios produced them.
  const byKey = new Map<string, (Target | undefined)[]>();
  perRound.forEach((targets, i) => {
    for (const t of targets) {
      let each = byKey.get(key(t));
      if (!each) byKey.set(key(t), (each = Array(perRound.length).fill(undefined)));
      each[i] = t;
    }
  });
  return [...byKey.values()].map((each) => {
    const first = each.find((t) => t)!;
    const judged = each.filter((t): t is Target => t !== undefined && t.met !== null);
    const met = judged.length === 0 ? null : judged.filter((t) => t.met).length * 2 > judged.length;
    const actual = each.map((t, i) => `r${i + 1}: ${t ? t.actual : "-"}`).join("; ");
    return { ...first, actual, met };
  });
}
