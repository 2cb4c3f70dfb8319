// The login limits count failed attempts only, per client address and per account: the account's budget is the
// same whichever of its names (username or email, any case) is typed; names with no account behave the same from
// outside; correct logins in flight never count; with Redis two app processes share the counts.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { connectRedis, type RedisClient } from "../../src/realtime-adapter";
import { createLogger } from "../../src/logger";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, csrfFrom, newCredentials } from "../helpers/agent";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { dropRedisKeys, redisKeysMatching, redisUnavailable, REDIS_TEST_URL } from "../production/server-process";

// TRUST_PROXY=1: each attempt names its client address in X-Forwarded-For, as nginx would.
const LIMITS = { LOGIN_RATE_LIMIT: "10", LOGIN_ACCOUNT_RATE_LIMIT: "5", TRUST_PROXY: "1" };

let app: TestApp;
before(async () => {
  app = await startTestApp(LIMITS);
});
after(() => app.close());

let address = 0;
/** A fresh client address each call, so only the per-account limit is in play (unless `ip` is given). */
const nextIp = () => `10.20.${Math.floor(++address / 250)}.${(address % 250) + 1}`;

async function attempt(target: TestApp, login: string, password: string, ip = nextIp()) {
  const a = agent(target);
  const page = await a.get("/login").set("X-Forwarded-For", ip);
  return a.post("/login").set("X-Forwarded-For", ip).type("form").send({ login, password, _csrf: csrfFrom(page.text) });
}

const lastLogin = async (target: TestApp, id: number) =>
  (await target.sql<{ last_login: Date | null }>("SELECT last_login FROM users WHERE id = $1", [id]))[0].last_login;

/** The page minus the CSRF token and what was typed. */
const normalise = (html: string, login: string) => html.replace(/value="[0-9a-f]{64}"/g, "").replaceAll(login, "LOGIN");

