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
