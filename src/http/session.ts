// Sessions in Postgres (connect-pg-simple on the app's own pool), written only when they change.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import connectPgSimple from "connect-pg-simple";
import session from "express-session";
import type { RequestHandler } from "express";
import type { Pool } from "pg";
import type { Config } from "../config";
import { prepared } from "../db/prepared";

declare module "express-session" {
  interface SessionData {
    returnTo?: string;
    /** Last time the expiry was pushed forward (ms); see slidingExpiry. */
    seenAt?: number;
    passport?: { user?: number };
  }
}

export const SESSION_COOKIE = "hromada.sid";

/**
 * In development a secret is generated once and kept under DATA_DIR, so sessions survive restarts
 * without the newcomer having to configure anything. Production refuses to start without one (config.ts).
 */
export function resolveSessionSecret(config: Config): string {
  if (config.sessionSecret) return config.sessionSecret;
  if (config.isProduction) throw new Error("SESSION_SECRET is required in production");
  const file = path.join(config.dataDir, "session-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const secret = crypto.randomBytes(32).toString("hex");
    fs.writeFileSync(file, secret + "\n", { mode: 0o600 });
    return secret;
  }
}

export function createSessionMiddleware({ config, pool, secret }: { config: Config; pool: Pool; secret: string }) {
  const PgStore = connectPgSimple(session);
  const store = new PgStore({
    pool,
    tableName: "session",
    createTableIfMissing: false, // the table comes from a migration
    // express-session would UPDATE the row on every request to slide its expiry; slidingExpiry
    // below does that at most once a day instead, so a plain page view writes nothing.
    disableTouch: true,
    pruneSessionInterval: config.env === "test" ? false : 15 * 60,
  });
  // The read of every request and the write of a changed session as prepared statements (src/db/prepared.ts),
  // in connect-pg-simple's own words: test/db/prepared.test.ts fails if its SQL changes and the names stop applying.
  const table = (store as unknown as { quotedTable(): string }).quotedTable();
  prepared("session_get", `SELECT sess FROM ${table} WHERE sid = $1 AND expire >= to_timestamp($2)`);
  prepared("session_set", `INSERT INTO ${table} (sess, expire, sid) SELECT $1, to_timestamp($2), $3 ON CONFLICT (sid) DO UPDATE SET sess=$1, expire=to_timestamp($2) RETURNING sid`);
  const middleware = session({
    name: SESSION_COOKIE,
    secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: config.trustProxy !== false ? true : undefined,
    cookie: {
      httpOnly: true,
      sameSite: "lax",
      secure: config.cookieSecure,
      maxAge: config.sessionMaxAgeMs,
    },
  });
  return { middleware, store };
}

const DAY = 24 * 3600 * 1000;

/** Pushes a logged-in session's expiry forward when it was last pushed more than a day ago. */
export const slidingExpiry: RequestHandler = (req, _res, next) => {
  const s = req.session;
  if (s?.passport?.user) {
    const now = Date.now();
    if (!s.seenAt || now - s.seenAt > DAY) s.seenAt = now;
  }
  next();
};
