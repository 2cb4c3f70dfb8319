// The stack floor as a target of the peer harness (../shared/bench-peers): the question it answers is whether any
// app on the fixed stack can serve S1 at twice Flask's rate. The harness signs up, logs in and checks the home page
// through the real app (its forms, its session table, its cookie), so every route is Hromada's except GET /,
// which bench/stack-floor.ts answers: Express + express-session/connect-pg-simple + passport + nunjucks rendering
// the same page from the same rows, with none of Hromada's own middleware. Run it as
//   --target "floor=env SESSION_SECRET=... COOKIE_SECURE=false node --require tsx/cjs bench/peer-floor.ts@3300"
import http from "node:http";
import express from "express";
import { createApp } from "../src/app";
import { loadConfig } from "../src/config";
import { connectDatabase } from "../src/db/connect";
import { poolOf } from "../src/db/data-source";
import { generateToken } from "../src/http/csrf";
import { resolveSessionSecret } from "../src/http/session";
import { createLogger } from "../src/logger";
import { createFloorApp } from "./stack-floor";

async function main() {
  const config = loadConfig();
  const logger = createLogger(config);
  const db = await connectDatabase(config);
  const secret = resolveSessionSecret(config);
  const { app } = createApp({ config, logger, ds: db.ds, sessionSecret: secret });
  const floor = createFloorApp(poolOf(db.ds), secret, (req) => generateToken(req));
  const outer = express();
  outer.disable("x-powered-by");
  outer.get("/", floor);
  outer.use(app);
  const server = http.createServer(outer);
  server.keepAliveTimeout = 5000;
  server.listen(config.port, config.host, () => console.log(`stack floor (GET /) + Hromada (the rest) on ${config.port}`));
  const stop = () => {
    server.close(() => void db.close().then(() => process.exit(0)));
    server.closeAllConnections();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