describe("per account, whichever name is typed", () => {
  it("five failures with the username leave no sixth guess with the email (or the reverse), right password included", async () => {
    for (const first of ["username", "email"] as const) {
      const creds = newCredentials("both");
      const user = await app.auth.signup(creds);
      const other = first === "username" ? creds.email : creds.username;
      for (let i = 0; i < 5; i++) assert.equal((await attempt(app, creds[first], "wrong password")).status, 422, `failure ${i + 1}`);
      const sixth = await attempt(app, other.toUpperCase(), "wrong password");
      assert.equal(sixth.status, 429, `the ${first === "username" ? "email" : "username"} shares the account's budget`);
      assert.match(sixth.text, /Too many attempts/);
      assert.equal((await attempt(app, other, creds.password)).status, 429, "the right password is refused too");
      assert.equal(await lastLogin(app, user.id), null);
    }
  });

  it("mixing the names counts every failure once: five in all, not five per name", async () => {
    const creds = newCredentials("mixed");
    await app.auth.signup(creds);
    const names = [creds.username, creds.email, creds.username.toUpperCase(), creds.email.toUpperCase(), ` ${creds.username} `];
    for (const name of names) assert.equal((await attempt(app, name, "wrong password")).status, 422);
    assert.equal((await attempt(app, creds.username, "wrong password")).status, 429);
  });

  it("a name with no account behaves as an account does: the same pages, the same 429, spelt in any case", async () => {
    const real = newCredentials("real");
    await app.auth.signup(real);
    const unknown = `Nobody_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
    const seen: { real: [number, string][]; unknown: [number, string][] } = { real: [], unknown: [] };
    for (let i = 0; i < 7; i++) {
      const spell = (s: string) => (i % 2 ? s.toUpperCase() : s.toLowerCase());
      const r = await attempt(app, spell(real.username), "wrong password");
      const u = await attempt(app, spell(unknown), "wrong password");
      seen.real.push([r.status, normalise(r.text, spell(real.username))]);
      seen.unknown.push([u.status, normalise(u.text, spell(unknown))]);
    }
    assert.deepEqual(seen.unknown, seen.real);
    assert.deepEqual(seen.real.map(([s]) => s), [422, 422, 422, 422, 422, 429, 429]);
  });

  it("a correct login forgives the account's failures (only the owner can do that)", async () => {
    const creds = newCredentials("forgive");
    const user = await app.auth.signup(creds);
    for (let i = 0; i < 4; i++) assert.equal((await attempt(app, creds.email, "wrong password")).status, 422);
    assert.equal((await attempt(app, creds.username, creds.password)).status, 303);
    for (let i = 0; i < 5; i++) assert.equal((await attempt(app, creds.username, "wrong password")).status, 422, `fresh budget: ${i + 1}`);
    assert.equal((await attempt(app, creds.username, "wrong password")).status, 429);
    assert.ok(await lastLogin(app, user.id));
  });
});

describe("only failures count", () => {
  it("32 simultaneous correct logins to one account from one address all get in", async () => {
    const creds = newCredentials("burst");
    const user = await app.auth.signup(creds);
    const ip = nextIp();
    const results = await Promise.all(Array.from({ length: 32 }, (_, i) => attempt(app, i % 2 ? creds.email : creds.username, creds.password, ip)));
    assert.deepEqual(results.map((r) => r.status), Array(32).fill(303));
    const sessions = await app.sql("SELECT sid FROM session WHERE (sess -> 'passport' ->> 'user') = $1", [String(user.id)]);
    assert.equal(sessions.length, 32, "32 logged-in sessions stored");
    // Neither limit was touched: the address and the account still have all their failures left.
    for (let i = 0; i < 5; i++) assert.equal((await attempt(app, creds.username, "wrong password", ip)).status, 422);
    assert.equal((await attempt(app, creds.username, "wrong password", ip)).status, 429);
  });

  it("guesses sent all at once get no more answers than the limit allows; the others are 429", async () => {
    const creds = newCredentials("flood");
    const user = await app.auth.signup(creds);
    const guesses = Array.from({ length: 12 }, (_, i) => `wrong guess ${i}`);
    guesses.push(creds.password);
    const results = await Promise.all(guesses.map((g) => attempt(app, creds.username, g)));
    const statuses = results.map((r) => r.status);
    const answered = statuses.filter((s) => s !== 429).length;
    assert.ok(answered <= 6, `at most five failures and one success are answered: ${statuses.join(",")}`);
    assert.ok(statuses.filter((s) => s === 422).length <= 5, statuses.join(","));
    if (statuses.at(-1) !== 303) assert.equal(await lastLogin(app, user.id), null, "a refused right guess did not log in");
  });
});

describe("per client address", () => {
  it("stops an address after LOGIN_RATE_LIMIT failures over many names, right password included; others go on", async () => {
    const victim = newCredentials("ipvictim");
    const user = await app.auth.signup(victim);
    const ip = nextIp();
    for (let i = 0; i < 10; i++) assert.equal((await attempt(app, `spray${i}_${process.pid}`, "wrong password", ip)).status, 422);
    assert.equal((await attempt(app, victim.username, victim.password, ip)).status, 429);
    assert.equal(await lastLogin(app, user.id), null);
    assert.equal((await attempt(app, victim.username, victim.password)).status, 303, "another address is not limited");
  });

  it("successful logins from one address do not count towards it", async () => {
    const ip = nextIp();
    for (let i = 0; i < 12; i++) {
      const creds = newCredentials("office");
      await app.auth.signup(creds);
      assert.equal((await attempt(app, creds.username, creds.password, ip)).status, 303, `login ${i + 1}`);
    }
  });
});

describe("with Redis, shared by two app processes", () => {
  const prefix = `hromada-test-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  let redisDown: string | null = null;
  let db: TestDatabase;
  const clients: RedisClient[] = [];
  const apps: TestApp[] = [];

  before(async () => {
    redisDown = await redisUnavailable();
    if (redisDown) return;
    db = await createTestDatabase();
    const env = { ...LIMITS, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix };
    for (let i = 0; i < 2; i++) {
      const redis = (await connectRedis({ redisUrl: REDIS_TEST_URL }, createLogger({ logLevel: "silent" })))!;
      clients.push(redis);
      apps.push(await startTestApp(env, { db, redis }));
    }
  });
  after(async () => {
    for (const a of apps) await a.close();
    for (const c of clients) await c.close().catch(() => {});
    await db?.drop();
    if (!redisDown) await dropRedisKeys(prefix);
  });

  it("failures on A by username and on B by email add up to one limit, kept as one counter for the account", async (t) => {
    if (redisDown) return t.skip(`no Redis at ${REDIS_TEST_URL}: ${redisDown}`);
    const [a, b] = apps;
    const creds = newCredentials("shared");
    const user = await a.auth.signup(creds);
    for (let i = 0; i < 5; i++) {
      const [server, name] = i % 2 ? [b, creds.email] : [a, creds.username];
      assert.equal((await attempt(server, name, "wrong password")).status, 422, `failure ${i + 1}`);
    }
    assert.equal((await attempt(b, creds.username, creds.password)).status, 429, "B refuses: A's failures count");
    assert.equal((await attempt(a, creds.email, creds.password)).status, 429);
    const keys = await redisKeysMatching(`${prefix}:rl:login-account:*`);
    assert.deepEqual(keys, [`${prefix}:rl:login-account:user:${user.id}`], "one counter, for the account, naming neither name");
    assert.equal(await lastLogin(a, user.id), null);
  });

  it("32 simultaneous correct logins spread over both processes all get in", async (t) => {
    if (redisDown) return t.skip(`no Redis at ${REDIS_TEST_URL}: ${redisDown}`);
    const creds = newCredentials("sharedburst");
    const user = await apps[0].auth.signup(creds);
    const ip = nextIp();
    const results = await Promise.all(Array.from({ length: 32 }, (_, i) => attempt(apps[i % 2], creds.username, creds.password, ip)));
    assert.deepEqual(results.map((r) => r.status), Array(32).fill(303));
    assert.equal((await apps[0].sql("SELECT sid FROM session WHERE (sess -> 'passport' ->> 'user') = $1", [String(user.id)])).length, 32);
  });

  it("while Redis is unreachable, attempts go through (wrong ones 422, right ones in) and the outage is logged", async (t) => {
    if (redisDown) return t.skip(`no Redis at ${REDIS_TEST_URL}: ${redisDown}`);
    const lines: { msg?: string; limiter?: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const redis = (await connectRedis({ redisUrl: REDIS_TEST_URL }, createLogger({ logLevel: "silent" })))!;
    const c = await startTestApp({ ...LIMITS, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix }, { db, redis, logger: pino({ level: "error" }, sink) });
    apps.push(c);
    await redis.close();
    const creds = newCredentials("redisdown");
    const user = await c.auth.signup(creds);
    for (let i = 0; i < 7; i++) assert.equal((await attempt(c, creds.username, "wrong password")).status, 422, `failure ${i + 1} answered`);
    assert.equal((await attempt(c, creds.email, creds.password)).status, 303);
    assert.ok(await lastLogin(c, user.id));
    assert.ok(lines.some((l) => l.msg === "rate-limit store unavailable; attempt let through" && l.limiter === "login-account"), "logged");
  });
});
