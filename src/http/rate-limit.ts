// Rate limits for the endpoints a brute-forcer or spammer hits: login (per IP and per account) and sign-up.
import { rateLimit, type Options } from "express-rate-limit";
import type { Request, Response } from "express";
import type { Config } from "../config";

function tooMany(_req: Request, res: Response) {
  res.status(429).render("errors/error.njk", {
    status: 429,
    title: "Too many attempts",
    message: "Too many attempts. Please wait a few minutes and try again.",
  });
}

export function createRateLimits(config: Config) {
  const base: Partial<Options> = {
    windowMs: config.rateLimits.windowMs,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    handler: tooMany,
  };
  return {
    loginPerIp: rateLimit({ ...base, limit: config.rateLimits.login, skipSuccessfulRequests: true }),
    // Keyed by the account named in the form, so a botnet spreading over many IPs still gets a handful
    // of guesses per account. Unknown names count the same, so the limit reveals nothing.
    loginPerAccount: rateLimit({
      ...base,
      limit: config.rateLimits.loginAccount,
      skipSuccessfulRequests: true,
      keyGenerator: (req) => `acct:${String((req.body as { login?: unknown })?.login ?? "").trim().toLowerCase().slice(0, 254)}`,
    }),
    signup: rateLimit({ ...base, limit: config.rateLimits.signup, skipFailedRequests: true }),
  };
}
