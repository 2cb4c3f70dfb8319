// Sessions in Postgres (connect-pg-simple on the app's own pool), written only when they change.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import connectPgSimple from "connect-pg-simple";
import session from "express-session";
import type { Request, RequestHandler } from "express";
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

type Row = Record<string, unknown>;
const JOINED = new WeakMap<object, Row>();
const SESSION_ROW = Symbol("the session's row, with the user it points at");
type WithRow = Request & { [SESSION_ROW]?: Row };

/** The session's user id as SQL: the passport field of the stored JSON, when it is a plain number. */
const SESSION_USER_ID = `CASE WHEN session_row.sess -> 'passport' ->> 'user' ~ '^[0-9]{1,9}$' THEN (session_row.sess -> 'passport' ->> 'user')::int END`;

/**
 * `joinUser`: the per-request user lookup as a subquery on an id expression (User.activeLookup's joinedOn). Given it,
 * the store reads the session and the user it points at in one statement (one round trip instead of two on every
 * logged-in request), and `sessionUserRow` hands the user's columns to passport's deserializeUser, which stays the
 * only place a request gets its user.
 */
export function createSessionMiddleware({ config, pool, secret, joinUser }: { config: Config; pool: Pool; secret: string; joinUser?: (idExpr: string) => string }) {
  const PgStore = connectPgSimple(session);
  type StoreQuery = (sql: string, params: unknown[], cb: (err: Error | null, row?: Row) => void) => void;
  class SessionUserStore extends PgStore {
    private joinedSql?: string;

    override get(sid: string, fn: (err: unknown, sess?: session.SessionData | null) => void): void {
      if (!joinUser) return super.get(sid, fn);
      // Made on first use: the lookup's SQL comes from the entity metadata, ready once the database is open.
      this.joinedSql ??= prepared(
        "session_user_get",
        `SELECT session_row.sess, ${SESSION_USER_ID} AS session_user_id, joined_user.* FROM ${table} session_row ` +
          `LEFT JOIN LATERAL (${joinUser(SESSION_USER_ID)}) joined_user ON true ` +
          "WHERE session_row.sid = $1 AND session_row.expire >= to_timestamp($2)",
      );
      // connect-pg-simple's own query (its clock, its pool) and its handling of an unreadable row.
      (this as unknown as { query: StoreQuery }).query(this.joinedSql, [sid, Math.ceil(Date.now() / 1000)], (err, row) => {
        if (err) return fn(err);
        if (!row) return fn(null);
        let sess: session.SessionData;
        try {
          sess = typeof row.sess === "string" ? JSON.parse(row.sess) : (row.sess as session.SessionData);
        } catch {
          return this.destroy(sid, fn);
        }
        JOINED.set(sess, row);
        fn(null, sess);
      });
    }

    override createSession(req: Request, sess: session.SessionData): session.Session & Partial<session.SessionData> {
      const row = JOINED.get(sess);
      if (row) (req as WithRow)[SESSION_ROW] = row;
      return super.createSession(req, sess);
    }
  }
  const store = new SessionUserStore({
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

/**
 * The columns of the user this request's session pointed at when it was read (joinUser above), if it was read for
 * user `id`: undefined means "not read along, look the user up"; a row whose user columns are null means there is
 * no such active user.
 */
export function sessionUserRow(req: Request, id: number): Row | undefined {
  const row = (req as WithRow)[SESSION_ROW];
  return row && row.session_user_id === id ? row : undefined;
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
