// The stack floor for S1 (`npm run bench -- --floor`): what the fixed stack costs for the home page
// with none of Hromada's own code. Express 5, express-session with connect-pg-simple (the app's options: same
// cookie, secret and table, no touch), passport's session strategy with a deserializeUser that runs the
// baseline's user query through pg, and nunjucks rendering the app's own templates (views/, compiled once)
// from the baseline's notes query. Left out on purpose, because they are the app's choices rather than the
// stack's: request logging, helmet (the same headers are set from a constant, as the baseline
// does), CSRF middleware (the token is read from the session), body parsers, TypeORM.
// If this server is itself far below 50% of the raw baseline, no app built on the stack can reach it.
import path from "node:path";
import connectPgSimple from "connect-pg-simple";
import express from "express";
import session from "express-session";
import nunjucks from "nunjucks";
import passport from "passport";
import type { Pool } from "pg";
import { serveFromEnv } from "./lib/serve";
import { NOTE_MAX_CHARS, SEARCH_MAX_CHARS } from "../src/notes/notes.schemas";
import { NOTES_CLIENT_KEYS } from "../src/notes/notes.routes";
import { clientStrings } from "../src/i18n/client";
import { LANGUAGES, translator } from "../src/i18n";
import { dateFormatter } from "../src/i18n/format";
import { registerFilters } from "../src/views";
import { HEADERS, NOTES_SQL, USER_SQL, type NoteRow, type UserRow } from "./baseline";

const COOKIE = "hromada.sid";
const VIEWS = path.join(__dirname, "..", "views");

interface FloorUser {
  id: number;
  username: string;
  isStaff: boolean;
  unreadTotal: number;
  profilePicture: { thumbPath: string } | null;
  emailVerifiedAt: Date | null;
}

/**
 * `tokenOf` reads the CSRF token the page's form carries; by default the one the app stored in the session. The
 * peer harness's floor (bench/peer-floor.ts) passes the app's generateToken, since there the first page after a
 * login is the floor's and no app page has stored one yet.
 */
export function createFloorApp(
  pool: Pool,
  secret: string,
  tokenOf: (req: express.Request) => string = (req) => (req.session as unknown as { csrfToken?: string }).csrfToken ?? "",
): express.Express {
  const app = express();
  app.disable("x-powered-by");
  const env = nunjucks.configure(VIEWS, { autoescape: true, express: app, noCache: false });
  registerFilters(env);

  const PgStore = connectPgSimple(session);
  const store = new PgStore({ pool, tableName: "session", createTableIfMissing: false, disableTouch: true, pruneSessionInterval: false });
  const pp = new passport.Passport();
  pp.serializeUser((user, done) => done(null, (user as FloorUser).id));
  pp.deserializeUser((id: number, done) => {
    pool.query<UserRow>(USER_SQL, [id]).then(
      ({ rows: [u] }) =>
        // The few fields the templates read (the app's User entity is the declared type of req.user).
        done(null, (u ? { id: u.id, username: u.username, isStaff: u.is_staff, unreadTotal: u.unread_total, unreadMentionChats: u.unread_mention_chats, profilePicture: u.pp_thumb_path ? { thumbPath: u.pp_thumb_path } : null, emailVerifiedAt: u.email_verified_at } : false) as never),
      done,
    );
  });

  app.get("/healthz", (_req, res) => void res.send("ok"));
  app.use(session({
    name: COOKIE, secret, store, resave: false, saveUninitialized: false, rolling: false,
    cookie: { httpOnly: true, sameSite: "lax", secure: false, maxAge: 14 * 24 * 3600 * 1000 },
  }));
  app.use(pp.initialize());
  app.use(pp.session());
  app.get("/", (req, res, next) => {
    const user = req.user as FloorUser | undefined;
    if (!user) return res.redirect(303, "/login");
    pool.query<NoteRow>(NOTES_SQL, [user.id]).then(({ rows }) => {
      const token = tokenOf(req);
      res.set(HEADERS);
      res.render("notes/index.njk", {
        currentUser: user, currentPath: req.path, currentUrl: req.originalUrl, csrfToken: () => token, takeFlashes: () => [],
        lang: "en", languages: LANGUAGES, t: translator("en"), fmt: dateFormatter("en", "UTC", true),
        notes: rows.map((r) => ({ id: r.id, data: r.data, date: r.date, updatedAt: r.updated_at })),
        total: rows.length ? Number(rows[0].total) : 0,
        pagination: { page: 1, pages: 1, links: [] }, sort: "written",
        values: {}, errors: {},
        noteMaxChars: NOTE_MAX_CHARS, searchMaxChars: SEARCH_MAX_CHARS,
        clientKeys: NOTES_CLIENT_KEYS, clientStrings: (keys: readonly string[]) => clientStrings("en", keys),
      });
    }, next);
  });
  return app;
}

if (require.main === module) serveFromEnv("stack floor", createFloorApp);
