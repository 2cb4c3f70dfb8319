// The "Where you're logged in" page and its two buttons.
import { Router } from "express";
import type { AppDeps } from "../deps";
import { notFound } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import type { SessionsService } from "./sessions.service";

export function createSessionsRouter(_deps: AppDeps, sessions: SessionsService): Router {
  const router = Router();
  router.use("/account/sessions", requireUser);

  router.get("/account/sessions", async (req, res) => {
    res.render("auth/sessions.njk", { sessions: await sessions.list(req.user!.id, req.sessionID) });
  });

  router.post("/account/sessions/others/logout", async (req, res) => {
    const count = await sessions.endOthers(req.user!, req.sessionID);
    flash(req, "success", "auth.sessions.others_ended", { count });
    res.redirect(303, "/account/sessions");
  });

  router.post("/account/sessions/:handle/logout", async (req, res) => {
    if (!/^[0-9a-f]{64}$/.test(req.params.handle)) throw notFound();
    await sessions.endOne(req.user!, req.params.handle, req.sessionID);
    flash(req, "success", "auth.sessions.one_ended");
    res.redirect(303, "/account/sessions");
  });

  return router;
}
