// Unread events across app processes (the Redis streams adapter, as with REDIS_URL): a message's chat:unread
// skips every socket in the chat's room, on whichever process that socket is connected, and still reaches the
// members' sockets outside it. Two apps in this one process stand for two servers: they share only the
// database and Redis. Skipped when no Redis answers.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { after, before, it } from "node:test";
import type { Socket } from "socket.io-client";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { createDataSource, openDatabase } from "../../src/db/data-source";
import { createLogger } from "../../src/logger";
import { connectRedis, type RedisClient } from "../../src/realtime-adapter";
import type { TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials } from "../helpers/agent";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { dropRedisKeys, redisUnavailable, REDIS_TEST_URL } from "../production/server-process";
import { ask, closeAll, collect, connect, createGroup, next, type MessageLike } from "./helpers";

const prefix = `hromada-test-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
let redisDown: string | null = null;
let db: TestDatabase;
let tmp: string;
const nodes: { app: TestApp; redis: RedisClient; stop(): Promise<void> }[] = [];

/** One app on the shared database and Redis, listening on its own port: what the helpers expect of a TestApp. */
async function startNode() {
  const config = loadConfig({
    NODE_ENV: "test", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", BCRYPT_COST: "4",
    DATABASE_URL: db.url, DATABASE_POOL_SIZE: "3",
    DATA_DIR: path.join(tmp, "data"), MEDIA_ROOT: path.join(tmp, "media"),
    REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix,
    LOGIN_RATE_LIMIT: "10000", LOGIN_ACCOUNT_RATE_LIMIT: "10000", SIGNUP_RATE_LIMIT: "10000", CHAT_MESSAGES_PER_10S: "10000",
    HOST: "127.0.0.1",
  });
  const logger = createLogger(config);
  const redis = (await connectRedis(config, logger))!;
  const ds = createDataSource({ url: db.url, poolSize: config.databasePoolSize });
  await openDatabase(ds, { migrate: false });
  const built = createApp({ config, logger, ds, sessionSecret: "test-secret-0123456789abcdef0123456789", redis });
  await new Promise<void>((resolve) => built.server.listen(0, "127.0.0.1", resolve));
  const { port } = built.server.address() as AddressInfo;
  const app = {
    ...built, url: `http://127.0.0.1:${port}`, config, db, mediaRoot: config.mediaRoot,
    sql: async (text: string, params?: unknown[]) => (await built.deps.pool.query(text, params)).rows,
    close: async () => {},
  } as unknown as TestApp;
  const node = {
    app,
    redis,
    stop: async () => {
      built.io.disconnectSockets(true);
      await new Promise<void>((resolve) => built.io.close(() => resolve()));
      built.server.closeAllConnections();
      await redis.close().catch(() => {});
      if (ds.isInitialized) await ds.destroy();
    },
  };
  nodes.push(node);
  return node;
}

before(async () => {
  redisDown = await redisUnavailable();
  if (redisDown) return;
  db = await createTestDatabase();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-test-"));
});

after(async () => {
  if (redisDown) return;
  for (const n of nodes) await n.stop();
  await db?.drop();
  await dropRedisKeys(prefix);
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Unread = { chatId?: number; messageId?: number; delta?: number; unread?: number; total?: number; text?: string };

it("sends chat:unread only to member sockets outside the chat room, on both processes", async (t) => {
  if (redisDown) return t.skip(`no Redis at ${REDIS_TEST_URL}: ${redisDown}`);
  const { app: A } = await startNode();
  const { app: B } = await startNode();
  const a = await loggedInAgent(A, newCredentials("clu"));
  const b = await loggedInAgent(B, newCredentials("clu"));
  const c = await loggedInAgent(A, newCredentials("clu"));
  const group = await createGroup(a.agent, "Across servers", [b.creds.username, c.creds.username]);
  // The sender on A; b's tabs on B (one with the chat open), c's tabs on A (the same).
  const [sa, bOpen, bElsewhere, cOpen, cElsewhere] = await Promise.all([
    connect(A, a.agent), connect(B, b.agent), connect(B, b.agent), connect(A, c.agent), connect(A, c.agent),
  ]);
  for (const s of [sa, bOpen, cOpen]) assert.deepEqual(await ask(s, "chat:join", { chatId: group }), { ok: true });
  const watched = { bOpen, bElsewhere, cOpen, cElsewhere };
  const got = Object.fromEntries(Object.entries(watched).map(([name, s]) => {
    const messages = collect<MessageLike>(s, "chat:message");
    const unread = collect<Unread>(s, "chat:unread");
    return [name, { messages: () => messages.filter((m) => m.chatId === group), unread: () => unread.filter((e) => e.chatId === group) }];
  })) as Record<keyof typeof watched, { messages: () => MessageLike[]; unread: () => Unread[] }>;

  const texts = ["over the stream 1", "over the stream 2"];
  const last = texts.at(-1)!;
  const lastMessage = (s: Socket) => next<MessageLike>(s, "chat:message", (m) => m.chatId === group && m.text === last);
  const lastDelta = (s: Socket) => next<Unread>(s, "chat:unread", (e) => e.chatId === group && e.text === last);
  const arrived = Promise.all([lastMessage(bOpen), lastMessage(cOpen), lastDelta(bElsewhere), lastDelta(cElsewhere)]);
  for (const text of texts) assert.equal((await ask(sa, "chat:message", { chatId: group, text, clientId: crypto.randomUUID() })).ok, true);
  await arrived;

  // Reading is the fence: its chat:unread goes out after everything above reached the reader's process.
  for (const [reader, tab] of [[bElsewhere, bOpen], [cElsewhere, cOpen]]) {
    const cleared = [reader, tab].map((s) => next<Unread>(s, "chat:unread", (e) => e.chatId === group && e.unread === 0));
    assert.equal((await ask(reader, "chat:read", { chatId: group, messageId: 2147483000 })).total, 0);
    await Promise.all(cleared);
  }
  for (const name of ["bOpen", "cOpen"] as const) {
    assert.deepEqual(got[name].messages().map((m) => m.text), texts, `${name}: every message once`);
    assert.deepEqual(got[name].unread().map((e) => e.unread), [0], `${name}: no chat:unread for the messages, only the read`);
  }
  for (const name of ["bElsewhere", "cElsewhere"] as const) {
    assert.deepEqual(got[name].messages(), [], `${name}: not in the room`);
    assert.deepEqual(got[name].unread().map((e) => e.delta ?? `read, total ${e.total}`), [1, 1, "read, total 0"], name);
  }
  closeAll(sa, ...Object.values(watched));
});
