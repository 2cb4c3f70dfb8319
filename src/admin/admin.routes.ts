// Admin site (issue #6).
import { Router } from "express";
import type { AppDeps } from "../deps";
import { requireStaff } from "../http/guards";

export function createAdminRouter(_deps: AppDeps): Router {
  const router = Router();
  router.use(requireStaff);
  return router;
}
