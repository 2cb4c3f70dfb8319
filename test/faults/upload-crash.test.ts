// Promise: "uploads are made safe" and "nothing is half-written", when uploads are cut short. The real server runs
// as a child process on a database of its own: a client drops an upload halfway; the server is killed (SIGKILL,
// no chance to clean up) while an upload's body is arriving, and again after the images were moved into
// MEDIA_ROOT but before their rows committed (held there by a row lock this test takes). After a restart no image
// row lacks its files, no file in MEDIA_ROOT lacks its row, and the dead uploads' leftovers are swept once they
// are old enough to be surely dead (a temp file younger than that may be another replica's upload in progress:
// MEDIA_ROOT is shared between replicas). The test ages them as time would, and restarts.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "pg";
import request from "supertest";
import { csrfFrom } from "../helpers/agent";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { listFiles, multipart, png } from "../gallery/helpers";
import { query, sessionCookie, startServerProcess, type ServerProcess } from "../production/server-process";

let db: TestDatabase;
const mediaRoot = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-crash-media-"));
let server: ServerProcess | undefined;
let cookie: string;
let userId: number;

const start = () =>
  startServerProcess({
    env: { NODE_ENV: "test", DATABASE_URL: db.url, BCRYPT_COST: "4", MEDIA_ROOT: mediaRoot, LOG_LEVEL: "warn", DATABASE_POOL_SIZE: "4" },
  });

before(async () => {
  db = await createTestDatabase();
  server = await start();
  const page = await request(server.url).get("/signup");
  const username = `crash_${process.pid}`;
  const res = await request(server.url).post("/signup").set("Cookie", sessionCookie(page.headers["set-cookie"])).type("form").send({
    username, email: `${username}@example.test`, password: "correct horse battery", password_confirm: "correct horse battery", _csrf: csrfFrom(page.text),
  });
  assert.equal(res.status, 303);
  cookie = sessionCookie(res.headers["set-cookie"]);
  [{ id: userId }] = await query<{ id: number }>(db.url, "SELECT id FROM users WHERE username = $1", [username]);
});

after(async () => {
  await server?.stop("SIGKILL");
  await db?.drop();
  fs.rmSync(mediaRoot, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, attempts = 1000): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const tmpFiles = () => listFiles(mediaRoot).filter((f) => f.startsWith(".tmp/"));
const storedFiles = () => listFiles(mediaRoot).filter((f) => !f.startsWith(".tmp/")).sort();
const imageRows = () => query<{ path: string; thumb_path: string }>(db.url, "SELECT path, thumb_path FROM images ORDER BY id");

/** Every row has both its files, and every stored file has its row. */
async function assertConsistent(what: string) {
  const rows = await imageRows();
  assert.deepEqual(storedFiles(), rows.flatMap((r) => [r.path, r.thumb_path]).sort(), `${what}: MEDIA_ROOT holds exactly the files of the images table`);
}

/** The upload form's action (with its CSRF token), as the browser has it. */
async function action(s: ServerProcess): Promise<string> {
  const page = await request(s.url).get("/gallery").set("Cookie", cookie);
  assert.equal(page.status, 200);
  return /action="(\/gallery\?_csrf=[^"]+)"/.exec(page.text)![1].replace(/&amp;/g, "&");
}

/** Starts an upload and sends only `fraction` of its body. */
async function partialUpload(s: ServerProcess, body: Buffer, contentType: string, fraction: number) {
  const req = http.request({ host: "127.0.0.1", port: s.port, method: "POST", path: await action(s), agent: false, headers: {
    cookie, "content-type": contentType, "content-length": body.length,
  } });
  const outcome = new Promise<string>((resolve) => {
    req.on("response", (res) => {
      res.resume();
      resolve(String(res.statusCode));
    });
    req.on("error", (err) => resolve(`error: ${(err as NodeJS.ErrnoException).code}`));
  });
  req.write(body.subarray(0, Math.floor(body.length * fraction)));
  return { req, outcome, finish: () => req.end(body.subarray(Math.floor(body.length * fraction))) };
}

