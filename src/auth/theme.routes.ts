// The navbar's colour-scheme switch (light, dark, or the system's): saved on the account when logged in and in a
// cookie always, like the language switch, so it holds for visitors and after logging out.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { HttpError } from "../http/errors";
import { safeReturnPath } from "../http/guards";
import { THEME_COOKIE, THEMES } from "../http/theme";
import { User } from "./user.entity";

const themeSchema = z.object({ theme: z.enum(THEMES), next: z.string().optional() });

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

export function createThemeRouter({ config }: AppDeps): Router {
  const router = Router();

  router.post("/theme", async (req: Request, res: Response) => {
    const parsed = themeSchema.safeParse(req.body ?? {});
    // Only a tampered form sends anything else: the buttons offer the three schemes.
    if (!parsed.success) throw new HttpError(422, "errors.bad_theme");
    const { theme, next } = parsed.data;
    // "auto" is stored as null: the account follows the system, as a new one does.
    if (req.user) await User.savePreferences(req.user.id, { theme: theme === "auto" ? null : theme });
    res.cookie(THEME_COOKIE, theme, { maxAge: YEAR_MS, httpOnly: true, sameSite: "lax", secure: config.cookieSecure, path: "/" });
    res.redirect(303, safeReturnPath(next) ?? "/");
  });

  return router;
}
