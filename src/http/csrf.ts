// CSRF protection for every state-changing request (synchronizer token kept in the session).
import { csrfSync } from "csrf-sync";
import type { Request, RequestHandler } from "express";

const isMultipart = (req: Request) => (req.headers["content-type"] ?? "").startsWith("multipart/form-data");

const { csrfSynchronisedProtection, generateToken } = csrfSync({
  size: 32,
  getTokenFromRequest: (req) => {
    const header = req.headers["x-csrf-token"];
    if (typeof header === "string") return header;
    // Multipart bodies are parsed only inside upload routes, after this check; upload forms carry the
    // token in their action URL so we can refuse a forged upload before a single byte is written to disk.
    if (isMultipart(req)) return typeof req.query._csrf === "string" ? req.query._csrf : undefined;
    const body = req.body as Record<string, unknown> | undefined;
    return typeof body?._csrf === "string" ? body._csrf : undefined;
  },
});

export { generateToken };

/**
 * The one opt-out: a visitor's (not logged in) language or colour-scheme switch, POST /language and POST /theme.
 * Each only sets the visitor's own cookie, so the worst a forged one can do is show a visitor the other language
 * or scheme; requiring a token there would make every anonymous page, 404s included, write a session row just to
 * hold one. A logged-in user's switch is saved on the account and needs the token like every other change.
 */
const VISITOR_SWITCHES = new Set(["/language", "/theme"]);
const isVisitorSwitch = (req: Request) => req.method === "POST" && VISITOR_SWITCHES.has(req.path) && !req.user;

export const csrfProtection: RequestHandler = (req, res, next) =>
  isVisitorSwitch(req) ? next() : csrfSynchronisedProtection(req, res, next);
