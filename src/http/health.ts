// Liveness and readiness probes for load balancers and orchestrators.
import { Router } from "express";
import type { AppDeps } from "../deps";

export interface Lifecycle {
  shuttingDown: boolean;
}

export function createHealthRouter({ pool }: AppDeps, lifecycle: Lifecycle): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  router.get("/readyz", async (_req, res) => {
    if (lifecycle.shuttingDown) return res.status(503).type("text/plain").send("shutting down");
    try {
      await pool.query("SELECT 1");
      res.type("text/plain").send("ready");
    } catch {
      res.status(503).type("text/plain").send("database unavailable");
    }
  });
  return router;
}
