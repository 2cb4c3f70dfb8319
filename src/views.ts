// Nunjucks filters shared by all templates. None marks user data safe. Date filters print in the request's
// language and time zone (the `fmt` that src/i18n/middleware.ts puts in the template's context); a template
// rendered outside a request (a test, the bench's stack floor) gets English and UTC, named.
import nunjucks, { type Environment } from "nunjucks";
import { dateFormatter, type DateFormatter } from "./i18n/format";

type DateIn = Date | string | null | undefined;
const OUTSIDE_REQUEST = dateFormatter("en", "UTC", true);

function formatterOf(self: unknown): DateFormatter {
  return ((self as { ctx?: { fmt?: DateFormatter } })?.ctx?.fmt) ?? OUTSIDE_REQUEST;
}

/** The rows' dates are Date objects already: only strings (a JSON round trip) need a new one. */
const asDate = (d: Date | string): Date => (d instanceof Date ? d : new Date(d));

/**
 * The home page prints every note's ISO time in its <time datetime>, mostly the same notes again; kept per
 * millisecond value like the formatters' memo (bounded: cleared when it grows large).
 */
const ISO_MEMO_LIMIT = 5000;
const isoMemo = new Map<number, string>();
function isoString(d: Date): string {
  const ms = d.getTime();
  let text = isoMemo.get(ms);
  if (text === undefined) {
    text = d.toISOString();
    if (isoMemo.size >= ISO_MEMO_LIMIT) isoMemo.clear();
    isoMemo.set(ms, text);
  }
  return text;
}

export function registerFilters(env: Environment): void {
  env.addFilter("datetime", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).dateTime(asDate(d)) : "";
  });
  env.addFilter("day", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).day(asDate(d)) : "";
  });
  env.addFilter("time", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).time(asDate(d)) : "";
  });
  env.addFilter("reltime", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).relative(asDate(d)) : "";
  });
  env.addFilter("recent", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).recent(asDate(d)) : "";
  });
  env.addFilter("isodate", (d: DateIn) => (d ? isoString(asDate(d)) : ""));
  env.addFilter("initials", (name: string | null | undefined) => {
    const parts = String(name ?? "?").split(/[\s._-]+/).filter(Boolean);
    return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
  });
}

interface Frame {
  variables: Record<string, unknown>;
  resolve(name: string, forWrite?: boolean): Frame | undefined;
  set(name: string, value: unknown, resolveUp?: boolean): void;
}

/** The names a `{% for %}` loop sets on every pass, and the field of `loop` each one is. */
const LOOP_FIELDS = new Map(["index", "index0", "revindex", "revindex0", "first", "last", "length"].map((f) => [`loop.${f}`, f]));

/**
 * nunjucks' Frame.set splits every name on "." (for `loop.index`) before storing it: a new array per loop
 * variable, macro argument and {% set %}, some 300 on the home page, and the garbage to collect after them
 * (bench/README.md, "S1's Node cost after the feature work"). This stores the same values in the same places
 * without the split: plain names directly, the loop's seven names into `loop` as the original does, anything
 * else through the original. Installed once per process; the template tests render every page through it.
 */
export function installFrameFastPath(): void {
  const proto = (nunjucks as unknown as { runtime: { Frame: { prototype: Frame & { hromadaFast?: true } } } }).runtime.Frame.prototype;
  if (proto.hromadaFast) return;
  const original = proto.set;
  proto.set = function (this: Frame, name: string, value: unknown, resolveUp?: boolean): void {
    const field = LOOP_FIELDS.get(name);
    if (field === undefined && name.includes(".")) return original.call(this, name, value, resolveUp);
    const key = field === undefined ? name : "loop";
    let frame: Frame = this;
    if (resolveUp) frame = this.resolve(key, true) ?? this;
    if (field === undefined) {
      frame.variables[name] = value;
      return;
    }
    // As the original: an object under "loop" made on first use, then the field set on it.
    const loop = (frame.variables.loop ||= {}) as Record<string, unknown>;
    loop[field] = value;
  };
  proto.hromadaFast = true;
}
