// Promise: "passwords are handled carefully" against guessing. Logins are limited per client IP (which a client
// cannot spoof past the trusted proxy) and per account (however many IPs a botnet uses, and however the name is
// spelt); unknown accounts get exactly the same answers and take about as long as wrong passwords; and bcrypt's
// 72-byte limit cannot be used to log in with a password that merely starts like the real one.
// (test/http/shell.test.ts has the basic per-account and sign-up limits; test/auth the same-message check.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, csrfFrom, newCredentials } from "../helpers/agent";
import { formPost, person } from "./helpers";

let app: TestApp;
before(async () => {
  // TRUST_PROXY=1: as deployed behind nginx, the client address is the last X-Forwarded-For entry the proxy adds.
  app = await startTestApp({ LOGIN_RATE_LIMIT: "4", LOGIN_ACCOUNT_RATE_LIMIT: "3", TRUST_PROXY: "1" });
});
after(() => app.close());

/** A login attempt as it arrives through the proxy from `ip` (what the client itself claimed goes first). */
async function attempt(target: TestApp, login: string, password: string, ip: string, claimed?: string) {
  const a = agent(target);
  const page = await a.get("/login").set("X-Forwarded-For", ip);
  const res = await a.post("/login").set("X-Forwarded-For", claimed ? `${claimed}, ${ip}` : ip).type("form").send({ login, password, _csrf: csrfFrom(page.text) });
  return res;
}

const lastLogin = async (username: string) =>
  (await app.sql<{ last_login: Date | null }>("SELECT last_login FROM users WHERE username = $1", [username]))[0]?.last_login ?? null;

/** The page minus what differs on every response (the CSRF token) and what was typed (the login). */
const normalise = (html: string, login: string) => html.replace(/value="[0-9a-f]{64}"/g, "").replaceAll(login, "LOGIN");

describe("per client IP", () => {
  it("stops an address after LOGIN_RATE_LIMIT failures, across accounts, even with a right password; other addresses go on", async () => {
    const victim = newCredentials("ipvictim");
    await app.auth.signup(victim);
    for (let i = 0; i < 4; i++) assert.equal((await attempt(app, `guess${i}_${process.pid}`, "wrong password", "10.1.0.1")).status, 422);
    const blocked = await attempt(app, victim.username, victim.password, "10.1.0.1");
    assert.equal(blocked.status, 429);
    assert.match(blocked.text, /Too many attempts/);
    assert.equal(await lastLogin(victim.username), null, "the right password did not get in while blocked");
    assert.equal((await attempt(app, victim.username, victim.password, "10.1.0.2")).status, 303, "another address is not blocked");
  });

  it("cannot be dodged by claiming another address in X-Forwarded-For (only the proxy's entry counts)", async () => {
    for (let i = 0; i < 4; i++) assert.equal((await attempt(app, `spoof${i}_${process.pid}`, "wrong password", "10.2.0.1", `192.0.2.${i}`)).status, 422);
    const res = await attempt(app, `spoof9_${process.pid}`, "wrong password", "10.2.0.1", "198.51.100.77");
    assert.equal(res.status, 429, "a fresh claimed address changes nothing");
  });
});

