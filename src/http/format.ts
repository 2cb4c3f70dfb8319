// Dates as the pages print them, in UTC: one module for the templates' filters and every presenter on the server.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"];
const twoDigits = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * "26 Nov 2026, 04:18 UTC": what Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short",
 * timeZone: "UTC" }) prints (September is "Sept" in en-GB), plus the zone. Built by hand because Intl's
 * format() costs about 5 µs a call and the home page shows up to 60 dates (bench/README.md); a test compares
 * the two over decades.
 */
export function formatDateTime(d: Date): string {
  return `${formatDay(d)}, ${formatTime(d)} UTC`;
}

/** "3 Mar 2026" (en-GB, UTC). */
export function formatDay(d: Date): string {
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** "3 Mar" (en-GB, UTC). */
export function formatShortDay(d: Date): string {
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** "04:18", 24-hour (UTC). */
export function formatTime(d: Date): string {
  return `${twoDigits(d.getUTCHours())}:${twoDigits(d.getUTCMinutes())}`;
}
