import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import express from "express";
import nunjucks from "nunjucks";
import pino from "pino";
import request from "supertest";
import { errorHandler, HttpError, parseId } from "../../src/http/errors";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, loggedInAgent, newCredentials, postForm, tokenFor } from "../helpers/agent";

let app: TestApp;
before(async () => {
  app = await startTestApp({ LOGIN_RATE_LIMIT: "3", LOGIN_ACCOUNT_RATE_LIMIT: "2", SIGNUP_RATE_LIMIT: "2" });
});
after(() => app.close());

describe("the shell", () => {
  it("serves Bootstrap and the app's CSS from the app itself, with no session cookie", async () => {
    const css = await agent(app).get("/static/bootstrap/css/bootstrap.min.css");
    assert.equal(css.status, 200);
    assert.match(css.headers["content-type"], /text\/css/);
    assert.equal(css.headers["set-cookie"], undefined);
    const js = await agent(app).get("/static/bootstrap/js/bootstrap.bundle.min.js");
    assert.equal(js.status, 200);
    const sessions = await app.sql("SELECT sid FROM session");
    assert.equal(sessions.length, 0, "static files create no sessions");
  });

  it("sends security headers on every page: CSP without inline scripts, frame-ancestors, nosniff, referrer policy", async () => {
    for (const url of ["/login", "/signup", "/nope", "/healthz"]) {
      const res = await agent(app).get(url);
      const csp = res.headers["content-security-policy"];
      assert.ok(csp, `${url} has a CSP`);
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.equal(res.headers["referrer-policy"], "same-origin");
      assert.equal(res.headers["x-powered-by"], undefined);
    }
  });

  it("sets HttpOnly, SameSite=Lax session cookies (not Secure over plain HTTP in development)", async () => {
    const res = await agent(app).get("/login");
    const cookie = res.headers["set-cookie"][0];
    assert.match(cookie, /^hromada\.sid=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/);
  });

  it("answers unknown pages with the 404 page", async () => {
    const res = await agent(app).get("/no/such/page");
    assert.equal(res.status, 404);
    assert.match(res.text, /Page not found/);
    assert.match(res.text, /<nav/);
  });

  it("has liveness and readiness probes", async () => {
    assert.equal((await agent(app).get("/healthz")).text, "ok");
    const ready = await agent(app).get("/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.text, "ready");
    app.lifecycle.shuttingDown = true;
    assert.equal((await agent(app).get("/readyz")).status, 503);
    app.lifecycle.shuttingDown = false;
  });

  it("shows who is logged in in the navbar, with a POST logout form", async () => {
    const { agent: a, creds } = await loggedInAgent(app);
    const res = await a.get("/profile");
    assert.match(res.text, new RegExp(`<span>${creds.username}</span>`));
    assert.match(res.text, /<form method="post" action="\/logout"/);
  });

  it("refuses oversized form bodies with 413, not a crash", async () => {
    const res = await agent(app).post("/login").type("form").send({ login: "x".repeat(300_000), password: "y" });
    assert.equal(res.status, 413);
  });
});

describe("flash messages", () => {
  it("travel with the redirect itself (a signed cookie), so the next page always shows them", async () => {
    const { agent: a } = await loggedInAgent(app);
    const token = await tokenFor(a, "/profile");
    const cookie = (a as unknown as { jar: { getCookies(o: object): { toValueString(): string }[] } }).jar
      .getCookies({ domain: "127.0.0.1", path: "/", secure: false, script: false })
      .map((c) => c.toValueString())
      .join("; ");
    const sid = decodeURIComponent(cookie.split("=")[1]).slice(2).split(".")[0];
    // Log out is a flash + redirect: the 303's own headers carry the message, nothing waits for a store.
    const setCookie = await new Promise<string[]>((resolve, reject) => {
      const req = http.request(`${app.url}/logout`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" } }, (res) => {
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, "/login");
        resolve(res.headers["set-cookie"] ?? []);
        res.resume();
      });
      req.on("error", reject);
      req.end(new URLSearchParams({ _csrf: token }).toString());
    });
    const flashCookie = setCookie.find((c) => c.startsWith("hromada.flash="));
    assert.ok(flashCookie, `a flash cookie in ${setCookie.join(" | ")}`);
    assert.match(flashCookie, /HttpOnly/i);
    assert.match(flashCookie, /SameSite=Lax/i);
    // Stored as its key, translated when shown (in the language of the page that shows it).
    const payload = flashCookie.split(";")[0].split("=")[1].split(".")[0];
    assert.deepEqual(JSON.parse(Buffer.from(payload, "base64url").toString()), [{ type: "info", message: "auth.flash.logged_out" }]);
    const login = await new Promise<string>((resolve, reject) => {
      http.get(`${app.url}/login`, { headers: { cookie: flashCookie.split(";")[0] } }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d) => (text += d)).on("end", () => resolve(text));
      }).on("error", reject);
    });
    assert.match(login, /alert-info/);
    assert.equal((await app.sql("SELECT 1 FROM session WHERE sid = $1", [sid])).length, 0, "the old session is gone");
  });
});

