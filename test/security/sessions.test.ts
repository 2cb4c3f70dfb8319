// Promise: "passwords and sessions are handled carefully". A session id planted before login is never adopted
// (fixation); forged, tampered and unknown cookies are anonymous; a password change gives the current session a
// new id too, so a copy of its cookie stops working along with every other session; expired, deleted and
// deactivated sessions are refused; the cookie is HttpOnly, SameSite=Lax, and Secure in production.
// Also proven elsewhere: id rotation at login and logout ending the session with its sockets and a replayed
// cookie (test/auth/auth.routes.test.ts, test/chat/chat.socket.test.ts), dev cookie flags (test/http/shell.test.ts),
// Secure cookies from the compiled server behind a proxy (test/production/production-mode.test.ts).
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { csrfFrom, newCredentials } from "../helpers/agent";
import { connected, socketFor } from "../chat/helpers";
import { raw, person, tokenOf } from "./helpers";

const SECRET = "test-secret-0123456789abcdef0123456789"; // the one startTestApp signs with

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

/** "hromada.sid=s%3A<sid>.<sig>" as express-session signs it (cookie-signature: HMAC-SHA256, base64 without padding). */
const signed = (sid: string, secret = SECRET) =>
  `hromada.sid=${encodeURIComponent(`s:${sid}.${crypto.createHmac("sha256", secret).update(sid).digest("base64").replace(/=+$/, "")}`)}`;

const cookieIn = (setCookie: string | string[] | undefined) => {
  const m = /(hromada\.sid=[^;]+)/.exec(([] as string[]).concat(setCookie ?? []).join("\n"));
  return m?.[1];
};
const sidIn = (cookie: string) => decodeURIComponent(cookie.split("=")[1]).slice(2).split(".")[0];

/** Whether a request with this cookie is logged in (the home page answers 200, or sends to /login). */
async function loggedIn(cookie: string): Promise<boolean> {
  const res = await raw(app, "GET", "/", { cookie });
  assert.ok([200, 303].includes(res.status), `GET / -> ${res.status}`);
  return res.status === 200;
}

/** The same user logged in from a second browser: that browser's session cookie. */
async function anotherBrowser(p: { username: string; password: string }): Promise<string> {
  const page = await raw(app, "GET", "/login");
  const body = new URLSearchParams({ login: p.username, password: p.password, _csrf: csrfFrom(page.text) }).toString();
  const res = await raw(app, "POST", "/login", { cookie: cookieIn(page.headers["set-cookie"])!, "content-type": "application/x-www-form-urlencoded" }, body);
  assert.equal(res.status, 303);
  return cookieIn(res.headers["set-cookie"])!;
}

const sessionRow = async (sid: string) => (await app.sql("SELECT sid FROM session WHERE sid = $1", [sid])).length === 1;

describe("session fixation", () => {
  for (const form of ["login", "signup"] as const) {
    it(`a session id planted in the victim's browser is not the one logged in at ${form}`, async () => {
      const creds = newCredentials(`fix${form}`);
      if (form === "login") await app.auth.signup(creds);
      // The attacker opens the form and hands its session cookie to the victim (a subdomain cookie, a shared computer).
      const page = await raw(app, "GET", `/${form}`);
      const planted = cookieIn(page.headers["set-cookie"])!;
      assert.ok(planted && (await sessionRow(sidIn(planted))));
      const fields: Record<string, string> = form === "login"
        ? { login: creds.username, password: creds.password }
        : { ...creds, password_confirm: creds.password };
      const body = new URLSearchParams({ ...fields, _csrf: csrfFrom(page.text) }).toString();
      const res = await raw(app, "POST", `/${form}`, { cookie: planted, "content-type": "application/x-www-form-urlencoded" }, body);
      assert.equal(res.status, 303);
      const victim = cookieIn(res.headers["set-cookie"])!;
      assert.ok(victim, "a new cookie");
      assert.notEqual(sidIn(victim), sidIn(planted), "a new session id");
      assert.equal(await sessionRow(sidIn(planted)), false, "the planted session is gone from the store");
      assert.equal(await loggedIn(planted), false, "the attacker's cookie is not logged in");
      assert.equal(await loggedIn(victim), true);
    });
  }

  it("an attacker-chosen id, even correctly signed, is never adopted: the server picks its own", async () => {
    const chosen = "attacker-chosen-session-id-0000";
    const res = await raw(app, "GET", "/login", { cookie: signed(chosen) });
    assert.equal(res.status, 200);
    const issued = cookieIn(res.headers["set-cookie"])!;
    assert.notEqual(sidIn(issued), chosen);
    assert.equal(await sessionRow(chosen), false);
  });
});

describe("forged cookies", () => {
  it("an unsigned, re-signed, tampered or truncated copy of a real session cookie is anonymous", async () => {
    const a = await person(app, "forge");
    const sid = sidIn(a.cookie);
    assert.equal(await loggedIn(a.cookie), true, "the real cookie works (control)");
    assert.equal(await loggedIn(signed(sid)), true, "and is what signed() makes (control of the forgery below)");
    const [name, value] = a.cookie.split("=");
    const forged = [
      `${name}=${sid}`, // the bare id
      `${name}=${encodeURIComponent(`s:${sid}`)}`, // no signature
      signed(sid, "another-secret-of-the-same-length-000000"), // signed with a guessed secret
      `${name}=${value.slice(0, -3)}abc`, // signature altered
      // id altered under the same signature (its first character changed: to "Y" if it already is "X")
      `${name}=${value.replace(/^s%3A(.)/, (_m, c: string) => `s%3A${c === "X" ? "Y" : "X"}`)}`,
      `${name}=${encodeURIComponent(`s:${sid}.`)}`, // empty signature
    ];
    assert.equal(new Set(forged).size, forged.length, "six different forgeries");
    assert.ok(!forged.includes(a.cookie), "none of them is the real cookie");
    for (const cookie of forged) assert.equal(await loggedIn(cookie), false, cookie);
    assert.equal(await loggedIn(a.cookie), true, "the real session is unharmed");
  });
});