/** A big body of noise under an image's name: only its arrival matters, it is never read as an image. */
const bigUpload = () => multipart([{ filename: "big.jpg", data: crypto.randomBytes(6 * 1024 * 1024) }]);

/** Sets a file's times an hour and a half back, as if the crash had happened that long ago. */
const age = (rel: string) => {
  const then = new Date(Date.now() - 90 * 60_000);
  fs.utimesSync(path.join(mediaRoot, rel), then, then);
};

describe("uploads cut short", () => {
  it("a client dropping its upload halfway leaves no temp file and no row, and the server goes on", async () => {
    const { body, contentType } = bigUpload();
    const up = await partialUpload(server!, body, contentType, 0.5);
    await until("the temp file to be written", () => (tmpFiles().some((f) => f.endsWith(".upload")) ? true : undefined));
    up.req.destroy();
    await until("the temp file to be removed", () => (tmpFiles().length === 0 ? true : undefined));
    assert.deepEqual(await imageRows(), []);
    await assertConsistent("after an aborted upload");
    assert.equal((await request(server!.url).get("/readyz")).status, 200);
  });

  it("the server killed while an upload's body arrives: after a restart no row, nothing outside the temp dir", async () => {
    const { body, contentType } = bigUpload();
    const up = await partialUpload(server!, body, contentType, 0.5);
    const partial = await until("the temp file to be written", () => tmpFiles().find((f) => f.endsWith(".upload") && fs.statSync(path.join(mediaRoot, f)).size > 0));
    server!.child.kill("SIGKILL");
    await server!.exited;
    assert.match(await up.outcome, /^error/, "the client saw the connection die");
    server = await start();
    assert.deepEqual(await imageRows(), [], "no row");
    await assertConsistent("after the crash");
    assert.deepEqual(tmpFiles(), [partial], "only the dead upload's partial file, kept while it might still be another replica's");
  });

  it("the server killed after the files were placed but before their rows committed: a restart later sweeps the orphans and every dead temp file", async () => {
    // Hold the user's row: the image INSERT's foreign-key check waits for it, with the files already in place.
    const lock = new Client({ connectionString: db.url });
    await lock.connect();
    await lock.query("BEGIN");
    await lock.query("SELECT id FROM users WHERE id = $1 FOR UPDATE", [userId]);
    const { body, contentType } = multipart([
      { filename: "one.png", data: await png(64, 48), contentType: "image/png" },
      { filename: "two.png", data: await png(48, 64), contentType: "image/png" },
    ]);
    const up = await partialUpload(server!, body, contentType, 1);
    up.finish();
    // (Asked from a connection of its own: inside the lock's transaction pg_stat_activity would be a snapshot.)
    await until("the INSERT to wait for the lock", async () =>
      (await query(db.url, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO \"images\"%'")).length ? true : undefined);
    const placed = storedFiles();
    assert.equal(placed.length, 4, "two images and their thumbnails are in MEDIA_ROOT, without rows yet");
    server!.child.kill("SIGKILL");
    await server!.exited;
    await lock.query("ROLLBACK");
    await lock.end();
    assert.match(await up.outcome, /^error/);
    assert.deepEqual(await imageRows(), [], "nothing committed");

    // Restarted an hour and a half later (as the files' times now say): the orphans, and the partial file the
    // previous crash left, are swept at start-up.
    for (const f of listFiles(mediaRoot)) age(f);
    server = await start();
    await until("the orphans and temp files to be swept", () => (storedFiles().length === 0 && tmpFiles().length === 0 ? true : undefined));
    await assertConsistent("after the sweep");

    // And the server stores uploads normally.
    const ok = await request(server.url).post(await action(server)).set("Cookie", cookie).set("Content-Type", contentType).send(body);
    assert.equal(ok.status, 303);
    assert.equal((await imageRows()).length, 2);
    await assertConsistent("after a normal upload");
  });
});