describe("per account", () => {
  it("stops an account after LOGIN_ACCOUNT_RATE_LIMIT failures from as many addresses, however the name is spelt", async () => {
    const target = newCredentials("acct");
    await app.auth.signup(target);
    const spellings = [target.username, target.username.toUpperCase(), `  ${target.username}  `];
    for (const [i, login] of spellings.entries()) assert.equal((await attempt(app, login, "wrong password", `10.3.0.${i + 1}`)).status, 422);
    const res = await attempt(app, target.username, target.password, "10.3.0.99");
    assert.equal(res.status, 429, "a new address, the right password: still blocked");
    assert.equal(await lastLogin(target.username), null);
  });

  it("answers an unknown account exactly as a real one: the same 422 page, then the same 429", async () => {
    const real = newCredentials("same");
    await app.auth.signup(real);
    const unknown = `nobody_${process.pid}_x`;
    const pages: { real: string[]; unknown: string[] } = { real: [], unknown: [] };
    for (let i = 0; i < 4; i++) {
      const r = await attempt(app, real.username, "wrong password", `10.4.0.${i}`);
      const u = await attempt(app, unknown, "wrong password", `10.5.0.${i}`);
      assert.equal(r.status, u.status, `attempt ${i + 1}: ${r.status} vs ${u.status}`);
      pages.real.push(normalise(r.text, real.username));
      pages.unknown.push(normalise(u.text, unknown));
    }
    assert.deepEqual(pages.unknown, pages.real, "the pages are identical but for the name typed");
    assert.equal(pages.real.filter((p) => p.includes("Too many attempts")).length, 1, "the fourth attempt of each is a 429");
  });
});

describe("guessing with a stolen session", () => {
  it("the password-change form's current-password check is limited per account as well (LOGIN_ACCOUNT_RATE_LIMIT)", async () => {
    const p = await person(app, "pwguess");
    const other = await person(app, "pwother");
    const [{ password_hash: before }] = await app.sql<{ password_hash: string }>("SELECT password_hash FROM users WHERE id = $1", [p.userId]);
    const change = (who: typeof p, current: string) =>
      formPost(who, "/profile/password", { current_password: current, new_password: "guessed new password", new_password_confirm: "guessed new password" });
    for (let i = 0; i < 3; i++) {
      const res = await change(p, `guess number ${i}`);
      assert.equal(res.status, 422);
      assert.match(res.text, /current password is not correct/);
    }
    const blocked = await change(p, p.password);
    assert.equal(blocked.status, 429, "the right password, once the guesses are used up: refused");
    assert.match(blocked.text, /Too many attempts/);
    const [{ password_hash: after }] = await app.sql<{ password_hash: string }>("SELECT password_hash FROM users WHERE id = $1", [p.userId]);
    assert.equal(after, before, "the password is unchanged");
    assert.equal((await change(other, other.password)).status, 303, "another account is not limited by it");
  });
});

describe("bcrypt's 72-byte limit", () => {
  it("a password that only starts with the real 72 bytes does not log in (bcrypt alone would accept it)", async () => {
    const creds = { ...newCredentials("b72"), password: "p".repeat(71) + "q" };
    await app.auth.signup(creds);
    assert.equal(Buffer.byteLength(creds.password), 72);
    // Two tries, so the per-account limit (3) leaves room for the control below.
    for (const longer of [creds.password + "x", creds.password + "ї anything at all"]) {
      const res = await attempt(app, creds.username, longer, "10.6.0.1");
      assert.equal(res.status, 422, `${Buffer.byteLength(longer)} bytes`);
      assert.match(res.text, /Wrong username\/email or password/);
    }
    assert.equal(await lastLogin(creds.username), null);
    assert.equal((await attempt(app, creds.username, creds.password, "10.6.0.2")).status, 303, "the exact password works (control)");
  });

  it("refuses new passwords over 72 bytes when changing a password, and bounds what a login may send", async () => {
    const p = await person(app, "pwlimit");
    for (const pw of ["x".repeat(73), "ї".repeat(37), `${"x".repeat(71)}😀`]) {
      const res = await formPost(p, "/profile/password", { current_password: p.password, new_password: pw, new_password_confirm: pw });
      assert.equal(res.status, 422, `${Buffer.byteLength(pw)} bytes`);
      assert.match(res.text, /too long: at most 72 bytes/);
    }
    const [{ password_hash: hash }] = await app.sql<{ password_hash: string }>("SELECT password_hash FROM users WHERE id = $1", [p.userId]);
    assert.ok(hash.startsWith("$2b$04$"));
    // A megabyte-sized "password" never reaches bcrypt: the form is too large (413), or the field too long (422).
    assert.equal((await attempt(app, p.username, "x".repeat(300_000), "10.7.0.1")).status, 413);
    assert.equal((await attempt(app, p.username, "x".repeat(2000), "10.7.0.2")).status, 422);
  });
});

