// Rate limits for the endpoints a brute-forcer or spammer hits: login (per IP and per account) and sign-up.
// With REDIS_URL the counters live in Redis, so the limits hold across all app processes; otherwise in memory.
import { rateLimit, type Options } from "express-rate-limit";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import { RedisStore } from "rate-limit-redis";
import type { Request, Response } from "express";
import type { Config } from "../config";
import { redisKeys, type RedisClient } from "../realtime-adapter";

export function tooMany(req: Request, res: Response) {
  res.status(429).render("errors/error.njk", {
    status: 429,
    title: req.t("errors.too_many_title"),
    message: req.t("errors.too_many_attempts"),
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

/**
 * Failed attempts per key within the window, counted only once an attempt has failed: attempts still in flight
 * never count, so many correct logins at once all get in (counting at the start and forgiving on success, as
 * express-rate-limit does, refused them while bcrypt ran). The caller asks `reached` before the expensive check and
 * calls `fail` after a wrong one. A store error lets the attempt through and is logged (see createLoginLimits).
 */
export class FailureLimit {
  constructor(
    private limiter: RateLimiterAbstract,
    private limit: number,
    private onStoreError: (err: unknown) => void,
  ) {}

  /** True when the key has used up its failures for this window. */
  async reached(key: string): Promise<boolean> {
    try {
      return ((await this.limiter.get(key))?.consumedPoints ?? 0) >= this.limit;
    } catch (err) {
      this.onStoreError(err);
      return false;
    }
  }

  /** Counts one failure; true when it went past the limit (it was in flight while the last allowed ones failed). */
  async fail(key: string): Promise<boolean> {
    try {
      return (await this.limiter.penalty(key, 1)).consumedPoints > this.limit;
    } catch (err) {
      this.onStoreError(err);
      return false;
    }
  }

  async forget(key: string): Promise<void> {
    try {
      await this.limiter.delete(key);
    } catch (err) {
      this.onStoreError(err);
    }
  }
}

function failureLimit(config: Config, redis: RedisClient | undefined, logger: Logger, name: string, limit: number) {
  const options = {
    keyPrefix: redisKeys(config.redisKeyPrefix).rateLimit(name).replace(/:$/, ""),
    points: limit,
    duration: Math.ceil(config.rateLimits.windowMs / 1000),
  };
  const limiter = redis
    ? // rejectIfRedisNotReady: while Redis is away a login must not wait on its counter.
      new RateLimiterRedis({ ...options, storeClient: redis, useRedisPackage: true, rejectIfRedisNotReady: true })
    : new RateLimiterMemory(options);
  // If Redis is briefly away, let the attempt through rather than lock everyone out: bcrypt's cost still slows
  // guessing, and the counters resume when Redis does.
  return new FailureLimit(limiter, limit, (err) =>
    logger.error({ err: err instanceof Error ? err.message : String(err), limiter: name }, "rate-limit store unavailable; attempt let through"),
  );
}

/** Who a login attempt counts against: the client's address and the account (or, for unknown names, the name). */
export interface LoginKeys {
  ip: string;
  account: string;
}

/** Failed logins per client IP (LOGIN_RATE_LIMIT) and per account (LOGIN_ACCOUNT_RATE_LIMIT). */
export class LoginLimits {
  constructor(private perIp: FailureLimit, private perAccount: FailureLimit) {}

  async reached(keys: LoginKeys): Promise<boolean> {
    const [ip, account] = await Promise.all([this.perIp.reached(keys.ip), this.perAccount.reached(keys.account)]);
    return ip || account;
  }

  /** Counts a failed attempt against both; true when either went past its limit. */
  async fail(keys: LoginKeys): Promise<boolean> {
    const [ip, account] = await Promise.all([this.perIp.fail(keys.ip), this.perAccount.fail(keys.account)]);
    return ip || account;
  }

  /**
   * The account's owner got in: their failures are forgiven (only the password opens this door). The address's are
   * not, or an attacker could wipe their address's count by logging in to an account of their own between guesses.
   */
  succeeded(keys: LoginKeys): Promise<void> {
    return this.perAccount.forget(keys.account);
  }
}

export function createLoginLimits(config: Config, logger: Logger, redis?: RedisClient): LoginLimits {
  return new LoginLimits(
    failureLimit(config, redis, logger, "login-ip", config.rateLimits.login),
    failureLimit(config, redis, logger, "login-account", config.rateLimits.loginAccount),
  );
}

export function createRateLimits(config: Config, redis?: RedisClient) {
  const base: Partial<Options> = {
    windowMs: config.rateLimits.windowMs,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    handler: tooMany,
  };
  return {
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
 * stolen one included): failed checks are limited per account (LOGIN_ACCOUNT_RATE_LIMIT), counted as failed logins
 * are. A form refused before the check (a weak new password, a mistyped confirmation) guesses nothing and does not
 * count.
 */
export function createPasswordChangeLimit(config: Config, logger: Logger, redis?: RedisClient): FailureLimit {
  return failureLimit(config, redis, logger, "password-change", config.rateLimits.loginAccount);
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

/**
 * The member picker's look-ups (/people.json), per account (PEOPLE_SUGGEST_PER_MINUTE): typing is a few a second at
 * most, a script walking every name is far more.
 */
export function createSuggestLimit(config: Config, redis?: RedisClient) {
  return rateLimit({
    windowMs: 60_000,
    limit: config.rateLimits.suggestPerMinute,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    ...sharedStore(config, redis, "people-suggest"),
    keyGenerator: (req) => `user:${req.user?.id ?? 0}`,
    handler: (req, res) => res.status(429).json({ error: req.t("errors.too_many_attempts") }),
  });
}

/**
 * Requests per key within the window, every request counted (not only failures): for forms that send mail or
 * answer the same whatever was typed, such as a password-reset request. A store error lets the request through.
 */
export class RequestLimit {
  constructor(
    private limiter: RateLimiterAbstract,
    private onStoreError: (err: unknown) => void,
  ) {}

  /** Counts one request against the key; false when it is over the limit. */
  async take(key: string): Promise<boolean> {
    try {
      await this.limiter.consume(key, 1);
      return true;
    } catch (err) {
      if (err instanceof Error) {
        this.onStoreError(err);
        return true;
      }
      return false; // a RateLimiterRes: the limit is used up
    }
  }
}

function requestLimit(config: Config, redis: RedisClient | undefined, logger: Logger, name: string, limit: number): RequestLimit {
  const options = {
    keyPrefix: redisKeys(config.redisKeyPrefix).rateLimit(name).replace(/:$/, ""),
    points: limit,
    duration: Math.ceil(config.rateLimits.windowMs / 1000),
  };
  const limiter = redis
    ? new RateLimiterRedis({ ...options, storeClient: redis, useRedisPackage: true, rejectIfRedisNotReady: true })
    : new RateLimiterMemory(options);
  return new RequestLimit(limiter, (err) =>
    logger.error({ err: err instanceof Error ? err.message : String(err), limiter: name }, "rate-limit store unavailable; request let through"),
  );
}

/**
 * Password-reset requests, per typed address (PASSWORD_RESET_RATE_LIMIT: nobody's inbox is flooded) and per client
 * IP (PASSWORD_RESET_IP_RATE_LIMIT). Counted by the address as typed whether or not it has an account, so a refusal
 * tells nothing about who has one.
 */
export function createPasswordResetLimits(config: Config, logger: Logger, redis?: RedisClient) {
  const perAddress = requestLimit(config, redis, logger, "reset-address", config.passwordResetLimits.perAddress);
  const perIp = requestLimit(config, redis, logger, "reset-ip", config.passwordResetLimits.perIp);
  return {
    async take(address: string, ip: string): Promise<boolean> {
      const [a, i] = await Promise.all([perAddress.take(address.trim().toLowerCase()), perIp.take(ip)]);
      return a && i;
    },
  };
}

/** Wrong codes at the second login step, per account and per IP, limited like failed logins (LOGIN_*_RATE_LIMIT). */
export function createTwoFactorLimits(config: Config, logger: Logger, redis?: RedisClient): LoginLimits {
  return new LoginLimits(
    failureLimit(config, redis, logger, "2fa-ip", config.rateLimits.login),
    failureLimit(config, redis, logger, "2fa-account", config.rateLimits.loginAccount),
  );
}

/**
 * "Download my data" requests per account (EXPORT_RATE_LIMIT per RATE_LIMIT_WINDOW_MINUTES): each one reads the
 * whole account, so a script asking again and again would load the database and disk for nothing. Downloading a
 * finished background export again is not a request and is not counted.
 */
export function createExportLimit(config: Config, logger: Logger, redis?: RedisClient): RequestLimit {
  return requestLimit(config, redis, logger, "export", config.rateLimits.export);
}
