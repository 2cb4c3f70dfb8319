// The benchmark compares the app with a raw baseline (bench/baseline.ts); that ratio only means something if
// both serve the same page. This renders the home page of one user with 20 notes through the app and
// through the baseline, on the same database and session, and compares them. It also checks the benchmark's
// seeding tricks: a copied session row is accepted by the app, and a forged cookie by neither.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Pool } from "pg";
import { createBaselineHandler } from "../../bench/baseline";
import { createFloorApp } from "../../bench/stack-floor";
import { htmlDifference } from "../../bench/lib/html";
import { Browser, logIn } from "../../bench/lib/http";
import { mintSessions, noteTexts, SESSION_COOKIE, signedCookieValue, type LoggedIn } from "../../bench/lib/seed";
import { startTestApp, type TestApp } from "../helpers/app";
import { newCredentials } from "../helpers/agent";

// startTestApp's session secret (test/helpers/app.ts): the baseline must verify the app's cookies with it.
const SECRET = "test-secret-0123456789abcdef0123456789";

let app: TestApp;
let pool: Pool;
let baseline: http.Server;
let baselineUrl: string;
let floor: http.Server;
let floorUrl: string;
let user: LoggedIn;

const noteBodies = (html: string) => [...html.matchAll(/<div class="note-body" data-user-content>([\s\S]*?)<\/div>/g)].map((m) => m[1]);

