// Values every template sees: the current user, the CSRF token (lazily), flash messages, the path.
import type { RequestHandler } from "express";
import { generateToken } from "./csrf";
import { takeFlashes } from "./flash";
import { themeOf } from "./theme";

export { flash } from "./flash";

export const templateLocals: RequestHandler = (req, res, next) => {
  res.locals.currentUser = req.user ?? null;
  res.locals.currentPath = req.path;
  res.locals.theme = themeOf(req);
  // Where the language switch brings the reader back to.
  res.locals.currentUrl = req.originalUrl;
  // A function, so a page without a form creates no session just to hold a token.
  res.locals.csrfToken = () => generateToken(req);
  // Taken when the page renders, so a redirect in between does not swallow them.
  res.locals.takeFlashes = () => takeFlashes(req);
  next();
};
