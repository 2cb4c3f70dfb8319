// Graceful shutdown under load: SIGTERM arrives while real requests (logins hashing at bcrypt cost 10, a login
// and an image upload whose bodies are still arriving) are in flight. None of them may fail.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { after, before, describe, it } from "node:test";
import request from "supertest";
import { io as ioClient } from "socket.io-client";
import { csrfFrom } from "../helpers/agent";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { portRefuses, query, sessionCookie, sidOf, startServerProcess, type ServerProcess } from "./server-process";

let db: TestDatabase;
const mediaRoot = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-drain-media-"));
const creds = { username: `drain_${process.pid}`, password: "correct horse battery" };
let userId: number;

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
  fs.rmSync(mediaRoot, { recursive: true, force: true });
});

function start(extra: Record<string, string> = {}) {
  return startServerProcess({
    env: { NODE_ENV: "test", DATABASE_URL: db.url, BCRYPT_COST: "10", LOGIN_RATE_LIMIT: "1000", LOGIN_ACCOUNT_RATE_LIMIT: "1000", LOG_LEVEL: "info", MEDIA_ROOT: mediaRoot, ...extra },
  });
}

/** A login form ready to post: a session cookie and its CSRF token, as a browser has after GET /login. */
async function loginForm(server: ServerProcess) {
  const page = await request(server.url).get("/login");
  assert.equal(page.status, 200);
  const body = new URLSearchParams({ login: creds.username, password: creds.password, _csrf: csrfFrom(page.text) }).toString();
  return { cookie: sessionCookie(page.headers["set-cookie"]), body };
}

interface Sent {
  /**
   * Resolves once the server has accepted the connection and parsed the request (its "100 Continue" came back)
   * and the first part of the body has been handed to the kernel.
   */
  written: Promise<void>;
  /** Sends the rest of the body. */
  finish(): void;
  response: Promise<{ status: number; headers: http.IncomingHttpHeaders; at: number }>;
}

/** An image upload as the gallery form sends it: multipart, with the CSRF token in the action URL. */
async function uploadForm(server: ServerProcess, cookie: string) {
  const page = await request(server.url).get("/gallery").set("Cookie", cookie);
  assert.equal(page.status, 200);
  const action = /action="(\/gallery\?_csrf=[^"]+)"/.exec(page.text)?.[1].replace(/&amp;/g, "&");
  assert.ok(action, "the upload form");
  const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 30, g: 120, b: 200 } } }).png().toBuffer();
  const boundary = `----hromada${crypto.randomBytes(8).toString("hex")}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="drain.png"\r\nContent-Type: image/png\r\n\r\n`),
    png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { cookie, body, path: action, contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * A raw POST on a connection of its own. It asks "Expect: 100-continue", which Node's server answers as soon
 * as it has parsed the request: so `written` proves the server accepted it, not merely that the kernel queued
 * it. With `hold`, only the first half of the body is sent until finish().
 */
function post(server: ServerProcess, path: string, form: { cookie: string; body: string | Buffer; contentType?: string }, hold = false): Sent {
  const body = Buffer.from(form.body);
  const req = http.request({
    host: "127.0.0.1", port: server.port, path, method: "POST", agent: false,
    headers: {
      "content-type": form.contentType ?? "application/x-www-form-urlencoded", "content-length": body.length, cookie: form.cookie,
      expect: "100-continue",
    },
  });
  const cut = hold ? Math.floor(body.length / 2) : body.length;
  const response = new Promise<{ status: number; headers: http.IncomingHttpHeaders; at: number }>((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, at: Date.now() }));
    });
    req.on("error", reject);
  });
  response.catch(() => {}); // awaited by the test; this only keeps an early failure from being "unhandled"
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    req.end(body.subarray(cut));
  };
  const written = new Promise<void>((resolve) =>
    req.once("continue", () => {
      req.write(body.subarray(0, cut), () => resolve());
      if (!hold) finish();
    }),
  );
  req.flushHeaders();
  return { written, finish, response };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, attempts = 300): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function sessionsOfUser(): Promise<string[]> {
  const rows = await query<{ sid: string }>(db.url, "SELECT sid FROM session WHERE (sess -> 'passport' ->> 'user') = $1", [String(userId)]);
  return rows.map((r) => r.sid);
}

