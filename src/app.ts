// createApp builds the whole application (Express + socket.io on one http.Server) without listening:
// server.ts listens, tests build their own on their own database. Keep it that way: the boot stays predictable
// (config -> createApp -> listen -> ordered shutdown) and every test gets a whole app of its own.
import http from "node:http";
import path from "node:path";
import express from "express";
import nunjucks from "nunjucks";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { createAuthRouter } from "./auth/auth.routes";
import { AuthService } from "./auth/auth.service";
import { configurePassport } from "./auth/passport";
import { createLoginLimits } from "./http/rate-limit";
import { createLanguageRouter } from "./auth/language.routes";
import { createThemeRouter } from "./auth/theme.routes";
import { createProfileRouter } from "./auth/profile.routes";
import { User } from "./auth/user.entity";
import { createAdminRouter } from "./admin/admin.routes";
import { createChatAvatarRouter } from "./chat/chat-avatar.routes";
import { createChatPhotosRouter } from "./chat/chat-photos.routes";
import { createChatRouter } from "./chat/chat.routes";
import { CHAT_PHOTO_ACCESS } from "./chat/message.entity";
import { createChatMuteRouter } from "./chat/mute.routes";
import { registerChatSocket } from "./chat/chat.socket";
import { unreadMentionChatsSql, unreadTotalSql } from "./chat/unread";
import type { Config } from "./config";
import { poolOf } from "./db/data-source";
import type { AppDeps } from "./deps";
import { createGalleryRouter } from "./gallery/gallery.routes";
import { Image } from "./gallery/image.entity";
import { mediaHandler } from "./gallery/media.routes";
import { closeWhenDraining, createHealthRouter, type Lifecycle } from "./http/health";
import { csrfProtection } from "./http/csrf";
import { errorHandler, notFoundHandler } from "./http/errors";
import { flashes } from "./http/flash";
import { templateLocals } from "./http/locals";
import { requestLog } from "./http/request-log";
import { noStore, securityHeaders } from "./http/security";
import { createSessionMiddleware, sessionUserRow, slidingExpiry } from "./http/session";
import { createNotesRouter } from "./notes/notes.routes";
import { localize } from "./i18n/middleware";
import { createIo } from "./realtime";
import { Mailer } from "./mail/mailer";
import { TokenSigner } from "./auth/tokens";
import { PasswordResetService } from "./auth/password-reset.service";
import { createPasswordResetRouter } from "./auth/password-reset.routes";
import { EmailVerification } from "./auth/email-verification.service";
import { SessionsService } from "./auth/sessions.service";
import { TwoFactorService } from "./auth/two-factor.service";
import { createTwoFactorRouter, requireStaffTwoFactor } from "./auth/two-factor.routes";
import { createSessionsRouter } from "./auth/sessions.routes";
import { createEmailVerificationRouter, restrictUnverified } from "./auth/email-verification.routes";
import { createDevOutboxRouter } from "./mail/outbox.routes";
import { createAccountRouter } from "./account/account.routes";
import { ExportService } from "./account/export.service";
import { socketAdapter, type RedisClient } from "./realtime-adapter";
import { registerFilters } from "./views";

export const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? "../.." : "..");

export interface CreateAppOptions {
  config: Config;
  logger: Logger;
  ds: DataSource;
  sessionSecret: string;
  /** From connectRedis(): set when several processes must share socket.io rooms and rate limits. */
  redis?: RedisClient;
}

