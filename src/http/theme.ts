// Light or dark: the colour scheme a page is rendered in. A logged-in user's saved choice, else the `theme`
// cookie the switch sets, else "auto" (the system's prefers-color-scheme, applied before the first paint by
// public/js/theme.js). A known choice is rendered into <html data-bs-theme>, so it needs no script at all.
import type { Request } from "express";

export const THEMES = ["auto", "light", "dark"] as const;
export type Theme = (typeof THEMES)[number];

export const THEME_COOKIE = "theme";
const COOKIE = new RegExp(`(?:^|;\\s*)${THEME_COOKIE}=(light|dark|auto)(?:;|$)`);

export const isTheme = (value: unknown): value is Theme => THEMES.includes(value as Theme);

/** The scheme this request is rendered in. */
export function themeOf(req: Request): Theme {
  const saved = req.user?.theme;
  if (saved === "light" || saved === "dark") return saved;
  const chosen = COOKIE.exec(req.headers.cookie ?? "")?.[1];
  return isTheme(chosen) ? chosen : "auto";
}
