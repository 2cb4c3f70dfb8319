// Values every template sees: the current user, the CSRF token (lazily), flash messages, the path.
import type { Request, RequestHandler } from "express";
import { generateToken } from "./csrf";

type FlashType = "success" | "danger" | "info" | "warning";

export function flash(req: Request, type: FlashType, message: string): void {
  (req.session.flash ??= []).push({ type, message });
}

export const templateLocals: RequestHandler = (req, res, next) => {
  res.locals.currentUser = req.user ?? null;
  res.locals.currentPath = req.path;
  // A function, so a page without a form creates no session just to hold a token.
  res.locals.csrfToken = () => generateToken(req);
  // Taken when the page renders, so a redirect in between does not swallow them.
  res.locals.takeFlashes = () => {
    const messages = req.session?.flash;
    if (!messages?.length) return [];
    delete req.session.flash;
    return messages;
  };
  next();
};
