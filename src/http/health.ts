// Liveness and readiness probes for load balancers and orchestrators, and the drain flag set on shutdown.
import { Router, type RequestHandler } from "express";
import type { Pool } from "pg";
import { pingDatabase } from "../db/data-source";
import type { RedisClient } from "../realtime-adapter";

export interface Lifecycle {
  shuttingDown: boolean;
}

/**
 * Once shutdown has begun, every response asks the client to close its keep-alive connection,
 * so the server can finish draining instead of waiting for idle connections to time out.
 */
export function closeWhenDraining(lifecycle: Lifecycle): RequestHandler {
  return (_req, res, next) => {
    if (lifecycle.shuttingDown) res.set("Connection", "close");
    next();
  };
}

export function createHealthRouter({ pool, redis }: { pool: Pool; redis?: RedisClient }, lifecycle: Lifecycle): Router {
  const router = Router();
  // Liveness: the process answers. Deliberately no database check, so an orchestrator does not
  // restart healthy processes during a database outage they will recover from by themselves.
  router.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  // Readiness: should a load balancer send traffic here now?
  router.get("/readyz", async (_req, res) => {
    if (lifecycle.shuttingDown) return res.status(503).type("text/plain").send("shutting down");
    if (redis && !redis.isReady) return res.status(503).type("text/plain").send("redis unavailable");
    try {
      await pingDatabase(pool);
      res.type("text/plain").send("ready");
    } catch {
      res.status(503).type("text/plain").send("database unavailable");
    }
  });
  return router;
}