describe("rate limits", () => {
  it("limits login attempts per account, with a clear 429 page", async () => {
    const creds = newCredentials("limit");
    await app.auth.signup(creds);
    for (let i = 0; i < 2; i++) {
      const res = await postForm(agent(app), "/login", { login: creds.username, password: "wrong-password" });
      assert.equal(res.status, 422);
    }
    const blocked = await postForm(agent(app), "/login", { login: creds.username.toUpperCase(), password: creds.password });
    assert.equal(blocked.status, 429);
    assert.match(blocked.text, /Too many attempts/);
    const [row] = await app.sql<{ last_login: Date | null }>("SELECT last_login FROM users WHERE username = $1", [creds.username]);
    assert.equal(row.last_login, null, "the blocked attempt did not log in");
  });

  it("limits sign-ups per IP", async () => {
    const make = () => {
      const c = newCredentials("flood");
      return postForm(agent(app), "/signup", { ...c, password_confirm: c.password }, "/signup");
    };
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await make()).status);
    assert.ok(codes.includes(429), `a sign-up flood is limited (${codes.join(",")})`);
  });
});

describe("ids from URLs", () => {
  it("accepts only positive int32 decimal strings", () => {
    assert.equal(parseId("42"), 42);
    assert.equal(parseId("2147483647"), 2147483647);
    for (const bad of ["0", "-1", "01", "1e3", "abc", "2147483648", "99999999999999999999", "", " 1", "1.0", ["1"], { id: 1 }, undefined]) {
      assert.equal(parseId(bad), null, `refuses ${JSON.stringify(bad)}`);
    }
  });
});

describe("error pages", () => {
  const build = (showDetails: boolean) => {
    const e = express();
    nunjucks.configure(path.resolve(__dirname, "../../views"), { autoescape: true, express: e });
    e.set("view engine", "njk");
    e.get("/boom", () => {
      throw new Error("secret internals at /srv/app.ts:12");
    });
    e.get("/gone", () => {
      throw new HttpError(404, "Nothing here");
    });
    e.get("/db", () => {
      throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    });
    e.use(errorHandler({ logger: pino({ level: "silent" }), showDetails }));
    return e;
  };

  it("never shows a stack trace or internal message in production", async () => {
    const res = await request(build(false)).get("/boom");
    assert.equal(res.status, 500);
    assert.match(res.text, /Something went wrong/);
    assert.doesNotMatch(res.text, /secret internals|app\.ts/);
  });

  it("shows the stack in development to help the developer", async () => {
    const res = await request(build(true)).get("/boom");
    assert.equal(res.status, 500);
    assert.match(res.text, /secret internals/);
  });

  it("renders a database outage as 503 with Retry-After", async () => {
    const res = await request(build(false)).get("/db");
    assert.equal(res.status, 503);
    assert.equal(res.headers["retry-after"], "5");
    assert.match(res.text, /briefly unavailable/);
  });
});
