// Notes: placeholder home page until the notes feature lands (issue #3).
import { Router } from "express";
import type { AppDeps } from "../deps";
import { requireUser } from "../http/guards";

export function createNotesRouter(_deps: AppDeps): Router {
  const router = Router();
  router.get("/", requireUser, (_req, res) => res.render("notes/index.njk"));
  return router;
}
