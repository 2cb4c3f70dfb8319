// Two-factor authentication pages: the second login step, and turning it on and off (with the recovery codes) from
// the account's security page; staff held to it when REQUIRE_STAFF_2FA is on.
import crypto from "node:crypto";
import { Router, type Request, type RequestHandler, type Response } from "express";
import type { AppDeps } from "../deps";
import type { Config } from "../config";
import { FieldError } from "../http/errors";
import { requireUser, safeReturnPath } from "../http/guards";
import { flash } from "../http/locals";
import { createPasswordChangeLimit, createTwoFactorLimits, tooMany } from "../http/rate-limit";
import { parseForm, type FieldErrors } from "../http/validate";
import { cookieLanguage } from "../i18n/middleware";
import { logIn } from "./auth.routes";
import { TooManyAttempts, type AuthService } from "./auth.service";
import { codeSchema, disableSchema } from "./two-factor.schemas";
import { checkSecondFactor, hasTwoFactor, type TwoFactorService } from "./two-factor.service";
import { User } from "./user.entity";

declare module "express-session" {
  interface SessionData {
    /** The password was right, the code is still to come: whose, until when (ms), the zone the login form sent, which password (passwordMark). */
    twoFactorLogin?: { userId: number; until: number; timeZone?: string; password: string };
    /** The secret the setup page shows, until a code from it turns two-factor authentication on. */
    twoFactorSetup?: string;
  }
}

/**
 * Stores the session now: express-session sends a response's headers before its own save ends, and a browser
 * following a redirect at once would read the session as it was (as passport does for req.login).
 */
function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

/** How long the code may take after the password: then the password is asked for again. */
export const PENDING_LOGIN_MS = 5 * 60_000;

/**
 * Which password the first step proved (a digest of its hash: nothing to guess a password from), so that a password
 * changed or reset before the code comes ends the step, as it ends every logged-in session.
 */
const passwordMark = (user: Pick<User, "passwordHash">) => crypto.createHash("sha256").update(user.passwordHash).digest("base64url");

/**
 * The right password for an account with two-factor authentication on: the session is NOT logged in, it only
 * remembers whose code to ask for (a fresh session id: the one before the password carries nothing into the step).
 * Where the person wanted to go is carried along, as logIn does.
 */
export async function startSecondStep(req: Request, user: User, timeZone: string | undefined): Promise<void> {
  const returnTo = safeReturnPath(req.session.returnTo) ?? safeReturnPath(req.query.next);
  await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  req.session.twoFactorLogin = { userId: user.id, until: Date.now() + PENDING_LOGIN_MS, password: passwordMark(user), ...(timeZone ? { timeZone } : {}) };
  if (returnTo) req.session.returnTo = returnTo;
  await saveSession(req);
}

/** With REQUIRE_STAFF_2FA, staff without two-factor authentication are sent to turn it on before the admin site. */
export function requireStaffTwoFactor(config: Config): RequestHandler {
  return (req, res, next) => {
    if (!config.requireStaff2fa || !req.user?.isStaff || hasTwoFactor(req.user)) return next();
    flash(req, "warning", "auth.two_factor.staff_required");
    res.redirect(303, "/account/two-factor");
  };
}

/** The recovery codes just made, shown this once (the flash said what was done). */
function showCodes(res: Response, codes: string[]): void {
  res.render("auth/two_factor_codes.njk", { codes });
}

interface PageErrors {
  enable?: FieldErrors;
  regenerate?: FieldErrors;
  disable?: FieldErrors;
}

