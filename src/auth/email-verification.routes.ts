// Confirming an email address through its mailed link, and asking for the link again.
import { Router, type RequestHandler } from "express";
import type { AppDeps } from "../deps";
import { HttpError } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { createPasswordResetLimits, tooMany } from "../http/rate-limit";
import type { EmailVerification } from "./email-verification.service";

export function createEmailVerificationRouter(deps: AppDeps, verification: EmailVerification): Router {
  // Each resend mails someone: limited like reset requests, per address and per IP.
  const limits = createPasswordResetLimits(deps.config, deps.logger, deps.redis);
  const router = Router();

  router.post("/account/email/resend", requireUser, async (req, res) => {
    if (!(await limits.take(req.user!.email, req.ip ?? ""))) return tooMany(req, res);
    const sent = await verification.resend(req.user!.id);
    flash(req, sent ? "info" : "success", sent ? "auth.verify.resent" : "auth.verify.already");
    res.redirect(303, "/profile");
  });

  // The link only shows a button: mail scanners that open links must not confirm an address on their own.
  router.get("/email/verify/:token", async (req, res) => {
    const user = await verification.userFor(req.params.token);
    if (!user) return res.render("auth/verify_email_invalid.njk");
    res.render("auth/verify_email.njk", { token: req.params.token, email: user.email });
  });

  router.post("/email/verify/:token", async (req, res) => {
    const user = await verification.confirm(req.params.token);
    if (!user) return res.status(400).render("auth/verify_email_invalid.njk");
    flash(req, "success", "auth.verify.done", { email: user.email });
    res.redirect(303, req.user ? "/profile" : "/login");
  });

  return router;
}

/** What an unconfirmed account may still change under UNVERIFIED_ACCOUNTS=read-only: its address and its session. */
const ALLOWED_UNVERIFIED = [/^\/email\/verify\//, /^\/account\/email\/resend$/, /^\/logout$/, /^\/language$/, /^\/profile$/, /^\/profile\/preferences$/];

/**
 * UNVERIFIED_ACCOUNTS=read-only: an account whose address is not confirmed may read everything but change nothing
 * (every POST is refused with 403) except what gets it confirmed. The other settings let everything through here.
 */
export function restrictUnverified({ config }: Pick<AppDeps, "config">): RequestHandler {
  return (req, _res, next) => {
    if (!readOnly(config, req.user)) return next();
    if (req.method === "GET" || req.method === "HEAD" || ALLOWED_UNVERIFIED.some((r) => r.test(req.path))) return next();
    next(unverifiedRefusal());
  };
}

/** The one rule, for forms (above) and for the chat socket's changes (chat.socket.ts): read-only until confirmed. */
export const readOnly = (config: Pick<AppDeps["config"], "unverifiedAccounts">, user: { emailVerifiedAt: Date | null } | undefined): boolean =>
  config.unverifiedAccounts === "read-only" && !!user && !user.emailVerifiedAt;

export const unverifiedRefusal = () => new HttpError(403, "auth.verify.required");
