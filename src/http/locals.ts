// Values every template sees: the current user, the CSRF token (lazily), flash messages, the path.
import type { Request, RequestHandler } from "express";
import { translateMessage, type TParams } from "../i18n";
import { generateToken } from "./csrf";

type FlashType = "success" | "danger" | "info" | "warning";

/**
 * A message for the next page: a translation key and its parameters (`flash(req, "success", "notes.added")`),
 * stored untranslated and translated when shown, so a language switch in between shows the new language.
 */
export function flash(req: Request, type: FlashType, message: string, params?: TParams): void {
  (req.session.flash ??= []).push(params ? { type, message, params } : { type, message });
}

/**
 * A redirect that carries a flash message waits for the session to be stored. express-session saves a
 * changed session on res.end but lets the 303's headers out first, so a browser can follow the redirect
 * and read the session before the message is in it (seen in Chromium under load). One place for every
 * route: handlers just flash() and redirect.
 */
export const saveBeforeRedirect: RequestHandler = (req, res, next) => {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = function (this: unknown, ...args: unknown[]) {
    if (!req.session?.flash?.length) return redirect(...args);
    req.session.save((err) => (err ? next(err) : redirect(...args)));
  } as typeof res.redirect;
  next();
};

export const templateLocals: RequestHandler = (req, res, next) => {
  res.locals.currentUser = req.user ?? null;
  res.locals.currentPath = req.path;
  // Where the language switch brings the reader back to.
  res.locals.currentUrl = req.originalUrl;
  // A function, so a page without a form creates no session just to hold a token.
  res.locals.csrfToken = () => generateToken(req);
  // Taken when the page renders, so a redirect in between does not swallow them.
  res.locals.takeFlashes = () => {
    const messages = req.session?.flash;
    if (!messages?.length) return [];
    delete req.session.flash;
    return messages.map((f) => ({ type: f.type, text: translateMessage(req.t, f.message, f.params) }));
  };
  next();
};