/** One GET on a fresh connection (no keep-alive reuse between the two servers), failing fast if it hangs. */
function get(url: string, cookie?: string): Promise<{ status: number; location: string | null; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: cookie ? { cookie } : {}, timeout: 20_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? null, text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} with ${cookie ? "a cookie" : "no cookie"}: no answer in 20 s`)));
    req.on("error", reject);
  });
}

before(async () => {
  app = await startTestApp();
  pool = new Pool({ connectionString: app.db.url, max: 2 });
  // The database is dropped (WITH FORCE) at the end: a connection still closing then gets "terminating
  // connection due to administrator command", which an unheard pool would raise as an uncaught error.
  pool.on("error", () => {});
  baseline = http.createServer(createBaselineHandler(pool, SECRET));
  await new Promise<void>((resolve) => baseline.listen(0, "127.0.0.1", resolve));
  baselineUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}`;
  floor = http.createServer(createFloorApp(pool, SECRET));
  await new Promise<void>((resolve) => floor.listen(0, "127.0.0.1", resolve));
  floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}`;

  const creds = newCredentials("bench");
  const created = await app.auth.signup(creds);
  // An established account, as the bench's seeded users are: a fresh sign-up's "confirm your address" banner is
  // not part of the page the benchmark measures.
  await app.sql("UPDATE users SET email_verified_at = now() WHERE id = $1", [created.id]);
  await app.sql(
    `INSERT INTO notes (data, user_id, date, updated_at)
     SELECT t, $2, now() - make_interval(hours => (21 - i)::int), CASE WHEN i % 3 = 0 THEN now() END
     FROM unnest($1::text[]) WITH ORDINALITY AS x(t, i)`,
    [noteTexts(), created.id],
  );
  const browser = new Browser(app.url);
  await logIn(browser, creds.username, creds.password);
  user = { id: created.id, username: created.username, browser, cookie: `${SESSION_COOKIE}=${browser.cookies.get(SESSION_COOKIE)}` };
  // The first page after logging in stores the session's CSRF token, which both servers then print.
  assert.equal((await browser.get("/")).status, 200);
});

after(async () => {
  for (const server of [baseline, floor]) {
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
  }
  await pool.end();
  await app.close();
});

describe("bench/baseline.ts", () => {
  it("serves the same home page as the app for the same user and session", async () => {
    const fromApp = await get(app.url + "/", user.cookie);
    const fromBaseline = await get(baselineUrl + "/", user.cookie);
    assert.equal(fromApp.status, 200);
    assert.equal(fromBaseline.status, 200);
    assert.equal(htmlDifference(fromApp.text, fromBaseline.text), null, "update bench/baseline.ts to match views/ (the benchmark would compare different pages)");
    // Whitespace inside a note is shown (pre-wrap), so the notes themselves must match byte for byte.
    const appNotes = noteBodies(fromApp.text);
    assert.equal(appNotes.length, 20);
    assert.deepEqual(noteBodies(fromBaseline.text), appNotes);
    assert.ok(appNotes.some((n) => n.includes("&lt;script&gt;")), "markup in a note is escaped by both");
    const token = (await app.sql<{ t: string }>("SELECT sess::json ->> 'csrfToken' AS t FROM session WHERE (sess::json -> 'passport' ->> 'user') = $1", [String(user.id)]))[0].t;
    assert.ok(fromBaseline.text.includes(`name="_csrf" value="${token}"`), "the baseline prints the session's own CSRF token");
  });

  it("refuses what the app refuses: no cookie, a forged signature, an unknown session, a malformed cookie", async () => {
    // The real session id with a signature that is not the server's.
    const signed = decodeURIComponent(user.cookie.slice(SESSION_COOKIE.length + 1));
    const sid = signed.slice(2, signed.lastIndexOf("."));
    const forged = `${SESSION_COOKIE}=${signedCookieValue(sid, "not-the-secret-0123456789abcdef0123")}`;
    const unknown = `${SESSION_COOKIE}=${signedCookieValue("no-such-session-id-000000000000", SECRET)}`;
    // Not valid percent-encoding: must be a plain refusal, never an exception.
    const malformed = `${SESSION_COOKIE}=s%3A${sid}.%E0%A4%A`;
    for (const cookie of [undefined, forged, unknown, malformed]) {
      for (const base of [app.url, baselineUrl]) {
        const res = await get(base + "/", cookie);
        assert.equal(res.status, 303, `${base} with ${cookie ?? "no cookie"}`);
        assert.equal(res.location, "/login");
      }
    }
  });
});

describe("bench/stack-floor.ts", () => {
  it("serves the same home page as the app from the same session, through the fixed stack", async () => {
    const fromApp = await get(app.url + "/", user.cookie);
    const fromFloor = await get(floorUrl + "/", user.cookie);
    assert.equal(fromFloor.status, 200);
    assert.equal(htmlDifference(fromApp.text, fromFloor.text), null, "update bench/stack-floor.ts's context to match the app's");
    assert.deepEqual(noteBodies(fromFloor.text), noteBodies(fromApp.text));
    const token = (await app.sql<{ t: string }>("SELECT sess::json ->> 'csrfToken' AS t FROM session WHERE (sess::json -> 'passport' ->> 'user') = $1", [String(user.id)]))[0].t;
    assert.ok(fromFloor.text.includes(`name="_csrf" value="${token}"`), "the session's own CSRF token");
  });

  it("sends a visitor without a valid session to the login page, and writes no session", async () => {
    const before = await app.sql("SELECT sid, sess::text AS sess, expire FROM session ORDER BY sid");
    const forged = `${SESSION_COOKIE}=${signedCookieValue("no-such-session-id-000000000000", SECRET)}`;
    for (const cookie of [undefined, forged]) {
      const res = await get(floorUrl + "/", cookie);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/login");
    }
    assert.equal((await get(floorUrl + "/", user.cookie)).status, 200);
    assert.deepEqual(await app.sql("SELECT sid, sess::text AS sess, expire FROM session ORDER BY sid"), before);
  });
});

describe("bench/lib/seed.ts mintSessions", () => {
  it("copies a real session row for other users, and the app accepts the copies", async () => {
    const others = await Promise.all([1, 2].map(() => app.auth.signup(newCredentials("member"))));
    const before = Number((await app.sql<{ n: string }>("SELECT count(*) AS n FROM session"))[0].n);
    const cookies = await mintSessions(pool, user, others.map((u) => ({ id: u.id, username: u.username })), SECRET);
    assert.equal(Number((await app.sql<{ n: string }>("SELECT count(*) AS n FROM session"))[0].n), before + 2);
    for (const other of others) {
      const res = await get(app.url + "/", cookies.get(other.id));
      assert.equal(res.status, 200);
      assert.ok(res.text.includes(`<span>${other.username}</span>`), "the page is the copied session's own user's");
      assert.ok(!res.text.includes(`<span>${user.username}</span>`));
    }
  });
});
