// The only reader of process.env: every setting is parsed and validated here once, at start-up.
import path from "node:path";
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: int(0, 65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  DATABASE_POOL_SIZE: int(1, 100).default(10),
  DATA_DIR: z.string().min(1).default(".data"),
  EMBEDDED_PG_PORT: int(1024, 65535).default(54329),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SESSION_MAX_AGE_DAYS: int(1, 365).default(14),
  COOKIE_SECURE: bool.optional(),
  TRUST_PROXY: z.string().default("false"),
  BCRYPT_COST: int(4, 15).default(12),
  MEDIA_ROOT: z.string().min(1).default("media"),
  IMAGE_JOBS_PER_USER: int(1, 64).default(1),
  IMAGE_BACKLOG_PER_USER: int(1, 10_000).default(20),
  MEDIA_ACCEL_REDIRECT: z.string().regex(/^\/[A-Za-z0-9_\/-]*\/$/, "a path that starts and ends with / (nginx's internal location)").optional(),
  LOGIN_RATE_LIMIT: int(1, 100000).default(10),
  LOGIN_ACCOUNT_RATE_LIMIT: int(1, 100000).default(5),
  SIGNUP_RATE_LIMIT: int(1, 100000).default(5),
  RATE_LIMIT_WINDOW_MINUTES: int(1, 1440).default(15),
  CHAT_MESSAGES_PER_10S: int(1, 10000).default(20),
  PEOPLE_SUGGEST_PER_MINUTE: int(1, 100000).default(120),
  CHAT_EDIT_WINDOW_HOURS: int(0, 87600).default(48),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// URL").optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, "letters, digits and : _ . - only").default("hromada"),
  SHUTDOWN_DELAY_SECONDS: int(0, 120).default(0),
  SHUTDOWN_TIMEOUT_SECONDS: int(1, 600).default(25),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SMTP_URL: z
    .string()
    .refine(isSmtpUrl, "must be an smtp:// or smtps:// URL with a host, e.g. smtps://user:pass@mail.example.com:465")
    .optional(),
  MAIL_FROM: z.string().min(3).max(320).regex(/@/, "must hold an address, e.g. Hromada <no-reply@example.com>").default("Hromada <no-reply@localhost>"),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be an http(s):// URL, e.g. https://hromada.example.com" }).optional(),
  PASSWORD_RESET_TIMEOUT_MINUTES: int(5, 7 * 24 * 60).default(60),
  PASSWORD_RESET_RATE_LIMIT: int(1, 100000).default(3),
  PASSWORD_RESET_IP_RATE_LIMIT: int(1, 100000).default(10),
  UNVERIFIED_ACCOUNTS: z.enum(["everything", "no-password-reset", "read-only"]).default("no-password-reset"),
  REQUIRE_STAFF_2FA: bool.default(false),
  EXPORT_INLINE_LIMIT: int(0, 1_000_000).default(2000),
  EXPORT_LINK_HOURS: int(1, 24 * 30).default(48),
  EXPORT_RATE_LIMIT: int(1, 100000).default(5),
});

function isSmtpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "smtp:" || u.protocol === "smtps:") && u.hostname !== "";
  } catch {
    return false;
  }
}

export type RawEnv = z.input<typeof schema>;

/** Every environment variable the app reads (.env.example and docker-compose.yml are checked against it). */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof RawEnv)[];

/** The placeholder secret in .env.example: refused in production like a missing one. */
export const EXAMPLE_SESSION_SECRET = "change-me-to-at-least-32-random-characters";

