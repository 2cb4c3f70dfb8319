// Signals to `npm start` (issue #14, item 2): a supervisor, `timeout` or `docker run … npm start` signals npm,
// not node. The app must drain and its embedded Postgres stop as when node itself is signalled, and a Postgres
// left running by a crashed app is adopted by the next start and stopped with it.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { freePort } from "../../src/db/embedded";
import { ROOT, portRefuses, postmasterPid, processGone, startServerProcess, waitFor } from "./server-process";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-npm-start-"));
const clusterDir = path.join(dataDir, "pg");
const running = new Set<number>();
after(() => {
  for (const pid of running) if (!processGone(pid)) process.kill(pid, "SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface NpmStart {
  npm: ChildProcess;
  npmExited: Promise<number | string>;
  nodePid: number;
  pgPid: number;
  port: number;
  pgPort: number;
  output(): string;
}

/** `npm start` as a newcomer runs it (development, embedded Postgres), with private ports and data. */
async function npmStart(pgPort?: number): Promise<NpmStart> {
  const port = await freePort();
  pgPort ??= await freePort();
  const npm = spawn("npm", ["start"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", NODE_ENV: "development", HOST: "127.0.0.1", PORT: String(port),
      DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: "info", BCRYPT_COST: "4", MEDIA_ROOT: path.join(dataDir, "media"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  npm.stdout!.on("data", (d) => (out += d));
  npm.stderr!.on("data", (d) => (out += d));
  const npmExited = new Promise<number | string>((resolve) => npm.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  let exited = false;
  void npmExited.then(() => (exited = true));
  // The JSON line (written within a second: the log is buffered) carries node's own pid.
  const nodePid = await waitFor("the app's running line", () => {
    if (exited) throw new Error(`npm start exited:\n${out}`);
    const m = /"pid":(\d+)[^\n]*"msg":"Hromada is running/.exec(out);
    return m ? Number(m[1]) : undefined;
  }, 90_000);
  running.add(nodePid);
  const pgPid = postmasterPid(clusterDir);
  running.add(pgPid);
  assert.notEqual(nodePid, npm.pid);
  return { npm, npmExited, nodePid, pgPid, port, pgPort, output: () => out };
}

/** Everything the app held is gone: node, its Postgres, both ports. */
async function assertAllGone(s: NpmStart) {
  assert.equal(processGone(s.nodePid), true, "node has exited");
  assert.equal(processGone(s.pgPid), true, "the embedded Postgres has exited");
  assert.equal(await portRefuses(s.port), true, "the app's port is free");
  assert.equal(await portRefuses(s.pgPort), true, "Postgres' port is free");
  assert.equal(fs.existsSync(path.join(clusterDir, "postmaster.pid")), false, "Postgres shut down cleanly");
}

describe("npm start", { timeout: 180_000 }, () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} sent to the npm process alone drains the app and stops its Postgres`, async () => {
      const s = await npmStart();
      assert.equal((await fetch(`http://127.0.0.1:${s.port}/readyz`)).status, 200);
      process.kill(s.npm.pid!, signal);
      const npmCode = await waitFor("npm to exit", () => s.npmExited);
      // npm waits for its child: when it is gone, the app must have finished (a supervisor that sees npm exit
      // may start the next one at once, on the same ports).
      await assertAllGone(s);
      assert.match(s.output(), new RegExp(`"signal":"${signal}","msg":"shutting down`), "the app drained");
      assert.match(s.output(), /"msg":"bye"/, "and finished its shutdown");
      assert.equal(npmCode, 0, "npm reports the app's clean exit");
    });
  }

  it("if npm dies without forwarding anything (SIGKILL), the app notices, drains and stops its Postgres", async () => {
    const s = await npmStart();
    process.kill(s.npm.pid!, "SIGKILL");
    await s.npmExited;
    await waitFor("node to exit", () => processGone(s.nodePid) || undefined);
    await assertAllGone(s);
    assert.match(s.output(), /"signal":"SIGTERM","msg":"shutting down/);
  });
});

describe("after a crash", { timeout: 180_000 }, () => {
  it("the next start reuses the Postgres left running, and stops it on a clean shutdown", async () => {
    const pgPort = await freePort();
    const env = { NODE_ENV: "development", DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), BCRYPT_COST: "4", MEDIA_ROOT: path.join(dataDir, "media") };
    const first = await startServerProcess({ env, entry: "start", bootTimeoutMs: 90_000 });
    const pgPid = postmasterPid(clusterDir);
    running.add(pgPid);
    assert.equal(await first.stop("SIGKILL"), "SIGKILL");
    assert.equal(processGone(pgPid), false, "the crash left Postgres running");

    const second = await startServerProcess({ env, entry: "start", bootTimeoutMs: 90_000 });
    assert.equal(postmasterPid(clusterDir), pgPid, "the same server was adopted, not a second one started");
    assert.equal((await fetch(`${second.url}/readyz`)).status, 200);
    assert.equal(await second.stop("SIGTERM"), 0, second.output());
    assert.match(second.output(), /reusing the server already running on port/);
    await waitFor("the adopted Postgres to exit", () => processGone(pgPid) || undefined);
    assert.equal(await portRefuses(pgPort), true, "Postgres' port is free");
    assert.equal(fs.existsSync(path.join(clusterDir, "postmaster.pid")), false, "it shut down cleanly");
  });
});