describe("graceful shutdown", () => {
  before(async () => {
    const server = await start();
    try {
      const page = await request.agent(server.url).get("/signup");
      const res = await request(server.url).post("/signup").set("Cookie", sessionCookie(page.headers["set-cookie"])).type("form").send({
        username: creds.username, email: `${creds.username}@example.test`, password: creds.password, password_confirm: creds.password, _csrf: csrfFrom(page.text),
      });
      assert.equal(res.status, 303, res.text);
      [{ id: userId }] = await query<{ id: number }>(db.url, "SELECT id FROM users WHERE username = $1", [creds.username]);
      await query(db.url, "DELETE FROM session");
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it("finishes every request accepted before SIGTERM, tells sockets to reconnect, and exits 0", async (t) => {
    const server = await start();
    const forms = await Promise.all(Array.from({ length: 16 }, () => loginForm(server)));
    const login = await loginForm(server);
    const socketCookie = sessionCookie((await request(server.url).post("/login").set("Cookie", login.cookie).type("form").send(login.body)).headers["set-cookie"]);
    const socket = ioClient(server.url, { transports: ["websocket"], extraHeaders: { Cookie: socketCookie }, reconnection: false });
    await new Promise<void>((resolve, reject) => { socket.once("connect", resolve); socket.once("connect_error", reject); });
    const hint = new Promise<unknown>((resolve) => socket.once("server:shutdown", resolve));
    const reason = new Promise<string>((resolve) => socket.once("disconnect", resolve));

    const slow = post(server, "/login", await loginForm(server), true); // its body is still arriving at SIGTERM
    const image = await uploadForm(server, socketCookie);
    const upload = post(server, image.path, image, true); // and so is this upload's
    const batch = forms.map((f) => post(server, "/login", f));
    await Promise.all([slow.written, upload.written, ...batch.map((s) => s.written)]);
    const signalledAt = Date.now();
    server.child.kill("SIGTERM");

    // The listener closes while the held request is still incomplete; only then does its body arrive.
    await until("the listener to close", async () => ((await portRefuses(server.port)) ? true : undefined));
    slow.finish();
    upload.finish();
    const uploaded = await upload.response;
    assert.equal(uploaded.status, 303, "the upload in progress at SIGTERM was stored");
    assert.equal(uploaded.headers.location, "/gallery");

    const responses = await Promise.all([slow.response, ...batch.map((s) => s.response)]);
    for (const r of responses) {
      assert.equal(r.status, 303, "every login accepted before the signal succeeded");
      assert.equal(r.headers.location, "/");
    }
    t.diagnostic(`${responses.filter((r) => r.at > signalledAt).length} of ${responses.length} responses were sent after SIGTERM`);
    assert.ok(responses[0].at > signalledAt, "the held request was answered after the signal");
    assert.deepEqual(await hint, { reconnect: true });
    assert.equal(await reason, "transport close", "closed so that the client reconnects (elsewhere)");
    socket.close();

    assert.equal(await server.exited, 0, server.output().slice(-3000));
    assert.match(server.output(), /"msg":"bye"/);
    assert.equal(await portRefuses(server.port), true);
    // Each login's session was stored before its redirect went out.
    const stored = await sessionsOfUser();
    for (const r of responses) assert.ok(stored.includes(sidOf(r.headers["set-cookie"])), "the new session is in the database");
    const images = await query<{ path: string; thumb_path: string; original_name: string }>(db.url,
      "SELECT i.path, i.thumb_path, i.original_name FROM images i JOIN users u ON u.gallery_id = i.gallery_id WHERE u.id = $1", [userId]);
    assert.equal(images.length, 1);
    assert.equal(images[0].original_name, "drain.png");
    for (const f of [images[0].path, images[0].thumb_path]) assert.ok(fs.statSync(path.join(mediaRoot, f)).size > 0, `${f} is on disk`);
    const [{ last_login }] = await query<{ last_login: Date | null }>(db.url, "SELECT last_login FROM users WHERE id = $1", [userId]);
    assert.ok(last_login, "recordLogin ran");
  });

  it("with SHUTDOWN_DELAY_SECONDS, reports not-ready but keeps serving, then drains an unfinished request", async () => {
    const server = await start({ SHUTDOWN_DELAY_SECONDS: "2" });
    assert.equal((await request(server.url).get("/readyz")).status, 200);
    const held = post(server, "/login", await loginForm(server), true);
    await held.written;
    server.child.kill("SIGTERM");

    const notReady = await until("/readyz to turn 503", async () => {
      const res = await request(server.url).get("/readyz");
      return res.status === 503 ? res : undefined;
    });
    assert.equal(notReady.text, "shutting down");
    const page = await request(server.url).get("/login");
    assert.equal(page.status, 200, "still serving while the load balancer moves away");
    assert.equal(page.headers.connection, "close", "and asks clients not to keep the connection");

    await until("the listener to close", async () => ((await portRefuses(server.port)) ? true : undefined), 1000);
    held.finish();
    const res = await held.response;
    assert.equal(res.status, 303);
    assert.equal(await server.exited, 0, server.output().slice(-3000));
    assert.ok((await sessionsOfUser()).includes(sidOf(res.headers["set-cookie"])));
  });
});
