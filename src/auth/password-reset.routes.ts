// "Forgot your password?": ask for a link, then choose a new password through it.
import { Router } from "express";
import type { AppDeps } from "../deps";
import { flash } from "../http/locals";
import { createPasswordResetLimits, tooMany } from "../http/rate-limit";
import { oldInput, parseForm } from "../http/validate";
import { passwordResetRequestSchema, passwordResetSchema } from "./auth.schemas";
import type { PasswordResetService } from "./password-reset.service";

export function createPasswordResetRouter(deps: AppDeps, resets: PasswordResetService): Router {
  const limits = createPasswordResetLimits(deps.config, deps.logger, deps.redis);
  const router = Router();

  router.get("/password/reset", (req, res) => {
    res.render("auth/password_reset_request.njk", { values: {}, errors: {} });
  });

  router.post("/password/reset", async (req, res) => {
    const form = parseForm(passwordResetRequestSchema, req.body, req.t);
    if (!form.ok) return res.status(422).render("auth/password_reset_request.njk", { values: oldInput(req.body), errors: form.errors });
    if (!(await limits.take(form.data.email, req.ip ?? ""))) return tooMany(req, res);
    // The same answer for every address, sent before anything about the address is looked up (see the service).
    resets.request(form.data.email);
    res.render("auth/password_reset_sent.njk");
  });

  router.get("/password/reset/:token", async (req, res) => {
    const user = await resets.userFor(req.params.token);
    // A page, not an error: opening an old link is an everyday thing (Django answers it the same way).
    if (!user) return res.render("auth/password_reset_invalid.njk");
    res.render("auth/password_reset_form.njk", { token: req.params.token, errors: {} });
  });

  router.post("/password/reset/:token", async (req, res) => {
    const user = await resets.userFor(req.params.token);
    if (!user) return res.status(400).render("auth/password_reset_invalid.njk");
    const form = parseForm(passwordResetSchema(user), req.body, req.t);
    if (!form.ok) return res.status(422).render("auth/password_reset_form.njk", { token: req.params.token, errors: form.errors });
    const done = await resets.reset(req.params.token, form.data.new_password);
    // Used meanwhile by another tab or request: the link is spent.
    if (!done) return res.status(400).render("auth/password_reset_invalid.njk");
    deps.realtime.disconnectUser(done.userId);
    deps.realtime.disconnectSessions(done.endedSessions);
    flash(req, "success", "auth.reset.done");
    res.redirect(303, "/login");
  });

  return router;
}
