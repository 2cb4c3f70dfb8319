// npm run check:deploy: reviews the environment for production. Exit 1 on errors (the server would refuse to
// start, or would run unsafely); warnings alone exit 0 unless --strict.
import path from "node:path";
import { commandEnvironment } from "../config";
import { parseCommandArgs, runCommand } from "./command";
import { checkDatabase, checkDeploy } from "./deploy-checks";

const USAGE = `Usage: npm run check:deploy [-- --strict]

Reviews the configuration in the environment (the variables the server reads, see .env.example) for a
production deployment: the session secret, cookies, proxy settings, the database, password hashing,
the media folder and logging. It connects to nothing but DATABASE_URL's database, to check that it
answers and that its locale folds case for non-ASCII text (lower('ҐЄЇ') = 'ґєї').

Exit status: 1 if there are errors, 0 if there are only warnings (or nothing to report).

Options:
  --strict    treat warnings as errors (exit 1 on any finding)
  -h, --help  show this help`;

const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..");

runCommand(async () => {
  const args = parseCommandArgs(USAGE, { strict: { type: "boolean" } });
  const env = commandEnvironment();
  const findings = [...checkDeploy(env, { root: ROOT }), ...(await checkDatabase(env))];
  console.log(`Checking the deployment settings (NODE_ENV=${env.NODE_ENV || "development"})`);
  const width = Math.max(0, ...findings.map((f) => f.variable.length));
  // Errors first; one stream, so the report reads in order however it is captured.
  for (const f of [...findings].sort((a, b) => (a.level === b.level ? 0 : a.level === "error" ? -1 : 1))) {
    console.log(`${f.level === "error" ? "ERROR  " : "WARNING"}  ${f.variable.padEnd(width)}  ${f.message}`);
  }
  const errors = findings.filter((f) => f.level === "error").length;
  const warnings = findings.length - errors;
  if (!findings.length) {
    console.log("No problems found.");
    return 0;
  }
  const failing = errors > 0 || (args.strict && warnings > 0);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  console.log(`${plural(errors, "error")}, ${plural(warnings, "warning")}${args.strict && warnings && !errors ? " (--strict: warnings fail)" : ""}.`);
  return failing ? 1 : 0;
});
