// Sign-up, login, logout.
import { Router, type NextFunction, type Request, type Response } from "express";
import type passport from "passport";
import type { AppDeps } from "../deps";
import type { AuthService } from "./auth.service";
import { FieldError } from "../http/errors";
import { safeReturnPath } from "../http/guards";
import { flash } from "../http/locals";
import { createRateLimits, tooMany } from "../http/rate-limit";
import { oldInput, parseForm } from "../http/validate";
import { cookieLanguage } from "../i18n/middleware";
import { loginSchema, signupSchema } from "./auth.schemas";
import { rememberLanguage } from "./language.routes";
import type { LoginRefusal } from "./passport";
import { startSecondStep } from "./two-factor.routes";
import { hasTwoFactor } from "./two-factor.service";
import type { User } from "./user.entity";

/** req.login regenerates the session id (no fixation) and loses what was in it; returnTo is carried over by hand. */
export function logIn(req: Request, user: User): Promise<string> {
  const returnTo = safeReturnPath(req.session.returnTo) ?? safeReturnPath(req.query.next) ?? "/";
  return new Promise((resolve, reject) => req.login(user, (err) => (err ? reject(err) : resolve(returnTo))));
}

export function createAuthRouter(deps: AppDeps, auth: AuthService, pp: passport.PassportStatic): Router {
  const { realtime } = deps;
  const limits = createRateLimits(deps.config, deps.redis);
  const router = Router();

  router.get("/signup", (req, res) => {
    if (req.user) return res.redirect(303, "/");
    res.render("auth/signup.njk", { values: {}, errors: {} });
  });

  router.post("/signup", limits.signup, async (req, res) => {
    const form = parseForm(signupSchema, req.body, req.t);
    const rerender = (errors: Record<string, string>) => res.status(422).render("auth/signup.njk", { values: oldInput(req.body), errors });
    if (!form.ok) return rerender(form.errors);
    try {
      // The language switched to before signing up (if any) and the browser's zone become the account's.
      const user = await auth.signup({ ...form.data, locale: cookieLanguage(req), timeZone: form.data.time_zone });
      const to = await logIn(req, user);
      flash(req, "success", "auth.flash.welcome", { username: user.username });
      res.redirect(303, to);
    } catch (err) {
      if (err instanceof FieldError) {
        res.locals.taken = true; // counted by the sign-up rate limit (a probe for who has an account)
        return rerender({ [err.field]: err.text(req.t) });
      }
      throw err;
    }
  });

  router.get("/login", (req, res) => {
    if (req.user) return res.redirect(303, "/");
    const next = safeReturnPath(req.query.next);
    if (next) req.session.returnTo = next;
    res.render("auth/login.njk", { values: {}, errors: {} });
  });

  router.post("/login", (req: Request, res: Response, next: NextFunction) => {
    const form = parseForm(loginSchema, req.body, req.t);
    const refuse = (errors: Record<string, string>) =>
      res.status(422).render("auth/login.njk", { values: oldInput(req.body), errors });
    if (!form.ok) return refuse(form.errors);
    req.body = { ...req.body, ...form.data };
    // The strategy counts only failed attempts, per address and per account (AuthService.attemptLogin).
    pp.authenticate("local", { session: false }, (err: unknown, user: User | false, refusal?: LoginRefusal) => {
      if (err) return next(err);
      if (!user) {
        if (refusal?.limited) return tooMany(req, res);
        // One message for unknown users, wrong passwords and deactivated accounts: nothing to enumerate.
        return refuse({ _form: req.t("auth.errors.bad_credentials") });
      }
      // Two-factor authentication on: the password only opens the second step (two-factor.routes.ts).
      if (hasTwoFactor(user)) {
        return startSecondStep(req, user, form.data.time_zone)
          .then(() => res.redirect(303, "/login/two-factor"))
          .catch(next);
      }
      logIn(req, user)
        .then(async (to) => {
          // A language switched to while logged out is what the person reads now: it becomes the account's.
          await auth.recordLogin(user.id, { locale: cookieLanguage(req), timeZone: form.data.time_zone });
          res.redirect(303, to);
        })
        .catch(next);
    })(req, res, next);
  });

  router.post("/logout", (req, res, next) => {
    const sid = req.sessionID;
    // The account's language stays with the browser, so the login page after this is in the same language.
    if (req.user?.locale && cookieLanguage(req) !== req.user.locale) rememberLanguage(res, req.user.locale, deps.config.cookieSecure);
    // passport's logout regenerates the session, which deletes the old row from the store.
    req.logout((err) => {
      if (err) return next(err);
      realtime.disconnectSessions([sid]);
      flash(req, "info", "auth.flash.logged_out");
      res.redirect(303, "/login");
    });
  });

  return router;
}
