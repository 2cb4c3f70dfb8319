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
import { loginSchema, PASSWORD_RULES, signupSchema, USERNAME_RULES } from "./auth.schemas";
import type { LoginRefusal } from "./passport";
import type { User } from "./user.entity";

const BAD_CREDENTIALS = "Wrong username/email or password.";

/** req.login regenerates the session id (no fixation) and loses what was in it; returnTo is carried over by hand. */
function logIn(req: Request, user: User): Promise<string> {
  const returnTo = safeReturnPath(req.session.returnTo) ?? safeReturnPath(req.query.next) ?? "/";
  return new Promise((resolve, reject) => req.login(user, (err) => (err ? reject(err) : resolve(returnTo))));
}

export function createAuthRouter(deps: AppDeps, auth: AuthService, pp: passport.PassportStatic): Router {
  const { realtime } = deps;
  const limits = createRateLimits(deps.config, deps.redis);
  const router = Router();
  const signupView = { usernameRules: USERNAME_RULES, passwordRules: PASSWORD_RULES };

  router.get("/signup", (req, res) => {
    if (req.user) return res.redirect(303, "/");
    res.render("auth/signup.njk", { ...signupView, values: {}, errors: {} });
  });

  router.post("/signup", limits.signup, async (req, res) => {
    const form = parseForm(signupSchema, req.body, req.t);
    const rerender = (errors: Record<string, string>) =>
      res.status(422).render("auth/signup.njk", { ...signupView, values: oldInput(req.body), errors });
    if (!form.ok) return rerender(form.errors);
    try {
      const user = await auth.signup(form.data);
      const to = await logIn(req, user);
      flash(req, "success", `Welcome to Hromada, ${user.username}!`);
      res.redirect(303, to);
    } catch (err) {
      if (err instanceof FieldError) {
        res.locals.taken = true; // counted by the sign-up rate limit (a probe for who has an account)
        return rerender({ [err.field]: err.message });
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
        return refuse({ _form: BAD_CREDENTIALS });
      }
      logIn(req, user)
        .then(async (to) => {
          await auth.recordLogin(user.id);
          res.redirect(303, to);
        })
        .catch(next);
    })(req, res, next);
  });

  router.post("/logout", (req, res, next) => {
    const sid = req.sessionID;
    // passport's logout regenerates the session, which deletes the old row from the store.
    req.logout((err) => {
      if (err) return next(err);
      realtime.disconnectSessions([sid]);
      flash(req, "info", "You have been logged out.");
      res.redirect(303, "/login");
    });
  });

  return router;
}