export function createApp({ config, logger, ds, sessionSecret, redis }: CreateAppOptions) {
  const pool = poolOf(ds);
  const mailer = new Mailer(config, logger, path.join(ROOT, "views"));
  const tokens = new TokenSigner(sessionSecret);
  const verification = new EmailVerification({ ds, mailer, tokens });
  const auth = new AuthService(ds, config.bcryptCost, verification);
  // The navbar's unread badge (and its "@") rides along with the per-request user lookup: no statement of its own. The lookup
  // itself rides along with the session read: a logged-in request costs one statement before its page's own.
  const findActive = User.activeLookup({ unreadTotal: unreadTotalSql, unreadMentionChats: unreadMentionChatsSql });
  const session = createSessionMiddleware({ config, pool, secret: sessionSecret, joinUser: findActive.joinedOn });
  const readAlong = (req: express.Request, id: number) => {
    const row = sessionUserRow(req, id);
    return row ? findActive.fromRow(row) : undefined;
  };
  const pp = configurePassport(auth, createLoginLimits(config, logger, redis), findActive, readAlong);
  const app = express();
  const server = http.createServer(app);
  const { io, realtime } = createIo({ server, sessionMiddleware: session.middleware, pp, slidingExpiry, adapter: socketAdapter(redis, config) });
  const deps: AppDeps = { config, logger, ds, pool, realtime, redis, mailer, tokens };
  const lifecycle: Lifecycle = { shuttingDown: false };
  const resets = new PasswordResetService(deps, (plain) => auth.hashPassword(plain));
  const sessions = new SessionsService(deps);
  const twoFactor = new TwoFactorService(deps);
  // Not `exports`: compiled to CommonJS, a local of that name hides the module's own and the server cannot start.
  const dataExports = new ExportService(deps);

  app.set("trust proxy", config.trustProxy);
  app.disable("x-powered-by");
  const env = nunjucks.configure(path.join(ROOT, "views"), {
    autoescape: true,
    express: app,
    noCache: !config.isProduction,
    throwOnUndefined: false,
  });
  registerFilters(env);
  app.set("view engine", "njk");

  // Health probes every few seconds would drown the log.
  app.use(requestLog(logger, { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" }));
  app.use(securityHeaders(config));
  app.use(closeWhenDraining(lifecycle));

  // Static files and health probes come before the session, so they never touch the database; /media reads the
  // session itself, inside its one authorizing statement.
  app.use("/static/bootstrap", express.static(path.join(ROOT, "node_modules/bootstrap/dist"), { maxAge: config.isProduction ? "7d" : 0, index: false }));
  // The chat's link finder, the same build the server uses (public/js/chat/text.js imports it).
  app.use("/static/vendor/linkifyjs", express.static(path.join(ROOT, "node_modules/linkifyjs/dist"), { maxAge: config.isProduction ? "7d" : 0, index: false }));
  // The icon font and its stylesheet, from the package as bootstrap is (font-src 'self' allows it).
  app.use("/static/icons", express.static(path.join(ROOT, "node_modules/bootstrap-icons/font"), { maxAge: config.isProduction ? "7d" : 0, index: false }));
  app.use("/static", express.static(path.join(ROOT, "public"), { maxAge: config.isProduction ? "1d" : 0, index: false }));
  app.use("/media", mediaHandler(config, sessionSecret, Image.mediaAccess(ds, [CHAT_PHOTO_ACCESS])));
  app.use(createHealthRouter(deps, lifecycle));
  app.use(noStore);

  // 256kb: a 10,000-character note of emoji is ~120kb once URL-encoded.
  app.use(express.urlencoded({ extended: false, limit: "256kb", parameterLimit: 100 }));
  app.use(express.json({ limit: "100kb" }));
  app.use(session.middleware);
  app.use(slidingExpiry);
  app.use(pp.initialize());
  app.use(pp.session());
  app.use(sessions.recordVisits());
  app.use(localize);
  app.use(csrfProtection);
  app.use(flashes({ secret: sessionSecret, secure: config.cookieSecure }));
  app.use(templateLocals);
  app.use(restrictUnverified(deps));

  // The home page's router first: GET / is the hottest request, and each router ahead of it would try every one of
  // its routes' paths on it (about forty path matches and nine router entries). No other router serves / or /notes.
  app.use(createNotesRouter(deps));
  app.use(createAuthRouter(deps, auth, pp));
  app.use(createPasswordResetRouter(deps, resets));
  app.use(createEmailVerificationRouter(deps, verification));
  app.use(createSessionsRouter(deps, sessions));
  app.use(createTwoFactorRouter(deps, auth, twoFactor));
  app.use(createLanguageRouter(deps));
  app.use(createThemeRouter(deps));
  app.use(createProfileRouter(deps, auth));
  app.use(createAccountRouter(deps, auth, dataExports));
  app.use(createChatRouter(deps, io));
  app.use(createChatAvatarRouter(deps));
  app.use(createChatPhotosRouter(deps, io));
  app.use(createChatMuteRouter(deps, io));
  app.use(createGalleryRouter(deps, io));
  app.use("/admin", requireStaffTwoFactor(config), createAdminRouter(deps, io));
  // Development only: in production /dev/outbox does not exist (404), like every unknown page.
  if (!config.isProduction) app.use("/dev/outbox", createDevOutboxRouter(deps));

  app.use(notFoundHandler);
  app.use(errorHandler({ logger, showDetails: !config.isProduction }));

  registerChatSocket(io, deps);

  return { app, server, io, deps, auth, lifecycle, mailer, resets, twoFactor, exports: dataExports, sessionStore: session.store };
}

export type HromadaApp = ReturnType<typeof createApp>;