export interface Config {
  env: "development" | "production" | "test";
  isProduction: boolean;
  host: string;
  port: number;
  databaseUrl?: string;
  databasePoolSize: number;
  dataDir: string;
  embeddedPgPort: number;
  sessionSecret?: string;
  sessionMaxAgeMs: number;
  cookieSecure: boolean;
  trustProxy: boolean | number | string;
  bcryptCost: number;
  mediaRoot: string;
  /**
   * Per person, in each process: images processed at once, and images accepted and not yet done (running or
   * waiting) before a further upload is refused with 429. See README, "Image processing".
   */
  imageLimits: { perUser: number; backlogPerUser: number };
  /** nginx's internal location for MEDIA_ROOT: /media answers an authorized request with X-Accel-Redirect to it. */
  mediaAccelRedirect?: string;
  rateLimits: {
    login: number;
    loginAccount: number;
    signup: number;
    windowMs: number;
    chatPer10s: number;
    /** The member picker's look-ups (/people.json) per account per minute. */
    suggestPerMinute: number;
    /** "Download my data" requests per account per window. */
    export: number;
  };
  /** How long after sending its author may still edit a chat message (0: never). */
  chatEditWindowMs: number;
  redisUrl?: string;
  /** Namespaces every Redis key and channel, so several deployments (or test runs) can share one Redis. */
  redisKeyPrefix: string;
  /** On SIGTERM, how long to keep serving (with /readyz at 503) before closing the listener, so a load balancer can stop routing here first. */
  shutdownDelayMs: number;
  /** Past this, shutdown gives up waiting for in-flight requests and exits 1. */
  shutdownTimeoutMs: number;
  logLevel: string;
  mail: {
    /** Unset: development and tests write each mail to DATA_DIR/outbox (listed at /dev/outbox); production queues it. */
    smtpUrl?: string;
    from: string;
  };
  /** Where links in mail point; without PUBLIC_URL, http://localhost:PORT (development). */
  publicUrl: string;
  passwordResetTimeoutMs: number;
  /** Reset requests per typed address and per client IP, per rate-limit window. */
  passwordResetLimits: { perAddress: number; perIp: number };
  /** What an account whose address is not confirmed may do (see README, "Email verification"). */
  unverifiedAccounts: "everything" | "no-password-reset" | "read-only";
  requireStaff2fa: boolean;
  /** An account with more items (notes, messages, photos) than this gets its export built in the background. */
  exportInlineLimit: number;
  exportLinkMs: number;
}

export class ConfigError extends Error {}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === "true") return true;
  if (value === "false" || value === "") return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // an address list or a named range such as "loopback", as Express understands it
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "not set", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === "production";
  if (isProduction && !e.SESSION_SECRET) {
    throw new ConfigError(
      "Invalid configuration:\n  SESSION_SECRET: required in production (at least 32 random characters, e.g. `openssl rand -hex 32`)",
    );
  }
  if (isProduction) {
    // Settings that work but would be unsafe on the internet: refused rather than warned about.
    const unsafe: string[] = [];
    if (e.SESSION_SECRET === EXAMPLE_SESSION_SECRET)
      unsafe.push("  SESSION_SECRET: is the placeholder from .env.example; generate one with `openssl rand -hex 32`");
    if (e.BCRYPT_COST < 10) unsafe.push("  BCRYPT_COST: at least 10 in production (12 recommended)");
    if (unsafe.length) throw new ConfigError(`Unsafe configuration for production:\n${unsafe.join("\n")}`);
  }
  return {
    env: e.NODE_ENV,
    isProduction,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: path.resolve(e.DATA_DIR),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    sessionSecret: e.SESSION_SECRET,
    sessionMaxAgeMs: e.SESSION_MAX_AGE_DAYS * 24 * 3600 * 1000,
    cookieSecure: e.COOKIE_SECURE ?? isProduction,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    bcryptCost: e.BCRYPT_COST,
    mediaRoot: path.resolve(e.MEDIA_ROOT),
    imageLimits: { perUser: e.IMAGE_JOBS_PER_USER, backlogPerUser: e.IMAGE_BACKLOG_PER_USER },
    mediaAccelRedirect: e.MEDIA_ACCEL_REDIRECT,
    rateLimits: {
      login: e.LOGIN_RATE_LIMIT,
      loginAccount: e.LOGIN_ACCOUNT_RATE_LIMIT,
      signup: e.SIGNUP_RATE_LIMIT,
      windowMs: e.RATE_LIMIT_WINDOW_MINUTES * 60_000,
      chatPer10s: e.CHAT_MESSAGES_PER_10S,
      suggestPerMinute: e.PEOPLE_SUGGEST_PER_MINUTE,
      export: e.EXPORT_RATE_LIMIT,
    },
    chatEditWindowMs: e.CHAT_EDIT_WINDOW_HOURS * 3600_000,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    shutdownDelayMs: e.SHUTDOWN_DELAY_SECONDS * 1000,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    passwordResetTimeoutMs: e.PASSWORD_RESET_TIMEOUT_MINUTES * 60_000,
    passwordResetLimits: { perAddress: e.PASSWORD_RESET_RATE_LIMIT, perIp: e.PASSWORD_RESET_IP_RATE_LIMIT },
    unverifiedAccounts: e.UNVERIFIED_ACCOUNTS,
    requireStaff2fa: e.REQUIRE_STAFF_2FA,
    exportInlineLimit: e.EXPORT_INLINE_LIMIT,
    exportLinkMs: e.EXPORT_LINK_HOURS * 3600_000,
  };
}

/**
 * The raw environment, for the management commands only: check-deploy diagnoses values loadConfig refuses,
 * and createsuperuser --no-input reads HROMADA_SUPERUSER_USERNAME / _EMAIL / _PASSWORD, which stay out of
 * Config so the running app never holds a password.
 */
export function commandEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}
