// Nunjucks filters shared by all templates. None marks user data safe.
import type { Environment } from "nunjucks";
import { formatDateTime } from "./http/format";

export function registerFilters(env: Environment): void {
  env.addFilter("datetime", (d: Date | string | null | undefined) => (d ? formatDateTime(new Date(d)) : ""));
  env.addFilter("isodate", (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : ""));
  env.addFilter("initials", (name: string | null | undefined) => {
    const parts = String(name ?? "?").split(/[\s._-]+/).filter(Boolean);
    return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
  });
}
