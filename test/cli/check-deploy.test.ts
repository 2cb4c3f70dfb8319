import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EXAMPLE_SESSION_SECRET } from "../../src/config";
import { estimatedBits, knownExampleSecrets, secretWeakness, checkDeploy } from "../../src/cli/deploy-checks";
import { freePort } from "../../src/db/embedded";
import { withDatabase } from "../../src/db/locale";
import { query } from "../production/server-process";
import { runCli } from "../helpers/cli";

/** check:deploy connects to DATABASE_URL: the run's server (its maintenance database folds case). */
const adminUrl = process.env.TEST_ADMIN_URL ?? process.env.DATABASE_URL!;

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-deploy-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const goodSecret = () => crypto.randomBytes(32).toString("hex");
/** A production environment with nothing to complain about. */
const good = (extra: Record<string, string> = {}) => ({
  NODE_ENV: "production",
  SESSION_SECRET: goodSecret(),
  TRUST_PROXY: "1",
  DATABASE_URL: adminUrl,
  MEDIA_ROOT: path.join(tmp, "media"),
  DATA_DIR: path.join(tmp, "data"),
  SMTP_URL: "smtps://mailer:secret@mail.example.com:465",
  PUBLIC_URL: "https://hromada.example.com",
  ...extra,
});
const run = (env: Record<string, string>, args: string[] = []) => runCli("check-deploy", args, { env });

describe("npm run check:deploy", () => {
  it("prints its help", async () => {
    const r = await run({}, ["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: npm run check:deploy/);
    assert.match(r.stdout, /--strict/);
  });

  it("passes a sound production configuration, even with --strict", async () => {
    for (const args of [[], ["--strict"]]) {
      const r = await run(good(), args);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /No problems found/);
    }
  });

  it("reports a missing SESSION_SECRET in production as an error instead of crashing, and still checks the rest", async () => {
    const env = good({ COOKIE_SECURE: "false" });
    delete (env as Record<string, string>).SESSION_SECRET;
    const r = await run(env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ERROR +SESSION_SECRET +required in production .* \(the server refuses to start\)$/m);
    assert.match(r.stdout, /^WARNING +COOKIE_SECURE +is false in production/m, "later checks still ran");
    assert.match(r.stdout, /1 error, 1 warning\./);
    assert.equal(r.stderr, "", "no stack trace");
  });

  const weak: [string, string, RegExp][] = [
    ["the example from the config", EXAMPLE_SESSION_SECRET, /placeholder from \.env\.example|published example/],
    ["one repeated character", "a".repeat(40), /repeats a short pattern/],
    ["a repeated pattern", "abcd1234".repeat(5), /repeats a short pattern/],
    ["a placeholder phrase", "my-super-secret-session-key-for-prod", /contains "secret"/],
    ["keyboard cat", "keyboard cat keyboard cat keyboard cat", /contains "keyboard cat"/],
    ["few distinct characters", "abababababababbbabaaabababbabababababab", /too little randomness/],
    ["a small alphabet", "1122334455112233445511223344551122", /too little randomness/],
  ];
  for (const [name, secret, why] of weak) {
    it(`calls a weak SESSION_SECRET an error: ${name}`, async () => {
      const r = await run(good({ SESSION_SECRET: secret }));
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stdout, /^ERROR +SESSION_SECRET/m);
      assert.match(r.stdout, why);
      assert.ok(!r.stdout.includes(secret), "never prints the secret itself");
    });
  }

  it("calls a too-short secret an error (the server refuses it)", async () => {
    const r = await run(good({ SESSION_SECRET: "short" }));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /ERROR +SESSION_SECRET +must be at least 32 characters \(the server refuses to start\)/);
  });

  it("warns about every risky setting it knows, exiting 0 with warnings only and 1 with --strict", async () => {
    const env = good({ COOKIE_SECURE: "false", BCRYPT_COST: "11", LOG_LEVEL: "debug" });
    delete (env as Record<string, string>).TRUST_PROXY;
    delete (env as Record<string, string>).DATABASE_URL;
    let r = await run(env);
    assert.equal(r.code, 0, r.stdout);
    for (const v of ["COOKIE_SECURE", "TRUST_PROXY", "DATABASE_URL", "BCRYPT_COST", "LOG_LEVEL"]) {
      assert.match(r.stdout, new RegExp(`^WARNING +${v} `, "m"), v);
    }
    assert.match(r.stdout, /TRUST_PROXY +is not set\. Behind a reverse proxy/);
    assert.match(r.stdout, /DATABASE_URL +is not set, so the embedded PostgreSQL/);
    assert.match(r.stdout, /0 errors, 5 warnings\./);
    r = await run(env, ["--strict"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /--strict: warnings fail/);
  });

  it("calls production mail without SMTP_URL or PUBLIC_URL an error, an invalid SMTP_URL too, and http:// links a warning", async () => {
    const env = good();
    delete (env as Record<string, string>).SMTP_URL;
    delete (env as Record<string, string>).PUBLIC_URL;
    let r = await run(env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ERROR +SMTP_URL +is not set in production: password-reset, verification and export mails are queued/m);
    assert.match(r.stdout, /^ERROR +PUBLIC_URL +is not set in production: links in mail would point to http:\/\/localhost:3000/m);
    r = await run(good({ SMTP_URL: "http://mail.example.com" }));
    assert.match(r.stdout, /^ERROR +SMTP_URL +must be an smtp:\/\/ or smtps:\/\/ URL .*\(the server refuses to start\)$/m);
    r = await run(good({ PUBLIC_URL: "http://hromada.example.com" }));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^WARNING +PUBLIC_URL +is http:\/\/ in production/m);
    r = await run(good({ NODE_ENV: "development", SMTP_URL: "" }));
    assert.match(r.stdout, /^WARNING +SMTP_URL +is not set: mail is written to .*outbox and listed at \/dev\/outbox/m);
  });

  it("warns when NODE_ENV is not production, and about TRUST_PROXY=true", async () => {
    const r = await run(good({ NODE_ENV: "development", TRUST_PROXY: "true" }));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^WARNING +NODE_ENV +is "development", not "production"/m);
    assert.match(r.stdout, /^WARNING +TRUST_PROXY +is true, which believes any X-Forwarded-For/m);
    const unset = await run({ SESSION_SECRET: goodSecret(), TRUST_PROXY: "false", MEDIA_ROOT: path.join(tmp, "m2") });
    assert.match(unset.stdout, /NODE_ENV +is "development"/, "unset NODE_ENV means development");
  });

  it("reports an unusable MEDIA_ROOT as an error", async () => {
    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "x");
    for (const [media, why] of [[file, /is not a directory/], [path.join(file, "sub"), /cannot be used \(ENOTDIR\)/], ["/proc/hromada-media", /cannot be created \(\/proc is not writable\)/]] as const) {
      const r = await run(good({ MEDIA_ROOT: media }));
      assert.equal(r.code, 1, media);
      assert.match(r.stdout, /^ERROR +MEDIA_ROOT/m);
      assert.match(r.stdout, why);
    }
    // A folder that does not exist yet but can be created is fine; nothing is left behind by the check.
    const later = path.join(tmp, "later", "media");
    const r = await run(good({ MEDIA_ROOT: later }));
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith(".hromada")), []);
  });

  it("reports other invalid variables and BCRYPT_COST below the production minimum as errors", async () => {
    const r = await run(good({ PORT: "not-a-port", BCRYPT_COST: "8" }));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ERROR +PORT /m);
    assert.match(r.stdout, /^ERROR +BCRYPT_COST +at least 10 in production/m);
    assert.doesNotMatch(r.stdout, /WARNING +BCRYPT_COST/, "reported once");
  });
});

