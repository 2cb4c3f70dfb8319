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

export function registerFilters(env: Environment): void {
  env.addFilter("datetime", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).dateTime(new Date(d)) : "";
  });
  env.addFilter("day", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).day(new Date(d)) : "";
  });
  env.addFilter("time", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).time(new Date(d)) : "";
  });
  env.addFilter("reltime", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).relative(new Date(d)) : "";
  });
  env.addFilter("recent", function (this: unknown, d: DateIn) {
    return d ? formatterOf(this).recent(new Date(d)) : "";
  });
  env.addFilter("isodate", (d: DateIn) => (d ? new Date(d).toISOString() : ""));
  env.addFilter("initials", (name: string | null | undefined) => {
    const parts = String(name ?? "?").split(/[\s._-]+/).filter(Boolean);
    return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
  });
}
