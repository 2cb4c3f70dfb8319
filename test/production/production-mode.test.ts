// Production mode: `npm run build` compiles to dist/, `NODE_ENV=production npm start` (bin/start.js) runs the
// compiled JavaScript with secure cookies behind a trusted proxy, and an unsafe configuration is refused.
// The build goes to a private folder laid out like the project (dist/ beside views/, public/, node_modules/),
// so a concurrent test run never sees a half-written dist/.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import request from "supertest";
import { EXAMPLE_SESSION_SECRET } from "../../src/config";
import { csrfFrom } from "../helpers/agent";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { query, ROOT, runServerToExit, sessionCookie, sidOf, startServerProcess, type ServerProcess } from "./server-process";

const tree = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-build-"));
const secret = crypto.randomBytes(32).toString("hex");
let db: TestDatabase;

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c));
    child.stderr.on("data", (c: Buffer) => (output += c));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

before(async () => {
  fs.mkdirSync(path.join(tree, "bin"));
  fs.copyFileSync(path.join(ROOT, "bin/start.js"), path.join(tree, "bin/start.js"));
  fs.copyFileSync(path.join(ROOT, "bin/cli.js"), path.join(tree, "bin/cli.js"));
  for (const shared of ["views", "public", "node_modules", "package.json"]) fs.symlinkSync(path.join(ROOT, shared), path.join(tree, shared));
  db = await createTestDatabase();
});

after(async () => {
  await db?.drop();
  fs.rmSync(tree, { recursive: true, force: true });
});

const startEnv = (extra: Record<string, string> = {}) => ({
  NODE_ENV: "production",
  SESSION_SECRET: secret,
  DATABASE_URL: db.url,
  TRUST_PROXY: "loopback",
  DATA_DIR: path.join(tree, "data"),
  MEDIA_ROOT: path.join(tree, "media"),
  ...extra,
});

/** `node bin/start.js` from the private tree, which finds its dist/ beside it. */
const start = (env: Record<string, string>) => startServerProcess({ env, entry: "start", root: tree });

describe("production build and start", () => {
  it("refuses to start in production before anything is built", async () => {
    const res = await runServerToExit(startEnv(), "start", tree);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /dist\/ is missing: run `npm run build`/);
  });

  it("`npm run build` compiles the app and its migrations to dist/", async () => {
    const res = await run("npm", ["run", "build", "--", "--outDir", path.join(tree, "dist")], ROOT);
    assert.equal(res.code, 0, res.output);
    for (const f of ["dist/src/server.js", "dist/src/app.js", "dist/src/realtime-adapter.js", "dist/migrations/index.js"])
      assert.ok(fs.existsSync(path.join(tree, f)), `${f} was emitted`);
  });

  it("bin/cli.js runs the compiled management commands in production", async () => {
    const res = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(tree, "bin/cli.js"), "migrate", "--check"], {
        cwd: tree, env: { PATH: process.env.PATH ?? "", ...startEnv() }, stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (c: Buffer) => (output += c));
      child.stderr.on("data", (c: Buffer) => (output += c));
      child.on("exit", (code) => resolve({ code, output }));
    });
    assert.equal(res.code, 0, res.output);
    assert.match(res.output, /No pending migrations/);
  });

  const refusals: [string, Record<string, string>, RegExp][] = [
    ["no SESSION_SECRET", { SESSION_SECRET: "" }, /SESSION_SECRET: required in production/],
    ["a short SESSION_SECRET", { SESSION_SECRET: "too-short" }, /SESSION_SECRET: must be at least 32 characters/],
    ["the .env.example placeholder secret", { SESSION_SECRET: EXAMPLE_SESSION_SECRET }, /SESSION_SECRET: is the placeholder from \.env\.example/],
    ["a cheap BCRYPT_COST", { BCRYPT_COST: "6" }, /BCRYPT_COST: at least 10 in production/],
    ["a malformed REDIS_URL", { REDIS_URL: "localhost:6379" }, /REDIS_URL: must be a redis:\/\/ URL/],
  ];
  for (const [name, env, message] of refusals) {
    it(`refuses to start with ${name}: exit 78 (EX_CONFIG) and a message naming the variable`, async () => {
      const dataDir = path.join(tree, `refused-${crypto.randomBytes(3).toString("hex")}`);
      const res = await runServerToExit(startEnv({ ...env, DATA_DIR: dataDir }), "start", tree);
      assert.equal(res.code, 78, res.stdout + res.stderr);
      assert.match(res.stderr, message);
      assert.equal(fs.existsSync(dataDir), false, "nothing was created before refusing");
    });
  }

  describe("the compiled server", () => {
    let server: ServerProcess;
    before(async () => {
      server = await start(startEnv());
    });
    after(async () => {
      assert.equal(await server.stop(), 0);
    });

    it("answers /healthz and /readyz and logs JSON lines", async () => {
      assert.equal((await request(server.url).get("/healthz")).text, "ok");
      assert.equal((await request(server.url).get("/readyz")).text, "ready");
      const running = server.output().split("\n").find((l) => l.includes("Hromada is running"));
      assert.ok(running);
      const line = JSON.parse(running) as { msg: string; port: number };
      assert.equal(line.port, server.port);
    });

    it("serves /login with a Secure, HttpOnly session cookie over HTTPS at the proxy, and sets none over plain HTTP", async () => {
      const https = await request(server.url).get("/login").set("X-Forwarded-Proto", "https");
      assert.equal(https.status, 200);
      assert.match(https.text, /<form[^>]+action="\/login"/);
      const cookie = String(https.headers["set-cookie"]);
      assert.match(cookie, /hromada\.sid=/);
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
      const plain = await request(server.url).get("/login");
      assert.equal(plain.status, 200);
      assert.equal(plain.headers["set-cookie"], undefined, "a Secure cookie is never sent over plain HTTP");
    });

    it("signs up and logs in end to end through the proxy headers", async () => {
      const username = `prod_${process.pid}`;
      const page = await request(server.url).get("/signup").set("X-Forwarded-Proto", "https");
      const res = await request(server.url).post("/signup").set("X-Forwarded-Proto", "https")
        .set("Cookie", sessionCookie(page.headers["set-cookie"])).type("form")
        .send({ username, email: `${username}@example.test`, password: "correct horse battery", password_confirm: "correct horse battery", _csrf: csrfFrom(page.text) });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      const home = await request(server.url).get("/").set("X-Forwarded-Proto", "https").set("Cookie", sessionCookie(res.headers["set-cookie"]));
      assert.equal(home.status, 200);
      assert.match(home.text, new RegExp(username));
      const [user] = await query<{ id: number; password_hash: string }>(db.url, "SELECT id, password_hash FROM users WHERE username = $1", [username]);
      assert.match(user.password_hash, /^\$2[aby]\$12\$/, "production's default bcrypt cost");
      const rows = await query(db.url, "SELECT sid FROM session WHERE sid = $1", [sidOf(res.headers["set-cookie"])]);
      assert.equal(rows.length, 1);
    });

    it("caches static files and shows error pages without internals", async () => {
      const css = await request(server.url).get("/static/css/app.css");
      assert.equal(css.status, 200);
      assert.match(String(css.headers["cache-control"]), /max-age=86400/);
      const missing = await request(server.url).get("/no/such/page");
      assert.equal(missing.status, 404);
      assert.doesNotMatch(missing.text, /<pre|node_modules|at .*\.js:\d+/);
    });
  });
});
