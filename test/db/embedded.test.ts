// The newcomer's path: `npm start` with no DATABASE_URL starts its own PostgreSQL, keeps the data across
// restarts and stops it on SIGTERM. Runs the real bin/start.js in a child process on a private data dir.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, it } from "node:test";
import { Client } from "pg";
import { freePort } from "../../src/db/embedded";

const root = path.resolve(__dirname, "../..");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-embedded-"));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function startServer(pgPort: number): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  // The newcomer's environment: no database and no Redis (an inherited REDIS_URL would share the sign-up limit's
  // counters with every other run on the machine's Redis).
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.NODE_ENV;
  Object.assign(env, { PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: "warn", BCRYPT_COST: "4", MEDIA_ROOT: path.join(dataDir, "media") });
  const child = spawn(process.execPath, [path.join(root, "bin/start.js")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /Hromada is running at (http:\/\/localhost:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace("localhost", "127.0.0.1"));
      }
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return { child, url, output: () => out };
}

const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });

async function pgAnswers(port: number): Promise<boolean> {
  const c = new Client({ host: "127.0.0.1", port, user: "nobody", database: "x", connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch (err) {
    // An authentication error still means a server answered.
    return !/ECONNREFUSED|timeout/i.test(String(err));
  }
}

it("starts its own PostgreSQL, keeps data across restarts, and stops it on SIGTERM", { timeout: 180_000 }, async () => {
  const pgPort = await freePort();
  let server = await startServer(pgPort);
  assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  assert.ok(fs.existsSync(path.join(dataDir, "pg", "PG_VERSION")), "cluster lives under DATA_DIR/pg");
  assert.ok(fs.existsSync(path.join(dataDir, "session-secret")), "a development session secret was generated and kept");

  // Sign up through the form, so a row exists.
  const page = await fetch(`${server.url}/signup`);
  const cookie = page.headers.get("set-cookie")!.split(";")[0];
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  const body = new URLSearchParams({ _csrf: token, username: "newcomer", email: "newcomer@example.test", password: "a long password", password_confirm: "a long password" });
  const signup = await fetch(`${server.url}/signup`, { method: "POST", body, headers: { cookie }, redirect: "manual" });
  assert.equal(signup.status, 303);

  assert.equal(await stop(server.child), 0, "exits 0 on SIGTERM");
  assert.equal(await pgAnswers(pgPort), false, "the embedded server stopped with the app");

  server = await startServer(pgPort);
  const login = await fetch(`${server.url}/login`);
  const c2 = login.headers.get("set-cookie")!.split(";")[0];
  const t2 = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1];
  const res = await fetch(`${server.url}/login`, {
    method: "POST",
    body: new URLSearchParams({ _csrf: t2, login: "newcomer", password: "a long password" }),
    headers: { cookie: c2 },
    redirect: "manual",
  });
  assert.equal(res.status, 303, "the account survived the restart");
  assert.equal(await stop(server.child), 0);
});
