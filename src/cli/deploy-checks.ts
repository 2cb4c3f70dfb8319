// The findings of `npm run check:deploy`: what in an environment would be unsafe or fragile in production.
// checkDeploy is a pure function of the environment (plus the file system for MEDIA_ROOT), so it is easy to
// test; checkDatabase is the one part that connects (to DATABASE_URL's database).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { ConfigError, EXAMPLE_SESSION_SECRET, loadConfig, type Config } from "../config";
import { checkUnicode, unicodeProblemMessage } from "../db/locale";

export type Level = "error" | "warning";

export interface Finding {
  level: Level;
  variable: string;
  message: string;
}

type Env = Record<string, string | undefined>;

const GENERATE = "generate one with `openssl rand -hex 32`";

/** Words that give away a placeholder or a made-up secret; random output practically never contains them. */
const PLACEHOLDER_WORDS = [
  "changeme", "change-me", "change_me", "replaceme", "replace-me", "replace_me", "yoursecret", "your-secret", "your_secret",
  "placeholder", "example", "secret", "password", "keyboard cat", "keyboardcat", "insecure", "default", "hromada", "dummy",
];

/** The SESSION_SECRET values published with the project: the config placeholder and whatever .env.example shows. */
export function knownExampleSecrets(root: string): string[] {
  const known = [EXAMPLE_SESSION_SECRET];
  try {
    const text = fs.readFileSync(path.join(root, ".env.example"), "utf8");
    for (const m of text.matchAll(/^\s*#?\s*SESSION_SECRET\s*=\s*["']?([^"'\s#]+)/gm)) known.push(m[1]);
  } catch {
    // no .env.example: only the built-in placeholder is known
  }
  return known;
}

/** Shannon entropy of the characters actually used, times the length: a rough upper bound on guessing effort. */
export function estimatedBits(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...s].length;
  let h = 0;
  for (const c of counts.values()) h -= (c / n) * Math.log2(c / n);
  return h * n;
}

/**
 * Why a secret is weak, or null. 32 random hex characters (`openssl rand -hex 16`) estimate at ~115 bits and,
 * over 300,000 tries, never below 88 bits or 8 distinct characters: the bar sits well under that.
 */
export function secretWeakness(secret: string, known: string[]): string | null {
  const lower = secret.toLowerCase();
  if (known.some((k) => k.toLowerCase() === lower)) return "is a published example value";
  const word = PLACEHOLDER_WORDS.find((w) => lower.includes(w));
  if (word) return `contains "${word}", so it looks made up rather than random`;
  if (/^(.{1,16}?)\1+$/s.test(secret)) return "repeats a short pattern";
  const bits = estimatedBits(secret);
  if (bits < 72 || new Set(secret).size < 6) return `has too little randomness (about ${Math.round(bits)} bits)`;
  return null;
}

/** The variable and message of each line of a ConfigError ("  NAME: message"). */
function configIssues(err: ConfigError): { variable: string; message: string }[] {
  return [...err.message.matchAll(/^\s+([A-Z0-9_]+): (.+)$/gm)].map((m) => ({ variable: m[1], message: m[2] }));
}

/** Really writes (and removes) a probe file: permission bits alone would say yes to root on a read-only mount. */
function canWriteIn(dir: string): boolean {
  const probe = path.join(dir, `.hromada-write-check-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  try {
    fs.writeFileSync(probe, "", { flag: "wx" });
    fs.unlinkSync(probe);
    return true;
  } catch {
    return false;
  }
}

function mediaRootProblem(dir: string): string | null {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") return `${dir} cannot be used (${code})`;
  }
  if (st) {
    if (!st.isDirectory()) return `${dir} is not a directory`;
    return canWriteIn(dir) ? null : `${dir} is not writable by this user`;
  }
  // Missing is fine if it can be created (uploads create it): the nearest existing parent must be writable.
  let parent = path.dirname(dir);
  while (!fs.existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
  if (!fs.statSync(parent).isDirectory()) return `${dir} cannot be created: ${parent} is a file`;
  return canWriteIn(parent) ? null : `${dir} does not exist and cannot be created (${parent} is not writable)`;
}

export function checkDeploy(env: Env, { root }: { root: string }): Finding[] {
  const findings: Finding[] = [];
  const error = (variable: string, message: string) => findings.push({ level: "error", variable, message });
  const warn = (variable: string, message: string) => findings.push({ level: "warning", variable, message });

  // What loadConfig refuses would stop the server from starting: errors. Then check the rest as if those
  // variables were unset (their defaults), so one bad value does not hide the other findings.
  let config: Config | undefined;
  const patched: Env = { ...env };
  const reported = new Set<string>();
  for (let attempt = 0; attempt < 5 && !config; attempt++) {
    try {
      config = loadConfig(patched);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const issues = configIssues(err);
      if (!issues.length) {
        error("config", err.message);
        return findings;
      }
      for (const i of issues) {
        if (!reported.has(i.variable)) error(i.variable, `${i.message} (the server refuses to start)`);
        reported.add(i.variable);
        delete patched[i.variable];
        // Stand-in so the remaining checks can run; the real problem is already reported.
        if (i.variable === "SESSION_SECRET") patched.SESSION_SECRET = crypto.randomBytes(32).toString("hex");
      }
    }
  }
  if (!config) return findings;

  const prod = config.isProduction;
  if (!prod) {
    warn("NODE_ENV", `is "${env.NODE_ENV ?? "development"}", not "production": development mode shows error details, does not cache templates, runs the TypeScript sources and generates its own session secret`);
  }

  if (!reported.has("SESSION_SECRET")) {
    const secret = env.SESSION_SECRET;
    if (!secret) {
      warn("SESSION_SECRET", `is not set: development keeps a generated one in ${path.join(config.dataDir, "session-secret")}, production refuses to start without one; ${GENERATE}`);
    } else {
      const why = secretWeakness(secret, knownExampleSecrets(root));
      if (why) error("SESSION_SECRET", `${why}: whoever guesses it can forge session cookies and log in as anyone; ${GENERATE}`);
    }
  }

  if (prod && !config.cookieSecure) {
    warn("COOKIE_SECURE", "is false in production: the session cookie is also sent over plain HTTP, where it can be stolen; serve HTTPS and leave it unset (true)");
  }

  if (env.TRUST_PROXY === undefined || env.TRUST_PROXY === "") {
    warn("TRUST_PROXY", "is not set. Behind a reverse proxy or load balancer (nginx, Caddy, a cloud LB) set it to the number of proxies (usually 1): otherwise every client shares the proxy's IP in the rate limits and Secure cookies are not sent over the proxy's HTTPS. If clients connect directly, set TRUST_PROXY=false to say so");
  } else if (config.trustProxy === true) {
    warn("TRUST_PROXY", "is true, which believes any X-Forwarded-For header: clients can fake their IP to dodge the login rate limits; give the number of proxies (e.g. 1) or their addresses instead");
  }

  if (prod && !config.databaseUrl) {
    warn("DATABASE_URL", `is not set, so the embedded PostgreSQL in ${config.dataDir} would be used: it is meant for development; use a PostgreSQL server with backups`);
  }

  if (config.bcryptCost < 12 && !reported.has("BCRYPT_COST")) {
    warn("BCRYPT_COST", `is ${config.bcryptCost}: password hashes are cheaper to crack than at the recommended 12`);
  }

  if (!reported.has("SMTP_URL") && !config.mail.smtpUrl) {
    if (prod) error("SMTP_URL", "is not set in production: password-reset, verification and export mails are queued in mail_outbox but never sent; set it to your mail server, e.g. smtps://user:pass@mail.example.com:465");
    else warn("SMTP_URL", `is not set: mail is written to ${path.join(config.dataDir, "outbox")} and listed at /dev/outbox instead of being sent`);
  }
  if (!reported.has("PUBLIC_URL")) {
    if (!env.PUBLIC_URL) {
      if (prod) error("PUBLIC_URL", `is not set in production: links in mail would point to ${config.publicUrl}; set it to the site's address, e.g. https://hromada.example.com`);
    } else if (prod && config.publicUrl.startsWith("http://")) {
      warn("PUBLIC_URL", "is http:// in production: password-reset links in mail would travel to an unencrypted page; use https://");
    }
  }

  const media = mediaRootProblem(config.mediaRoot);
  if (media) error("MEDIA_ROOT", `${media}: image uploads would fail`);

  if (prod && (config.logLevel === "debug" || config.logLevel === "trace")) {
    warn("LOG_LEVEL", `is "${config.logLevel}" in production: very verbose logs, with more request detail than needed; use info`);
  }

  return findings;
}

/**
 * What only the database itself can tell: that DATABASE_URL answers, and that its locale folds case for
 * non-ASCII text (the server only logs the latter at start, and keeps running). Nothing to check without
 * DATABASE_URL: the embedded cluster is checked when the app starts it.
 */
export async function checkDatabase(env: Env): Promise<Finding[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch {
    return []; // a bad configuration is reported by checkDeploy
  }
  if (!config.databaseUrl) return [];
  const client = new Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5000 });
  client.on("error", () => {}); // a connection dropped after the check has nothing left to report
  try {
    await client.connect();
  } catch (err) {
    return [{ level: "error", variable: "DATABASE_URL", message: `cannot connect (${(err as Error).message}): the server would not start` }];
  }
  try {
    const unicode = await checkUnicode(client);
    return unicode.ok ? [] : [{ level: "error", variable: "DATABASE_URL", message: unicodeProblemMessage(unicode) }];
  } finally {
    await client.end().catch(() => {});
  }
}
