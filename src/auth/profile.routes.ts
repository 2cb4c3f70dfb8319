// The logged-in user's own account: username, email and password.
import { Router } from "express";
import type { AppDeps } from "../deps";
import { FieldError } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { createPasswordChangeLimit, createProfileLimit, tooMany } from "../http/rate-limit";
import { oldInput, parseForm } from "../http/validate";
import { passwordChangeSchema, PASSWORD_RULES, profileSchema, USERNAME_RULES } from "./auth.schemas";
import { TooManyAttempts } from "./auth.service";

export function createProfileRouter({ auth, realtime, config, redis, logger }: AppDeps): Router {
  const router = Router();
  const passwordChangeLimit = createPasswordChangeLimit(config, logger, redis);
  const profileLimit = createProfileLimit(config, redis);
  router.use("/profile", requireUser);

  const view = (values: Record<string, string>, errors: Record<string, string> = {}, pwErrors: Record<string, string> = {}) => ({
    values,
    errors,
    pwErrors,
    usernameRules: USERNAME_RULES,
    passwordRules: PASSWORD_RULES,
  });

  router.get("/profile", (req, res) => {
    res.render("auth/profile.njk", view({ username: req.user!.username, email: req.user!.email }));
  });

  router.post("/profile", profileLimit, async (req, res) => {
    const form = parseForm(profileSchema, req.body);
    if (!form.ok) return res.status(422).render("auth/profile.njk", view(oldInput(req.body), form.errors));
    try {
      await auth.updateProfile(req.user!.id, form.data);
    } catch (err) {
      if (err instanceof FieldError) {
        res.locals.taken = true; // counted by profileLimit (a probe for who has an account)
        return res.status(422).render("auth/profile.njk", view(oldInput(req.body), { [err.field]: err.message }));
      }
      throw err;
    }
    flash(req, "success", "Your profile has been saved.");
    res.redirect(303, "/profile");
  });

  router.post("/profile/password", async (req, res) => {
    const values = { username: req.user!.username, email: req.user!.email };
    const form = parseForm(passwordChangeSchema(req.user!), req.body);
    if (!form.ok) return res.status(422).render("auth/profile.njk", view(values, {}, form.errors));
    try {
      await auth.checkPassword(req.user!.id, form.data.current_password, passwordChangeLimit);
    } catch (err) {
      if (err instanceof TooManyAttempts) return tooMany(req, res);
      if (err instanceof FieldError) return res.status(422).render("auth/profile.njk", view(values, {}, { [err.field]: err.message }));
      throw err;
    }
    // This session gets a new id first (req.login regenerates it, as at login): if the password is changed because
    // a cookie was stolen, a copy of this very cookie must stop working as well. Harmless if what follows fails.
    await new Promise<void>((resolve, reject) => req.login(req.user!, (err) => (err ? reject(err) : resolve())));
    // The new password and the end of every other session (a stolen cookie, a forgotten laptop) commit together.
    const ended = await auth.setPassword(req.user!.id, form.data.new_password, req.sessionID);
    realtime.disconnectSessions(ended);
    flash(req, "success", "Your password has been changed. Your other sessions have been logged out.");
    res.redirect(303, "/profile");
  });

  return router;
}
