// Rate limits for the endpoints a brute-forcer or spammer hits: login (per IP and per account) and sign-up.
// With REDIS_URL the counters live in Redis, so the limits hold across all app processes; otherwise in memory.
import { rateLimit, type Options } from "express-rate-limit";
import { RedisStore } from "rate-limit-redis";
import type { Request, Response } from "express";
import type { Config } from "../config";
import { redisKeys, type RedisClient } from "../realtime-adapter";

function tooMany(_req: Request, res: Response) {
  res.status(429).render("errors/error.njk", {
    status: 429,
    title: "Too many attempts",
    message: "Too many attempts. Please wait a few minutes and try again.",
  });
}

/** One store per limiter (express-rate-limit refuses to share one), each under its own key prefix. */
function sharedStore(config: Config, redis: RedisClient | undefined, name: string): Partial<Options> {
  if (!redis) return {};
  return {
    store: new RedisStore({
      sendCommand: (...args: string[]) => redis.sendCommand(args) as Promise<never>,
      prefix: redisKeys(config.redisKeyPrefix).rateLimit(name),
    }),
    // If Redis is briefly away, let the request through (the error is logged) rather than lock everyone out:
    // bcrypt's cost still slows guessing, and the counters resume when Redis does.
    passOnStoreError: true,
  };
}

export function createRateLimits(config: Config, redis?: RedisClient) {
  const base: Partial<Options> = {
    windowMs: config.rateLimits.windowMs,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    handler: tooMany,
  };
  return {
    loginPerIp: rateLimit({ ...base, ...sharedStore(config, redis, "login-ip"), limit: config.rateLimits.login, skipSuccessfulRequests: true }),
    // Keyed by the account named in the form, so a botnet spreading over many IPs still gets a handful
    // of guesses per account. Unknown names count the same, so the limit reveals nothing.
    loginPerAccount: rateLimit({
      ...base,
      ...sharedStore(config, redis, "login-account"),
      limit: config.rateLimits.loginAccount,
      skipSuccessfulRequests: true,
      keyGenerator: (req) => `acct:${String((req.body as { login?: unknown })?.login ?? "").trim().toLowerCase().slice(0, 254)}`,
    }),
    // Typos in the form do not count; accounts made do, and so do refusals that say a username or email is
    // taken (res.locals.taken, set by the sign-up route): those answer "does this person have an account?".
    signup: rateLimit({
      ...base,
      ...sharedStore(config, redis, "signup"),
      limit: config.rateLimits.signup,
      skipFailedRequests: true,
      requestWasSuccessful: (_req, res) => res.statusCode < 400 || res.locals.taken === true,
    }),
  };
}

/**
 * The current-password check of the password-change form is a password guess too, by whoever holds a session (a
 * stolen one included): limited per account, as logins are. Failed changes count (a wrong current password, a
 * mistyped confirmation); successful ones do not.
 */
export function createPasswordChangeLimit(config: Config, redis?: RedisClient) {
  return rateLimit({
    windowMs: config.rateLimits.windowMs,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    handler: tooMany,
    ...sharedStore(config, redis, "password-change"),
    limit: config.rateLimits.loginAccount,
    skipSuccessfulRequests: true,
    keyGenerator: (req) => `user:${req.user?.id ?? 0}`,
  });
}

/**
 * "That email is taken" on the profile form tells a logged-in user who else has an account, as sign-up would:
 * those refusals are limited per account (SIGNUP_RATE_LIMIT per window); saved changes and typos do not count.
 */
export function createProfileLimit(config: Config, redis?: RedisClient) {
  return rateLimit({
    windowMs: config.rateLimits.windowMs,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    handler: tooMany,
    ...sharedStore(config, redis, "profile-taken"),
    limit: config.rateLimits.signup,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.locals.taken !== true,
    keyGenerator: (req) => `user:${req.user?.id ?? 0}`,
  });
}