describe("npm run check:deploy and the database", () => {
  const cDatabase = `hromada_t_deploy${process.pid}_c`;
  after(() => query(adminUrl, `DROP DATABASE IF EXISTS "${cDatabase}" WITH (FORCE)`));

  it("calls a database whose locale does not fold non-ASCII case an error, with the SQL that fixes it", async () => {
    await query(adminUrl, `CREATE DATABASE "${cDatabase}" TEMPLATE template0 LOCALE 'C'`);
    const r = await run(good({ DATABASE_URL: withDatabase(adminUrl, cDatabase) }));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^ERROR +DATABASE_URL +Database "${cDatabase}" uses the (libc|builtin) "C" locale, so lower\\(\\), ILIKE and full-text search ignore case`, "m"));
    assert.match(r.stdout, new RegExp(`CREATE DATABASE "${cDatabase}_utf8" TEMPLATE template0 ENCODING 'UTF8'`));
    assert.match(r.stdout, /1 error, 0 warnings\./);
  });

  it("calls a database it cannot reach an error", async () => {
    const r = await run(good({ DATABASE_URL: `postgres://nobody@127.0.0.1:${await freePort()}/hromada` }));
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^ERROR +DATABASE_URL +cannot connect \(.*ECONNREFUSED.*\): the server would not start$/m);
  });
});

describe("deploy checks (unit)", () => {
  it("estimates the randomness of generated secrets well above the bar, and of made-up ones below", () => {
    for (let i = 0; i < 20; i++) {
      assert.equal(secretWeakness(crypto.randomBytes(16).toString("hex"), []), null, "32 random hex characters pass");
      assert.equal(secretWeakness(crypto.randomBytes(24).toString("base64"), []), null, "base64 secrets pass");
    }
    assert.ok(estimatedBits("a".repeat(64)) === 0);
    assert.ok(estimatedBits("ab".repeat(32)) === 64);
  });

  it("knows the secret shown in .env.example as a published value", () => {
    const root = fs.mkdtempSync(path.join(tmp, "root-"));
    fs.writeFileSync(path.join(root, ".env.example"), "NODE_ENV=production\nSESSION_SECRET=\"Zq8vN2xLp4Rt7Yw1Kc5Hm9Bf3Gd6Js0A\" # replace\n");
    const known = knownExampleSecrets(root);
    assert.ok(known.includes("Zq8vN2xLp4Rt7Yw1Kc5Hm9Bf3Gd6Js0A"));
    assert.equal(secretWeakness("Zq8vN2xLp4Rt7Yw1Kc5Hm9Bf3Gd6Js0A", known), "is a published example value");
    const findings = checkDeploy(good({ SESSION_SECRET: "Zq8vN2xLp4Rt7Yw1Kc5Hm9Bf3Gd6Js0A" }), { root });
    assert.deepEqual(findings.map((f) => [f.level, f.variable]), [["error", "SESSION_SECRET"]]);
    assert.deepEqual(checkDeploy(good(), { root }), []);
  });
});
