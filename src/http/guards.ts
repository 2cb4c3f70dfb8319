// Who may enter: routers declare these; handlers never re-check.
import type { RequestHandler } from "express";
import { notFound } from "./errors";

/** Anonymous visitors are sent to the login page and brought back afterwards. */
export const requireUser: RequestHandler = (req, res, next) => {
  if (req.user) return next();
  if (req.method === "GET") req.session.returnTo = req.originalUrl;
  res.redirect(303, "/login");
};

/** Non-staff get a 404: the admin area's existence is not revealed. */
export const requireStaff: RequestHandler = (req, _res, next) => {
  if (req.user?.isStaff) return next();
  next(notFound());
};

/** Only same-site relative paths, so ?next= and returnTo cannot send people to another site. */
export function safeReturnPath(raw: unknown): string | null {
  if (typeof raw !== "string" || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return null;
  if (/[\r\n]/.test(raw) || raw.length > 2000) return null;
  return raw;
}
