// The navbar's language switch: the choice is saved on the account when logged in and in a cookie always, so it
// also holds after logging out, and a choice made while logged out is carried onto the account at login.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { LANGUAGES } from "../i18n";
import { LANGUAGE_COOKIE } from "../i18n/middleware";
import { HttpError } from "../http/errors";
import { safeReturnPath } from "../http/guards";
import { User } from "./user.entity";

const languageSchema = z.object({ lang: z.enum(LANGUAGES), next: z.string().optional() });

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

export function rememberLanguage(res: Response, lang: string, secure: boolean): void {
  res.cookie(LANGUAGE_COOKIE, lang, { maxAge: YEAR_MS, httpOnly: true, sameSite: "lax", secure, path: "/" });
}

export function createLanguageRouter({ config }: AppDeps): Router {
  const router = Router();

  router.post("/language", async (req: Request, res: Response) => {
    const parsed = languageSchema.safeParse(req.body ?? {});
    // Only a tampered form sends anything else: the buttons offer our languages.
    if (!parsed.success) throw new HttpError(422, "errors.bad_language");
    const { lang, next } = parsed.data;
    if (req.user) await User.savePreferences(req.user.id, { locale: lang });
    rememberLanguage(res, lang, config.cookieSecure);
    res.redirect(303, safeReturnPath(next) ?? "/");
  });

  return router;
}
