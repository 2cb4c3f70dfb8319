// Two app processes on one database and one Redis, as behind a load balancer: sessions, socket.io rooms,
// connection state recovery and rate limits must all work across them.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import net from "node:net";
import { after, before, test } from "node:test";
import request from "supertest";
import { io as ioClient, type Socket } from "socket.io-client";
import { csrfFrom } from "../helpers/agent";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import {
  dropRedisKeys, query, redisKeysMatching, redisUnavailable, REDIS_TEST_URL, sessionCookie, sidOf, startServerProcess, type ServerProcess,
} from "./server-process";

const prefix = `hromada-test-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
let redisDown: string | null = null;
let db: TestDatabase;
let a: ServerProcess;
let b: ServerProcess;

before(async () => {
  redisDown = await redisUnavailable();
  if (redisDown) return;
  db = await createTestDatabase();
  const env = {
    NODE_ENV: "test",
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: "4",
    REDIS_URL: REDIS_TEST_URL,
    REDIS_KEY_PREFIX: prefix,
    BCRYPT_COST: "4",
    LOGIN_RATE_LIMIT: "1000",
    LOGIN_ACCOUNT_RATE_LIMIT: "3",
    SIGNUP_RATE_LIMIT: "1000",
    LOG_LEVEL: "warn",
  };
  // Started one after the other: the second finds the migrations applied by the first... or waits on its lock.
  [a, b] = await Promise.all([startServerProcess({ env }), startServerProcess({ env })]);
});

after(async () => {
  if (redisDown) return;
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.drop();
  await dropRedisKeys(prefix);
});

let counter = 0;
/** Signs up through the form on one process; returns the session cookie and the user. */
async function signUp(server: ServerProcess) {
  counter += 1;
  const username = `scale${counter}_${process.pid}`;
  const agent = request.agent(server.url);
  const page = await agent.get("/signup");
  const res = await agent.post("/signup").type("form").send({
    username, email: `${username}@example.test`, password: "correct horse battery", password_confirm: "correct horse battery",
    _csrf: csrfFrom(page.text),
  });
  assert.equal(res.status, 303, res.text.slice(0, 300));
  const [user] = await query<{ id: number }>(db.url, "SELECT id FROM users WHERE username = $1", [username]);
  return { username, userId: user.id, cookie: sessionCookie(res.headers["set-cookie"]), sid: sidOf(res.headers["set-cookie"]) };
}

function connect(url: string, cookie: string, opts: Partial<Parameters<typeof ioClient>[1]> = {}): Promise<Socket> {
  const socket = ioClient(url, { transports: ["websocket"], extraHeaders: { Cookie: cookie }, reconnection: false, ...opts });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => reject(err));
  });
}

test("two app processes behind one load balancer", async (t) => {
  if (redisDown) {
    t.skip(`Redis is not reachable at ${REDIS_TEST_URL} (${redisDown}): the cross-process tests need it (see "Several processes" in README.md)`);
    return;
  }

  await t.test("both run against the same database and report ready, Redis included", async () => {
    assert.notEqual(a.port, b.port);
    for (const s of [a, b]) {
      const res = await request(s.url).get("/readyz");
      assert.equal(res.status, 200);
      assert.equal(res.text, "ready");
    }
    const [{ n }] = await query<{ n: string }>(db.url, "SELECT count(*) AS n FROM migrations");
    assert.ok(Number(n) >= 1, "migrations recorded once per migration");
    const dupes = await query(db.url, "SELECT name FROM migrations GROUP BY name HAVING count(*) > 1");
    assert.deepEqual(dupes, [], "no migration ran twice");
  });

  await t.test("a login on one process is valid on the other", async () => {
    const user = await signUp(a);
    const home = await request(b.url).get("/").set("Cookie", user.cookie);
    assert.equal(home.status, 200);
    assert.match(home.text, new RegExp(user.username));
    assert.doesNotMatch(home.text, /action="\/login"[^>]*>\s*<[^>]*name="login"/, "not the login form");
    const rows = await query<{ user: string }>(db.url, "SELECT sess -> 'passport' ->> 'user' AS user FROM session WHERE sid = $1", [user.sid]);
    assert.deepEqual(rows, [{ user: String(user.userId) }]);
  });

  await t.test("logging out on B ends the live socket connected to A (a room operation crossing processes)", async () => {
    const user = await signUp(a);
    const socket = await connect(a.url, user.cookie);
    const reason = new Promise<string>((resolve) => socket.once("disconnect", resolve));
    const page = await request(b.url).get("/").set("Cookie", user.cookie);
    const res = await request(b.url).post("/logout").set("Cookie", user.cookie).type("form").send({ _csrf: csrfFrom(page.text) });
    assert.equal(res.status, 303);
    assert.equal(await reason, "io server disconnect");
    const rows = await query(db.url, "SELECT sid FROM session WHERE sid = $1", [user.sid]);
    assert.deepEqual(rows, [], "the session row is gone");
    socket.close();
  });

  await t.test("login rate limits are shared: failures on A and B add up to one limit", async () => {
    const victim = `victim_${process.pid}`;
    const attempt = async (server: ServerProcess) => {
      const agent = request.agent(server.url);
      const page = await agent.get("/login");
      return agent.post("/login").type("form").send({ login: victim, password: "wrong password", _csrf: csrfFrom(page.text) });
    };
    assert.equal((await attempt(a)).status, 422);
    assert.equal((await attempt(b)).status, 422);
    assert.equal((await attempt(a)).status, 422);
    const blocked = await attempt(b);
    assert.equal(blocked.status, 429, "the fourth failure is refused although B saw only two");
    assert.match(blocked.text, /Too many attempts/);
    const keys = await redisKeysMatching(`${prefix}:rl:login-account:*`);
    assert.ok(keys.some((k) => k.includes(victim)), `a shared counter in Redis: ${keys.join(", ")}`);
  });

  await t.test("chat crosses processes: presence, typing, messages and unread badges (Alice on A, Bob on B)", async () => {
    const alice = await signUp(a);
    const bob = await signUp(b);
    const chatId = await openDirectChat(a, alice, bob.userId);
    const aliceSocket = await connect(a.url, alice.cookie);
    // Alice's other tab, on another page (not in the chat room): the one that gets the unread badge update.
    const aliceElsewhere = await connect(a.url, alice.cookie);
    const bobSocket = await connect(b.url, bob.cookie);
    try {
      const bothPresent = waitFor(aliceSocket, "chat:presence", (p: { chatId: number; users: { id: number }[] }) =>
        p.chatId === chatId && p.users.some((u) => u.id === bob.userId) && p.users.some((u) => u.id === alice.userId));
      assert.deepEqual(await aliceSocket.emitWithAck("chat:join", { chatId }), { ok: true });
      assert.deepEqual(await bobSocket.emitWithAck("chat:join", { chatId }), { ok: true });
      await bothPresent; // Bob's join on B listed the sockets of both processes

      const typing = waitFor(aliceSocket, "chat:typing", (e: { userId: number }) => e.userId === bob.userId);
      assert.equal((await bobSocket.emitWithAck("chat:typing", { chatId, typing: true })).ok, true);
      assert.deepEqual(await typing, { chatId, userId: bob.userId, username: bob.username, typing: true });

      const text = `hello from B ${crypto.randomUUID()}`;
      const received = waitFor(aliceSocket, "chat:message", (m: { text: string; id: number; userId: number }) => m.text === text);
      const unread = waitFor(aliceElsewhere, "chat:unread", (u: { chatId?: number; delta?: number; from?: string }) => u.chatId === chatId && u.delta === 1);
      const ack = await bobSocket.emitWithAck("chat:message", { chatId, text, clientId: crypto.randomUUID() });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      const message = await received;
      assert.equal(message.userId, bob.userId);
      assert.equal(message.id, ack.message.id);
      assert.equal((await unread).from, bob.username);
      const rows = await query(db.url, "SELECT chat_id, user_id, message FROM messages WHERE id = $1", [message.id]);
      assert.deepEqual(rows, [{ chat_id: chatId, user_id: bob.userId, message: text }]);

      // Bob leaves the page: Alice, on the other process, sees him go.
      const bobGone = waitFor(aliceSocket, "chat:presence", (p: { chatId: number; users: { id: number }[] }) =>
        p.chatId === chatId && !p.users.some((u) => u.id === bob.userId));
      bobSocket.close();
      await bobGone;
    } finally {
      aliceSocket.close();
      aliceElsewhere.close();
      bobSocket.close();
    }
  });

  await t.test("a socket whose process shuts down reconnects to the other and recovers what it missed", async () => {
    const alice = await signUp(b);
    const bob = await signUp(b);
    const chatId = await openDirectChat(b, alice, bob.userId);
    // A stand-in for the load balancer: new connections go wherever `target` says (nowhere: refused).
    let target: number | null = a.port;
    const open = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      if (target === null) return client.destroy();
      open.add(client);
      const upstream = net.connect(target, "127.0.0.1");
      client.pipe(upstream).pipe(client);
      const end = () => { client.destroy(); upstream.destroy(); };
      client.on("error", end);
      upstream.on("error", end);
      client.on("close", end);
      upstream.on("close", end);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const bobSocket = await connect(b.url, bob.cookie);
    let socket: Socket | undefined;
    try {
      socket = await connect(proxyUrl, alice.cookie, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 200 });
      const firstId = socket.id;
      // Recovery resumes from the offset of the last broadcast the client received; until the first one (the
      // presence list that follows a join) it has none, and a reconnect is a fresh connection. Under load that
      // broadcast can still be on its way when A stops: wait for it, as a real session would have had it.
      const present = waitFor(socket, "chat:presence", (p: { chatId: number }) => p.chatId === chatId);
      assert.deepEqual(await socket.emitWithAck("chat:join", { chatId }), { ok: true });
      await present;
      const seen: string[] = [];
      socket.on("chat:message", (m: { text: string }) => seen.push(m.text));
      const hint = new Promise<unknown>((resolve) => socket!.once("server:shutdown", resolve));
      const reason = new Promise<string>((resolve) => socket!.once("disconnect", resolve));
      // "connect" (not the manager's "reconnect", which fires before the server's answer says whether it recovered)
      const reconnected = new Promise<void>((resolve) => socket!.once("connect", () => resolve()));

      target = null; // A is going away and nothing takes its connections yet
      const code = await a.stop("SIGTERM");
      assert.equal(code, 0, a.output().slice(-2000));
      assert.deepEqual(await hint, { reconnect: true }, "told to reconnect before the close");
      assert.equal(await reason, "transport close", "a transport close, which socket.io clients answer by reconnecting");

      // Sent while Alice is disconnected.
      const missed = `sent while you were away ${crypto.randomUUID()}`;
      assert.equal((await bobSocket.emitWithAck("chat:message", { chatId, text: missed, clientId: crypto.randomUUID() })).ok, true);
      target = b.port;
      await reconnected;
      assert.equal(socket.recovered, true, "B restored the session A persisted in Redis");
      assert.equal(socket.id, firstId, "same socket id after recovery");
      await until(() => seen.includes(missed));
      assert.deepEqual(seen, [missed], "the missed message was replayed, once");
    } finally {
      socket?.close();
      bobSocket.close();
      for (const c of open) c.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});

/** Alice opens a direct chat with another user through the form, as the "Message" button does. */
async function openDirectChat(server: ServerProcess, who: { cookie: string }, otherId: number): Promise<number> {
  const page = await request(server.url).get("/chats").set("Cookie", who.cookie);
  const res = await request(server.url).post("/chats/direct").set("Cookie", who.cookie).type("form")
    .send({ user_id: String(otherId), _csrf: csrfFrom(page.text) });
  assert.equal(res.status, 303, res.text.slice(0, 300));
  const id = Number(/^\/chats\/(\d+)$/.exec(res.headers.location)?.[1]);
  assert.ok(id > 0, res.headers.location);
  return id;
}

/** The next event of this name whose payload passes the check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function waitFor<T = any>(socket: Socket, event: string, check: (payload: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    // A missing event fails the test instead of hanging the suite.
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no matching "${event}" within 10 s`));
    }, 10_000);
    const listener = (payload: T) => {
      if (!check(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

async function until(condition: () => boolean, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(condition(), "condition reached");
}
