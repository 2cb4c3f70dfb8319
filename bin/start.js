#!/usr/bin/env node
// npm start: the compiled app (dist/) in production, the TypeScript sources through tsx otherwise.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

// bcrypt hashes on libuv's thread pool, next to file I/O (uploads, static files, the async log writes) and DNS.
// Size it to the machine before anything uses it: one thread per core for hashing plus two that a login storm
// cannot take. (Image encoding runs in its own worker processes: src/gallery/process-pool.ts.)
if (!process.env.UV_THREADPOOL_SIZE) {
  const cores = require("node:os").availableParallelism();
  process.env.UV_THREADPOOL_SIZE = String(Math.max(4, cores + 2));
}

// Under `npm start` the script is `exec node bin/start.js`, so this process is npm's own child and receives the
// SIGTERM/SIGINT that npm forwards (through a shell left in between, the signal would end only the shell and
// leave us, and the embedded Postgres, running as orphans). If npm itself dies without forwarding anything
// (SIGKILL, a crash), we are re-parented: treat that as SIGTERM, so the app drains and its Postgres stops
// instead of holding the ports for good. Only under npm: run directly (Docker, systemd, nohup), a parent
// going away is no reason to stop.
if (process.env.npm_lifecycle_event === "start") {
  const launcher = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(watch);
    process.kill(process.pid, "SIGTERM");
  }, 250);
  watch.unref();
}

const compiled = path.join(__dirname, "..", "dist", "src", "server.js");
if (process.env.NODE_ENV === "production") {
  if (!fs.existsSync(compiled)) {
    console.error("dist/ is missing: run `npm run build` before starting in production.");
    process.exit(1);
  }
  require(compiled);
} else {
  require("tsx/cjs");
  require(path.join(__dirname, "..", "src", "server.ts"));
}
