// Nunjucks filters shared by all templates. None marks user data safe. Date filters print in the request's
// language and time zone (the `fmt` that src/i18n/middleware.ts puts in the template's context); a template
// rendered outside a request (a test, the bench's stack floor) gets English and UTC, named.
import type { Environment } from "nunjucks";
import { dateFormatter, type DateFormatter } from "./i18n/format";

type DateIn = Date | string | null | undefined;
const OUTSIDE_REQUEST = dateFormatter("en", "UTC", true);

function formatterOf(self: unknown): DateFormatter {
  return ((self as { ctx?: { fmt?: DateFormatter } })?.ctx?.fmt) ?? OUTSIDE_REQUEST;
}

/** The rows' dates are Date objects already: only strings (a JSON round trip) need a new one. */
const asDate = (d: Date | string): Date => (d instanceof Date ? d : new Date(d));

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
  env.addFilter("isodate", (d: DateIn) => (d ? asDate(d).toISOString() : ""));
  env.addFilter("initials", (name: string | null | undefined) => {
    const parts = String(name ?? "?").split(/[\s._-]+/).filter(Boolean);
    return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
  });
}
