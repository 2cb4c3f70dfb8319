// Nunjucks filters shared by all templates. None marks user data safe.
import type { Environment } from "nunjucks";

const dateFmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export function registerFilters(env: Environment): void {
  env.addFilter("datetime", (d: Date | string | null | undefined) => (d ? dateFmt.format(new Date(d)) + " UTC" : ""));
  env.addFilter("isodate", (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : ""));
  env.addFilter("initials", (name: string | null | undefined) => {
    const parts = String(name ?? "?").split(/[\s._-]+/).filter(Boolean);
    return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
  });
}