export function createTwoFactorRouter(deps: AppDeps, auth: AuthService, twoFactor: TwoFactorService): Router {
  const { config, logger, redis } = deps;
  // Wrong codes, at login and on this page alike, count against the account and the address as failed logins do.
  const limits = createTwoFactorLimits(config, logger, redis);
  const passwordLimit = createPasswordChangeLimit(config, logger, redis);
  const router = Router();

  const pending = (req: Request) => {
    const p = req.session.twoFactorLogin;
    return p && p.until > Date.now() ? p : null;
  };
  const expired = (req: Request, res: Response) => {
    delete req.session.twoFactorLogin;
    flash(req, "info", "auth.two_factor.login.expired");
    res.redirect(303, "/login");
  };

  router.get("/login/two-factor", (req, res) => {
    if (req.user) return res.redirect(303, "/");
    if (!pending(req)) return expired(req, res);
    res.render("auth/two_factor_login.njk", { errors: {} });
  });

  router.post("/login/two-factor", async (req, res) => {
    const refuse = (errors: FieldErrors) => res.status(422).render("auth/two_factor_login.njk", { errors });
    const form = parseForm(codeSchema, req.body, req.t);
    if (!form.ok) return refuse(form.errors);
    if (req.user) return res.redirect(303, "/");
    const p = pending(req);
    if (!p) return expired(req, res);
    // Deactivated, deleted, or the password changed since the first step: start again (no code is spent).
    const user = await User.findForToken(p.userId);
    if (!user?.isActive || p.password !== passwordMark(user)) return expired(req, res);
    const keys = { ip: req.ip ?? "", account: `user:${p.userId}` };
    if (await limits.reached(keys)) return tooMany(req, res);
    const factor = await checkSecondFactor(p.userId, form.data.code);
    if (!factor) {
      if (await limits.fail(keys)) return tooMany(req, res);
      return refuse({ code: req.t("auth.two_factor.errors.code_wrong") });
    }
    // As at the password (AuthService.attemptLogin): guesses sent at once buy no more than the limit.
    if (await limits.reached(keys)) return tooMany(req, res);
    await limits.succeeded(keys);
    const to = await logIn(req, user);
    await auth.recordLogin(user.id, { locale: cookieLanguage(req), timeZone: p.timeZone });
    if (factor === "recovery") {
      await twoFactor.recordRecoveryLogin(user);
      flash(req, "warning", "auth.two_factor.login.recovery_used", { count: await twoFactor.remainingRecoveryCodes(user.id) });
    }
    res.redirect(303, to);
  });

  router.use("/account/two-factor", requireUser);

  /**
   * The page: while off, a button that starts the setup, then the setup itself (QR code, key, a code to confirm);
   * while on, new recovery codes and turning it off.
   */
  const page = async (req: Request, res: Response, status = 200, errors: PageErrors = {}) => {
    const user = req.user!;
    if (hasTwoFactor(user)) {
      const remaining = await twoFactor.remainingRecoveryCodes(user.id);
      return res.status(status).render("auth/two_factor.njk", { on: true, since: user.totpEnabledAt, remaining, errors });
    }
    const secret = req.session.twoFactorSetup;
    const setup = secret ? await twoFactor.setupView(secret, user.username) : null;
    res.status(status).render("auth/two_factor.njk", { on: false, setup, errors });
  };

  router.get("/account/two-factor", (req, res) => page(req, res));

  // A new key for the setup, kept in the session until a code confirms it: made by a POST, so the page itself
  // stores nothing and a reload shows the key already scanned.
  router.post("/account/two-factor/setup", async (req, res) => {
    if (!hasTwoFactor(req.user!)) req.session.twoFactorSetup = twoFactor.newSecret();
    await saveSession(req);
    res.redirect(303, "/account/two-factor");
  });

  router.post("/account/two-factor/enable", async (req, res) => {
    const form = parseForm(codeSchema, req.body, req.t);
    if (!form.ok) return page(req, res, 422, { enable: form.errors });
    const secret = req.session.twoFactorSetup;
    if (hasTwoFactor(req.user!) || !secret) return res.redirect(303, "/account/two-factor");
    // A wrong code here guesses only at the secret on the screen: nothing to limit. This session stays logged in;
    // the account's others end (see TwoFactorService.enable).
    const codes = await twoFactor.enable(req.user!, secret, form.data.code, { endSessionsBut: req.sessionID });
    if (!codes) return page(req, res, 422, { enable: { code: req.t("auth.two_factor.errors.setup_code_wrong") } });
    delete req.session.twoFactorSetup;
    flash(req, "success", "auth.two_factor.flash.enabled");
    showCodes(res, codes);
  });

  // The codes are shown only in the answer to the POST that made them: never stored (not even in the session), so
  // no later GET can show them, or has to write the session to forget them; the page is never cached (noStore). A
  // reload asks to send the form again, which a spent code refuses. This address, opened later, leads to the
  // two-factor page.
  router.get("/account/two-factor/recovery-codes", (_req, res) => res.redirect(303, "/account/two-factor"));

  router.post("/account/two-factor/recovery-codes", async (req, res) => {
    const form = parseForm(codeSchema, req.body, req.t);
    if (!form.ok) return page(req, res, 422, { regenerate: form.errors });
    if (!hasTwoFactor(req.user!)) return res.redirect(303, "/account/two-factor");
    const keys = { ip: req.ip ?? "", account: `user:${req.user!.id}` };
    if (await limits.reached(keys)) return tooMany(req, res);
    const codes = await twoFactor.regenerateRecoveryCodes(req.user!, form.data.code);
    if (!codes) {
      if (await limits.fail(keys)) return tooMany(req, res);
      return page(req, res, 422, { regenerate: { code: req.t("auth.two_factor.errors.code_wrong") } });
    }
    flash(req, "success", "auth.two_factor.flash.regenerated");
    showCodes(res, codes);
  });

  router.post("/account/two-factor/disable", async (req, res) => {
    const form = parseForm(disableSchema, req.body, req.t);
    if (!form.ok) return page(req, res, 422, { disable: form.errors });
    if (!hasTwoFactor(req.user!)) return res.redirect(303, "/account/two-factor");
    try {
      await auth.checkPassword(req.user!.id, form.data.current_password, passwordLimit);
    } catch (err) {
      if (err instanceof TooManyAttempts) return tooMany(req, res);
      if (err instanceof FieldError) return page(req, res, 422, { disable: { current_password: err.text(req.t) } });
      throw err;
    }
    const keys = { ip: req.ip ?? "", account: `user:${req.user!.id}` };
    if (await limits.reached(keys)) return tooMany(req, res);
    if (!(await twoFactor.disable(req.user!, form.data.code))) {
      if (await limits.fail(keys)) return tooMany(req, res);
      return page(req, res, 422, { disable: { code: req.t("auth.two_factor.errors.code_wrong") } });
    }
    flash(req, "success", "auth.two_factor.flash.disabled");
    res.redirect(303, "/account/two-factor");
  });

  return router;
}
