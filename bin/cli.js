#!/usr/bin/env node
// Management commands: `node bin/cli.js <command> [args]` (see package.json scripts; each takes --help).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const [command, ...rest] = process.argv.slice(2);
const commands = ["migrate", "migration-generate", "createsuperuser", "sessions-prune", "check-deploy"];
if (!commands.includes(command)) {
  console.error(`Usage: node bin/cli.js <${commands.join("|")}> [--help]`);
  process.exit(2);
}
process.argv = [process.argv[0], command, ...rest];
const compiled = path.join(__dirname, "..", "dist", "src", "cli", `${command}.js`);
if (process.env.NODE_ENV === "production" && fs.existsSync(compiled)) require(compiled);
else {
  require("tsx/cjs");
  require(path.join(__dirname, "..", "src", "cli", `${command}.ts`));
}