describe("timing", () => {
  let slow: TestApp;
  before(async () => {
    // A real cost, as in production (the other app of this file hashes at cost 4: both live in this one process).
    slow = await startTestApp({ BCRYPT_COST: "10" });
  });
  after(() => slow.close());

  it("an unknown account takes about as long as a wrong password (median server time, ratio within 0.5-2)", async () => {
    const creds = newCredentials("timing");
    await slow.auth.signup(creds);
    const time = async (login: string) => {
      const a = agent(slow);
      const page = await a.get("/login");
      const started = process.hrtime.bigint();
      const res = await a.post("/login").type("form").send({ login, password: "wrong password", _csrf: csrfFrom(page.text) });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.equal(res.status, 422);
      return ms;
    };
    await time(creds.username);
    await time("nobody_at_all");
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      wrong.push(await time(creds.username));
      unknown.push(await time(`nobody_${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const ratio = median(unknown) / median(wrong);
    assert.ok(median(wrong) > 10, `a cost-10 bcrypt really ran (${median(wrong).toFixed(1)} ms)`);
    assert.ok(ratio > 0.5 && ratio < 2, `unknown ${median(unknown).toFixed(1)} ms vs wrong password ${median(wrong).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`);
  });
});

// Last (a later app takes over the entities' database binding, see BaseEntity.useDataSource).
describe("asking who has an account", () => {
  let probe: TestApp;
  before(async () => {
    probe = await startTestApp({ SIGNUP_RATE_LIMIT: "2", TRUST_PROXY: "1" });
  });
  after(() => probe.close());

  const signup = async (fields: Record<string, string>, ip: string) => {
    const a = agent(probe);
    const page = await a.get("/signup").set("X-Forwarded-For", ip);
    return a.post("/signup").set("X-Forwarded-For", ip).type("form").send({ password: "correct horse battery", password_confirm: "correct horse battery", ...fields, _csrf: csrfFrom(page.text) });
  };

  it("sign-up answers \"that email has an account\" only SIGNUP_RATE_LIMIT times per address; typos do not count", async () => {
    const known = newCredentials("known");
    await probe.auth.signup(known);
    for (let i = 0; i < 4; i++) assert.equal((await signup({ username: `typo${i}`, email: "not an email" }, "10.8.0.1")).status, 422, "typos are not limited");
    for (let i = 0; i < 2; i++) {
      const res = await signup({ username: `probe${i}_${process.pid}`, email: known.email }, "10.8.0.1");
      assert.equal(res.status, 422);
      assert.match(res.text, /An account with that email already exists/);
    }
    const third = await signup({ username: `probe9_${process.pid}`, email: `someone.else.${process.pid}@example.test` }, "10.8.0.1");
    assert.equal(third.status, 429, "the next question from that address is refused, whatever it asks");
    assert.equal((await signup({ username: `fresh_${process.pid}`, email: `fresh.${process.pid}@example.test` }, "10.8.0.2")).status, 303, "other addresses sign up");
  });

  it("the profile form answers it only SIGNUP_RATE_LIMIT times per account; saved changes and typos do not count", async () => {
    const known = newCredentials("known2");
    await probe.auth.signup(known);
    const p = await person(probe, "prober");
    const save = (email: string, username = p.username) => formPost(p, "/profile", { username, email });
    for (let i = 0; i < 3; i++) assert.equal((await save(`me${i}.${p.email}`)).status, 303, "saving one's own changes is not limited");
    assert.equal((await save("not an email")).status, 422);
    for (let i = 0; i < 2; i++) assert.equal((await save(known.email)).status, 422);
    assert.equal((await save(`another.${known.email}`)).status, 429);
    const [{ email }] = await probe.sql<{ email: string }>("SELECT email FROM users WHERE id = $1", [p.userId]);
    assert.equal(email, `me2.${p.email}`);
  });
});