describe("changing the password", () => {
  it("gives this session a new id as well: a copy of its cookie, and every other session, stop working", async () => {
    const a = await person(app, "pwrot");
    const stolenCopy = a.cookie;
    const secondCookie = await anotherBrowser(a);
    assert.equal(await loggedIn(secondCookie), true);

    const res = await a.agent.post("/profile/password").type("form").send({
      current_password: a.password, new_password: "a completely new password", new_password_confirm: "a completely new password", _csrf: await tokenOf(a),
    });
    assert.equal(res.status, 303);
    const renewed = cookieIn(res.headers["set-cookie"]);
    assert.ok(renewed, "the response carries a new session cookie");
    assert.notEqual(sidIn(renewed), sidIn(stolenCopy));
    assert.match((await a.agent.get("/profile")).text, /Your password has been changed/, "the person who changed it stays logged in, with the message");
    assert.equal(await loggedIn(renewed), true);
    assert.equal(await loggedIn(stolenCopy), false, "a copy of the old cookie is refused");
    assert.equal(await sessionRow(sidIn(stolenCopy)), false);
    assert.equal(await loggedIn(secondCookie), false, "the other browser is logged out");
    const rows = await app.sql("SELECT sid FROM session WHERE (sess -> 'passport' ->> 'user') = $1", [String(a.userId)]);
    assert.deepEqual(rows.map((r) => r.sid), [sidIn(renewed)], "exactly one session left: the new one");
    await assert.rejects(connected(socketFor(app, { cookie: stolenCopy })), "and the old cookie opens no socket");
  });
});

describe("sessions that ended", () => {
  it("an expired session is anonymous, for pages and sockets, even while its row is still in the table", async () => {
    const a = await person(app, "expired");
    assert.equal(await loggedIn(a.cookie), true);
    await app.sql("UPDATE session SET expire = now() - interval '1 second' WHERE sid = $1", [sidIn(a.cookie)]);
    assert.equal(await loggedIn(a.cookie), false);
    await assert.rejects(connected(socketFor(app, { cookie: a.cookie })));
  });

  it("a deleted session (pruned, or ended from another process) is anonymous", async () => {
    const a = await person(app, "deleted");
    await app.sql("DELETE FROM session WHERE sid = $1", [sidIn(a.cookie)]);
    assert.equal(await loggedIn(a.cookie), false);
    await assert.rejects(connected(socketFor(app, { cookie: a.cookie })));
    assert.equal(await sessionRow(sidIn(a.cookie)), false, "a GET does not bring it back");
  });

  it("a deactivated user's session logs nothing in at the next request, and opens no socket", async () => {
    const a = await person(app, "deact");
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [a.userId]);
    assert.equal(await loggedIn(a.cookie), false);
    await assert.rejects(connected(socketFor(app, { cookie: a.cookie })));
  });

  it("logging out in one browser leaves the user's other browsers logged in (each session is its own)", async () => {
    const a = await person(app, "oneout");
    const other = await anotherBrowser(a);
    assert.equal((await a.agent.post("/logout").type("form").send({ _csrf: await tokenOf(a) })).status, 303);
    assert.equal(await loggedIn(a.cookie), false);
    assert.equal(await loggedIn(other), true);
  });
});

describe("the session cookie in production", () => {
  let prod: TestApp;
  before(async () => {
    prod = await startTestApp({ NODE_ENV: "production", SESSION_SECRET: crypto.randomBytes(24).toString("hex"), BCRYPT_COST: "10", TRUST_PROXY: "1" });
  });
  after(() => prod.close());

  it("is Secure, HttpOnly, SameSite=Lax, host-only, with an expiry, over HTTPS at the proxy; none is set over plain HTTP", async () => {
    const https = await raw(prod, "GET", "/login", { "x-forwarded-proto": "https" });
    const cookie = ([] as string[]).concat(https.headers["set-cookie"] ?? []).find((c) => c.startsWith("hromada.sid="));
    assert.ok(cookie, "a session cookie for the login form");
    const attrs = cookie.split(";").map((s) => s.trim().toLowerCase());
    for (const flag of ["secure", "httponly", "samesite=lax", "path=/"]) assert.ok(attrs.includes(flag), `${flag} in ${cookie}`);
    assert.ok(!attrs.some((x) => x.startsWith("domain=")), "no Domain: the cookie is not shared with subdomains");
    const expires = attrs.find((x) => x.startsWith("expires="));
    assert.ok(expires, "an expiry");
    const days = (Date.parse(expires.slice(8)) - Date.now()) / 86_400_000;
    assert.ok(days > 13 && days <= 14, `SESSION_MAX_AGE_DAYS (14) from now, got ${days.toFixed(2)} days`);
    const http = await raw(prod, "GET", "/login");
    assert.equal(http.headers["set-cookie"], undefined, "a Secure cookie is never sent over plain HTTP");
    assert.equal(https.headers["strict-transport-security"]?.includes("max-age="), true, "and HSTS asks browsers to stay on HTTPS");
  });
});
