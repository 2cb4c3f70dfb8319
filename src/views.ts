// Nunjucks filters shared by all templates. None marks user data safe.
import type { Environment } from "nunjucks";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"];
const twoDigits = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * "26 Nov 2026, 04:18 UTC": what Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short",
 * timeZone: "UTC" }) prints (September is "Sept" in en-GB), plus the zone. Built by hand because Intl's
 * format() costs about 5 µs a call and the home page shows up to 60 dates (bench/README.md); a test compares
 * the two over decades.
 */
export function formatDateTime(d: Date): string {
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${twoDigits(d.getUTCHours())}:${twoDigits(d.getUTCMinutes())} UTC`;
}

export function registerFilters(env: Environment): void {
  env.addFilter("datetime", (d: Date | string | null | undefined) => (d ? formatDateTime(new Date(d)) : ""));
  env.addFilter("isodate", (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : ""));
  env.addFilter("initials", (name: string | null | undefined) => {
    const parts = String(name ?? "?").split(/[\s._-]+/).filter(Boolean);
    return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
  });
}
