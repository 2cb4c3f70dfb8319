// Two-factor authentication: codes are computed here from the secret stored in the database, at this test's clock,
// with otplib, as an authenticator app would; every refusal is checked in the database afterwards.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generate } from "otplib";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, csrfFrom, loggedInAgent, newCredentials, postForm, type Agent, type Credentials } from "../helpers/agent";
import { connect, cookieOf } from "../chat/helpers";
import { recordStatements, writes } from "../helpers/sql-spy";
import { hasTwoFactor, verifySecondFactor } from "../../src/auth/two-factor.service";
import type { User } from "../../src/auth/user.entity";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

/**
 * Waits out the last seconds of a 30-second step, so a code computed now for the previous, current or next step is
 * still in the window when the app checks it.
 */
async function safeInStep(): Promise<void> {
  const into = Date.now() % 30_000;
  if (into > 25_000) await new Promise((r) => setTimeout(r, 30_000 - into + 200));
}

/** The code an authenticator app shows `steps` steps from now (-1: the previous one). */
function codeAt(secret: string, steps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
}

async function stored(userId: number) {
  const [row] = await app.sql<{ totp_secret: string | null; totp_enabled_at: Date | null; totp_last_step: string | null }>(
    "SELECT totp_secret, totp_enabled_at, totp_last_step FROM users WHERE id = $1",
    [userId],
  );
  return row;
}

const recoveryRows = (userId: number) =>
  app.sql<{ code_hash: string; used_at: Date | null }>("SELECT code_hash, used_at FROM recovery_codes WHERE user_id = $1 ORDER BY id", [userId]);

/** A user with two-factor authentication on (through the service): their secret and recovery codes. */
async function userWithTwoFactor(prefix = "tf"): Promise<{ user: User; secret: string; codes: string[]; password: string }> {
  const creds = newCredentials(prefix);
  const user = await app.auth.signup(creds);
  const secret = app.twoFactor.newSecret();
  await safeInStep();
  const codes = await app.twoFactor.enable(user, secret, await codeAt(secret));
  assert.ok(codes);
  return { user, secret, codes, password: creds.password };
}

describe("turning it on (service)", () => {
  it("a code from the new secret turns it on: secret, step, ten hashed recovery codes, audit entry and mail", async () => {
    const creds = newCredentials("on");
    const user = await app.auth.signup(creds);
    assert.equal(hasTwoFactor(user), false);
    const secret = app.twoFactor.newSecret();
    await safeInStep();
    assert.equal(await app.twoFactor.enable(user, secret, "000000" === (await codeAt(secret)) ? "111111" : "000000"), null, "a wrong code");
    assert.equal((await stored(user.id)).totp_enabled_at, null);
    const codes = await app.twoFactor.enable(user, secret, await codeAt(secret));
    assert.ok(codes);
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) assert.match(c, /^[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}$/);
    const row = await stored(user.id);
    assert.equal(row.totp_secret, secret);
    assert.ok(row.totp_enabled_at);
    assert.equal(Number(row.totp_last_step), Math.floor(Date.now() / 30_000));
    const hashes = await recoveryRows(user.id);
    assert.equal(hashes.length, 10);
    for (const h of hashes) {
      assert.match(h.code_hash, /^[0-9a-f]{64}$/);
      assert.equal(h.used_at, null);
    }
    for (const c of codes) assert.ok(!hashes.some((h) => h.code_hash.includes(c.replace(/-/g, ""))), "stored hashed, never as typed");
    const audit = await app.sql("SELECT actor_id, action, target_id FROM audit_logs WHERE action = 'user.2fa_enable' AND target_id = $1", [String(user.id)]);
    assert.equal(audit.length, 1);
    const mail = await app.sql<{ subject: string }>("SELECT subject FROM mail_outbox WHERE to_address = $1", [creds.email]);
    assert.ok(mail.some((m) => /Two-factor authentication is on/.test(m.subject)), JSON.stringify(mail));
    await assert.rejects(app.twoFactor.enable(user, secret, await codeAt(secret, 1)), /already/i, "not twice");
  });
});

describe("verifySecondFactor", () => {
  it("accepts the previous, current and next step, each once, and never an older one after a newer", async () => {
    const { user, secret } = await userWithTwoFactor("steps");
    // The code that turned it on (this step) is spent: the previous step is older than it.
    assert.equal(await verifySecondFactor(user.id, await codeAt(secret, 0)), false, "the setup code again");
    assert.equal(await verifySecondFactor(user.id, await codeAt(secret, -1)), false, "older than the last accepted");
    assert.equal(await verifySecondFactor(user.id, await codeAt(secret, 1)), true, "the next step");
    assert.equal(await verifySecondFactor(user.id, await codeAt(secret, 1)), false, "replayed");
    assert.equal(Number((await stored(user.id)).totp_last_step), Math.floor(Date.now() / 30_000) + 1);

    const fresh = await userWithTwoFactorUnspent("prev");
    assert.equal(await verifySecondFactor(fresh.user.id, await codeAt(fresh.secret, -1)), true, "the previous step");
    assert.equal(await verifySecondFactor(fresh.user.id, await codeAt(fresh.secret, -1)), false, "the previous step replayed");
    assert.equal(await verifySecondFactor(fresh.user.id, await codeAt(fresh.secret, 0)), true, "then the current one");
    assert.equal(await verifySecondFactor(fresh.user.id, await codeAt(fresh.secret, 0)), false, "the current one replayed");
  });

  it("refuses steps outside the window, wrong and malformed codes, and accounts without two-factor", async () => {
    const fresh = await userWithTwoFactorUnspent("window");
    for (const steps of [-2, 2, 10]) assert.equal(await verifySecondFactor(fresh.user.id, await codeAt(fresh.secret, steps)), false, `step ${steps}`);
    const right = await codeAt(fresh.secret);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    for (const code of [wrong, "", "12345", "1234567", "abcdef", " ".repeat(10), "9".repeat(100)]) {
      assert.equal(await verifySecondFactor(fresh.user.id, code), false, JSON.stringify(code));
    }
    assert.equal((await stored(fresh.user.id)).totp_last_step, null, "nothing spent by the refusals");
    assert.equal(await verifySecondFactor(fresh.user.id, ` ${right.slice(0, 3)} ${right.slice(3)} `), true, "spaces are forgiven");
    const plain = await app.auth.signup(newCredentials("plain"));
    assert.equal(await verifySecondFactor(plain.id, right), false);
    assert.equal(await verifySecondFactor(999_999, right), false);
  });

  it("a recovery code works once, typed in any case with or without dashes; another account's does not", async () => {
    const { user, codes } = await userWithTwoFactor("rec");
    const other = await userWithTwoFactor("rec-other");
    assert.equal(await verifySecondFactor(other.user.id, codes[0]), false, "not someone else's code");
    assert.equal(await verifySecondFactor(user.id, codes[0].toUpperCase().replace(/-/g, "")), true);
    assert.equal(await verifySecondFactor(user.id, codes[0]), false, "once");
    assert.equal(await verifySecondFactor(user.id, ` ${codes[1]} `), true);
    const rows = await recoveryRows(user.id);
    assert.equal(rows.filter((r) => r.used_at).length, 2);
    assert.equal((await recoveryRows(other.user.id)).filter((r) => r.used_at).length, 0);
  });

  it("one code sent twice at once is accepted once", async () => {
    const fresh = await userWithTwoFactorUnspent("race");
    const code = await codeAt(fresh.secret, 1);
    const results = await Promise.all(Array.from({ length: 5 }, () => verifySecondFactor(fresh.user.id, code)));
    assert.equal(results.filter(Boolean).length, 1);
    const rec = await userWithTwoFactor("race-rec");
    const both = await Promise.all(Array.from({ length: 5 }, () => verifySecondFactor(rec.user.id, rec.codes[3])));
    assert.equal(both.filter(Boolean).length, 1);
  });
});

/** As userWithTwoFactor, with no code spent yet (as if it had been turned on a while ago). */
async function userWithTwoFactorUnspent(prefix: string) {
  const made = await userWithTwoFactor(prefix);
  await app.sql("UPDATE users SET totp_last_step = NULL WHERE id = $1", [made.user.id]);
  return made;
}

// ---- Over HTTP ----

/** Posts a form with a CSRF token read from `from` (a page of the same session). */
async function submit(a: Agent, url: string, form: Record<string, string>, from: string) {
  const page = await a.get(from);
  assert.equal(page.status, 200, `${from}: ${page.status}`);
  return a.post(url).type("form").send({ ...form, _csrf: csrfFrom(page.text) });
}

/** The button that makes a key for the setup. */
async function startSetup(a: Agent) {
  const res = await submit(a, "/account/two-factor/setup", {}, "/account/two-factor");
  assert.equal(res.status, 303);
  assert.equal(res.headers.location, "/account/two-factor");
}

/** The recovery codes a page shows. */
const codesIn = (html: string) => [...html.matchAll(/<li class="col user-select-all">([a-z2-9-]+)<\/li>/g)].map((m) => m[1]);

/**
 * Turns it on through the pages, as a person would: reads the key off the setup page, types the app's code; the
 * answer to that form is the page of recovery codes.
 */
async function turnOnOverHttp(a: Agent): Promise<{ secret: string; codes: string[]; page: string }> {
  await startSetup(a);
  const page = await a.get("/account/two-factor");
  assert.equal(page.status, 200);
  const secret = /class="[^"]*two-factor-secret[^"]*"[^>]*>([A-Z2-7 ]+)</.exec(page.text)![1].replace(/ /g, "");
  await safeInStep();
  const res = await a.post("/account/two-factor/enable").type("form").send({ code: await codeAt(secret), _csrf: csrfFrom(page.text) });
  assert.equal(res.status, 200, res.text.slice(0, 300));
  const codes = codesIn(res.text);
  assert.equal(codes.length, 10);
  return { secret, codes, page: res.text };
}

/** The password step: the agent is left between the password and the code. */
async function passwordStep(a: Agent, creds: Credentials, headers: Record<string, string> = {}, url = "/login") {
  const page = await a.get("/login").set(headers);
  const res = await a.post(url).set(headers).type("form").send({ login: creds.username, password: creds.password, _csrf: csrfFrom(page.text) });
  assert.equal(res.status, 303, res.text.slice(0, 300));
  assert.equal(res.headers.location, "/login/two-factor");
  return res;
}

async function codeStep(a: Agent, code: string, headers: Record<string, string> = {}) {
  const page = await a.get("/login/two-factor").set(headers);
  if (page.status !== 200) return page;
  return a.post("/login/two-factor").set(headers).type("form").send({ code, _csrf: csrfFrom(page.text) });
}

const lastLogin = async (id: number) => (await app.sql<{ last_login: Date | null }>("SELECT last_login FROM users WHERE id = $1", [id]))[0].last_login;
const auditOf = (id: number, action: string) => app.sql("SELECT * FROM audit_logs WHERE target_id = $1 AND action = $2", [String(id), action]);
const mailsTo = (email: string) => app.sql<{ subject: string; body_text: string | null }>("SELECT subject, body_text FROM mail_outbox WHERE to_address = $1 ORDER BY id", [email]);

describe("setup page", () => {
  it("shows a server-drawn QR code with alt text and the key as text; a wrong code is refused and nothing is stored", async () => {
    const { agent: a, userId } = await loggedInAgent(app, newCredentials("page"));
    const before = await a.get("/account/two-factor");
    assert.match(before.text, /Set up two-factor authentication/);
    assert.doesNotMatch(before.text, /<img/, "no key before the button");
    await startSetup(a);
    const page = await a.get("/account/two-factor");
    assert.equal(page.status, 200);
    const img = /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"[^>]*alt="([^"]+)"/.exec(page.text);
    assert.ok(img, "an inline SVG QR code with alt text");
    assert.match(Buffer.from(img[1], "base64").toString(), /^<svg[\s\S]*<path/);
    assert.match(img[2], /QR code/);
    const secret = /class="[^"]*two-factor-secret[^"]*"[^>]*>([A-Z2-7 ]+)</.exec(page.text)![1].replace(/ /g, "");
    assert.equal(secret.length, 32);
    assert.equal((await a.get("/account/two-factor")).text.includes(secret.slice(0, 4)), true, "the same key until it is confirmed");
    await safeInStep();
    const right = await codeAt(secret);
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, "0");
    const refused = await a.post("/account/two-factor/enable").type("form").send({ code: wrong, _csrf: csrfFrom(page.text) });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /That code does not match/);
    assert.match(refused.text, /aria-invalid="true"/);
    const empty = await a.post("/account/two-factor/enable").type("form").send({ code: "", _csrf: csrfFrom(page.text) });
    assert.equal(empty.status, 422);
    assert.match(empty.text, /Enter the code/);
    const row = await stored(userId);
    assert.equal(row.totp_secret, null);
    assert.equal(row.totp_enabled_at, null);
    assert.equal((await recoveryRows(userId)).length, 0);
    assert.equal((await auditOf(userId, "user.2fa_enable")).length, 0);
  });

  it("a right code turns it on; the ten codes are shown once, and they are the stored ones; mail and audit entry", async () => {
    const creds = newCredentials("http-on");
    const { agent: a, userId } = await loggedInAgent(app, creds);
    const { secret, codes, page } = await turnOnOverHttp(a);
    assert.match(page, /This is the only time these codes are shown/);
    assert.match(page, /Two-factor authentication is on\. Your other sessions have been logged out\./);
    const again = await a.get("/account/two-factor/recovery-codes");
    assert.equal(again.status, 303, "shown once");
    assert.equal(again.headers.location, "/account/two-factor");
    const row = await stored(userId);
    assert.equal(row.totp_secret, secret);
    assert.ok(row.totp_enabled_at);
    assert.equal((await recoveryRows(userId)).length, 10);
    const status = await a.get("/account/two-factor");
    assert.match(status.text, /You have 10 unused recovery codes left/);
    assert.doesNotMatch(status.text, new RegExp(secret), "the key is not shown once it is on");
    assert.match((await a.get("/profile")).text, /Two-factor authentication<\/a>\s*<span class="badge text-bg-success">On/);
    assert.equal(await verifySecondFactor(userId, codes[9]), true, "a shown code is a stored one");
    assert.equal((await auditOf(userId, "user.2fa_enable")).length, 1);
    const mail = await mailsTo(creds.email);
    assert.ok(mail.some((m) => m.subject === "Two-factor authentication is on for your Hromada account"));
  });

  it("in Ukrainian: the setup page, the codes page and the mail", async () => {
    const creds = newCredentials("uk");
    const { agent: a, userId } = await loggedInAgent(app, creds);
    await app.sql("UPDATE users SET locale = 'uk' WHERE id = $1", [userId]);
    await startSetup(a);
    const page = await a.get("/account/two-factor");
    assert.match(page.text, /Двофакторна автентифікація/);
    const secret = /class="[^"]*two-factor-secret[^"]*"[^>]*>([A-Z2-7 ]+)</.exec(page.text)![1].replace(/ /g, "");
    await safeInStep();
    assert.match(page.text, /вас буде виведено з облікового запису на всіх інших пристроях/);
    const codes = await a.post("/account/two-factor/enable").type("form").send({ code: await codeAt(secret), _csrf: csrfFrom(page.text) }).expect(200);
    assert.match(codes.text, /<html lang="uk"/);
    assert.match(codes.text, /Ваші резервні коди/);
    assert.match(codes.text, /Двофакторну автентифікацію ввімкнено\. На всіх інших пристроях вас виведено/);
    assert.equal(codesIn(codes.text).length, 10);
    assert.match((await a.get("/account/two-factor")).text, /залишилося 10 невикористаних резервних кодів/);
    const mail = await mailsTo(creds.email);
    assert.ok(mail.some((m) => m.subject === "Для вашого облікового запису в Громаді увімкнено двофакторну автентифікацію"), JSON.stringify(mail));
    const body = app.mailer.render({ email: creds.email, locale: "uk" }, "two_factor_enabled", { username: creds.username, url: "http://x/account/two-factor" });
    assert.match(body.text, /застосунку-автентифікатора/);
    assert.match(body.html, /застосунку-автентифікатора/);
  });
});

/** The session id behind an agent's cookie (hromada.sid=s:<id>.<signature>). */
const sidOf = (a: Agent) => decodeURIComponent(cookieOf(a).split("=")[1]).slice(2).split(".")[0];
const sessionRows = () => app.sql<{ sid: string; sess: string; expire: Date }>("SELECT sid, sess::text AS sess, expire FROM session ORDER BY sid");

describe("turning it on ends the account's other sessions", () => {
  it("another browser of the account is logged out (its row gone, its socket cut); this one and other accounts' stay", async () => {
    const creds = newCredentials("ends");
    const { agent: a, userId } = await loggedInAgent(app, creds);
    const b = agent(app);
    assert.equal((await postForm(b, "/login", { login: creds.username, password: creds.password }, "/login")).status, 303);
    assert.equal((await b.get("/profile")).status, 200, "b is logged in before");
    const stranger = await loggedInAgent(app, newCredentials("ends-other"));
    const socket = await connect(app, b);
    const cut = new Promise((resolve) => socket.on("disconnect", resolve));
    const [mine, theirs, strangers] = [sidOf(a), sidOf(b), sidOf(stranger.agent)];
    const live = async () => new Set((await sessionRows()).map((r) => r.sid));
    const before = await live();
    for (const sid of [mine, theirs, strangers]) assert.ok(before.has(sid));

    const { page } = await turnOnOverHttp(a);
    assert.match(page, /Your other sessions have been logged out/);
    const after = await live();
    assert.equal(after.has(theirs), false, "the other session's row is gone");
    assert.equal(after.has(mine), true, "this one stays");
    assert.equal(after.has(strangers), true, "another account's stays");
    assert.equal((await app.sql("SELECT 1 FROM session_meta WHERE sid = $1", [theirs])).length, 0, "and its side row");
    await cut;
    socket.close();

    const next = await b.get("/profile");
    assert.equal(next.status, 303, "b's next request is logged out");
    assert.equal(next.headers.location, "/login");
    assert.equal((await a.get("/profile")).status, 200);
    assert.equal((await stranger.agent.get("/profile")).status, 200);
    const [audit] = await auditOf(userId, "user.2fa_enable");
    assert.equal((audit.details as { sessionsEnded: number }).sessionsEnded, 1);
  });

  it("the setup page says so, in English and in Ukrainian", async () => {
    const { agent: a, userId } = await loggedInAgent(app, newCredentials("ends-say"));
    assert.match((await a.get("/account/two-factor")).text, /Turning it on logs you out everywhere else/);
    await startSetup(a);
    assert.match((await a.get("/account/two-factor")).text, /Turning it on logs you out everywhere else/, "next to the code that turns it on");
    await app.sql("UPDATE users SET locale = 'uk' WHERE id = $1", [userId]);
    assert.match((await a.get("/account/two-factor")).text, /Після ввімкнення вас буде виведено з облікового запису на всіх інших пристроях/);
  });

  it("a wrong code ends nothing", async () => {
    const creds = newCredentials("ends-wrong");
    const { agent: a } = await loggedInAgent(app, creds);
    const b = agent(app);
    await postForm(b, "/login", { login: creds.username, password: creds.password }, "/login");
    await startSetup(a);
    const page = await a.get("/account/two-factor");
    const refused = await a.post("/account/two-factor/enable").type("form").send({ code: "abcdef", _csrf: csrfFrom(page.text) });
    assert.equal(refused.status, 422);
    assert.ok((await sessionRows()).some((r) => r.sid === sidOf(b)));
    assert.equal((await b.get("/profile")).status, 200);
  });
});

describe("the recovery codes are shown by the form that made them, never kept", () => {
  it("they are in no session; opening their address later writes nothing and leaves the session row as it was", async () => {
    const { agent: a } = await loggedInAgent(app, newCredentials("nowrite"));
    const { codes } = await turnOnOverHttp(a);
    const [row] = (await sessionRows()).filter((r) => r.sid === sidOf(a));
    for (const c of codes) assert.ok(!row.sess.includes(c), "not in the session");
    await app.mailer.drain();
    const before = await sessionRows();
    const statements = await recordStatements(async () => {
      const later = await a.get("/account/two-factor/recovery-codes");
      assert.equal(later.status, 303);
      assert.equal(later.headers.location, "/account/two-factor");
      const page = await a.get("/account/two-factor");
      assert.equal(page.status, 200);
      for (const c of codes) assert.ok(!page.text.includes(c));
    });
    assert.deepEqual(writes(statements), [], "no statement writes");
    assert.deepEqual(await sessionRows(), before, "every session row unchanged, expiry included");
  });
});

describe("login with a second step", () => {
  it("the password alone logs nobody in: no page, no socket, until the code; then the session is recorded", async () => {
    const creds = newCredentials("step");
    const { agent: first, userId } = await loggedInAgent(app, creds);
    const { secret } = await turnOnOverHttp(first);
    const before = await lastLogin(userId);
    const a = agent(app);
    await passwordStep(a, creds);
    for (const url of ["/", "/notes", "/profile", "/chats", "/gallery", "/account/sessions", "/account/two-factor", "/admin"]) {
      const res = await a.get(url);
      assert.ok(res.status === 303 || res.status === 302 || res.status === 404, `${url}: ${res.status}`);
      if (res.status !== 404) assert.match(res.headers.location, /^\/login/, url);
    }
    await assert.rejects(connect(app, a), "no socket for a half-logged-in session");
    const [sess] = await app.sql<{ sess: { passport?: unknown; twoFactorLogin?: { userId: number } } }>(
      "SELECT sess FROM session WHERE sess::jsonb -> 'twoFactorLogin' ->> 'userId' = $1", [String(userId)]);
    assert.ok(sess, "the pending step is in the session");
    assert.equal(sess.sess.passport, undefined, "and nobody is logged in there");
    const page = await a.get("/login/two-factor");
    assert.equal(page.status, 200);
    assert.match(page.text, /Enter your code/);
    assert.match(page.text, /autocomplete="one-time-code"/);
    await safeInStep();
    const ok = await a.post("/login/two-factor").type("form").send({ code: await codeAt(secret, 1), _csrf: csrfFrom(page.text) });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, "/account/two-factor", "the last page it asked for (requireUser kept it)");
    assert.equal((await a.get("/profile")).status, 200);
    assert.ok((await lastLogin(userId))! > before!, "the login is recorded");
    const meta = await app.sql("SELECT * FROM session_meta WHERE user_id = $1", [userId]);
    assert.equal(meta.length, 2, "both sessions are on the sessions page");
    const socket = await connect(app, a);
    socket.close();
  });

  it("a wrong code is a 422 with a clear message; a replayed one too; nothing recorded", async () => {
    const creds = newCredentials("wrong");
    const { agent: first, userId } = await loggedInAgent(app, creds);
    const { secret } = await turnOnOverHttp(first);
    const before = await lastLogin(userId);
    const a = agent(app);
    await passwordStep(a, creds);
    await safeInStep();
    const right = await codeAt(secret, 1);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    const res = await codeStep(a, wrong);
    assert.equal(res.status, 422);
    assert.match(res.text, /That code is not right, or it was used already/);
    assert.equal((await codeStep(a, "")).status, 422);
    assert.equal((await codeStep(a, "x".repeat(65))).status, 422);
    assert.equal((await a.get("/profile")).status, 303, "still not logged in");
    assert.deepEqual(await lastLogin(userId), before);
    assert.equal((await codeStep(a, right)).status, 303);
    // The same code from another browser, as someone who watched it typed: refused.
    const b = agent(app);
    await passwordStep(b, creds);
    const replay = await codeStep(b, right);
    assert.equal(replay.status, 422);
    assert.equal((await b.get("/profile")).status, 303);
    assert.equal(Number((await stored(userId)).totp_last_step), Math.floor(Date.now() / 30_000) + 1);
  });

  it("brings the person where they wanted to go", async () => {
    const creds = newCredentials("next");
    const { agent: first } = await loggedInAgent(app, creds);
    const { secret, codes } = await turnOnOverHttp(first);
    const a = agent(app);
    const wanted = await a.get("/account/sessions");
    assert.equal(wanted.headers.location, "/login");
    await passwordStep(a, creds);
    await safeInStep();
    const res = await codeStep(a, await codeAt(secret, 1));
    assert.equal(res.headers.location, "/account/sessions");
    const b = agent(app);
    const page = await b.get("/login?next=/notes/search%3Fq%3Dbread");
    await b.post("/login").type("form").send({ login: creds.username, password: creds.password, _csrf: csrfFrom(page.text) }).expect(303);
    const done = await codeStep(b, codes[0]);
    assert.equal(done.headers.location, "/notes/search?q=bread");
  });

  it("a recovery code logs in once, is audited, and says how many are left", async () => {
    const creds = newCredentials("recovery");
    const { agent: first, userId } = await loggedInAgent(app, creds);
    const { codes } = await turnOnOverHttp(first);
    const a = agent(app);
    await passwordStep(a, creds);
    const res = await codeStep(a, codes[0].toUpperCase());
    assert.equal(res.status, 303);
    const home = await a.get("/");
    assert.equal(home.status, 200);
    assert.match(home.text, /You logged in with a recovery code[^<]*9 codes are left/);
    assert.equal((await auditOf(userId, "user.2fa_recovery_used")).length, 1);
    const b = agent(app);
    await passwordStep(b, creds);
    assert.equal((await codeStep(b, codes[0])).status, 422, "once");
    assert.equal((await recoveryRows(userId)).filter((r) => r.used_at).length, 1);
  });

  it("the step expires: after five minutes the password is asked for again", async () => {
    const creds = newCredentials("expire");
    const { agent: first, userId } = await loggedInAgent(app, creds);
    const { secret } = await turnOnOverHttp(first);
    const a = agent(app);
    await passwordStep(a, creds);
    const page = await a.get("/login/two-factor");
    await app.sql(`UPDATE session SET sess = jsonb_set(sess::jsonb, '{twoFactorLogin,until}', to_jsonb((extract(epoch from now()) * 1000 - 1)::bigint))::json
                    WHERE sess::jsonb -> 'twoFactorLogin' ->> 'userId' = $1`, [String(userId)]);
    await safeInStep();
    const res = await a.post("/login/two-factor").type("form").send({ code: await codeAt(secret, 1), _csrf: csrfFrom(page.text) });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/login");
    assert.match((await a.get("/login")).text, /Your login took too long/);
    assert.equal((await a.get("/profile")).status, 303);
    assert.equal((await a.get("/login/two-factor")).headers.location, "/login");
    assert.equal((await stored(userId)).totp_last_step !== null, true);
    assert.notEqual(Number((await stored(userId)).totp_last_step), Math.floor(Date.now() / 30_000) + 1, "the code was not spent");
  });

  it("without a password step there is nothing to answer: straight to the login page", async () => {
    const a = agent(app);
    const res = await a.get("/login/two-factor");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/login");
    const page = await a.get("/login");
    const post = await a.post("/login/two-factor").type("form").send({ code: "123456", _csrf: csrfFrom(page.text) });
    assert.equal(post.status, 303);
    assert.equal(post.headers.location, "/login");
  });
});

describe("new recovery codes and turning it off", () => {
  it("new codes need a code; the old ones stop working", async () => {
    const { agent: a, userId } = await loggedInAgent(app, newCredentials("regen"));
    const { codes } = await turnOnOverHttp(a);
    const wrong = await submit(a, "/account/two-factor/recovery-codes", { code: "000000" }, "/account/two-factor");
    assert.equal(wrong.status, 422);
    assert.match(wrong.text, /That code is not right/);
    const hashes = (await recoveryRows(userId)).map((r) => r.code_hash);
    const ok = await submit(a, "/account/two-factor/recovery-codes", { code: codes[0] }, "/account/two-factor");
    assert.equal(ok.status, 200, "the new codes are the answer");
    assert.match(ok.text, /New recovery codes made/);
    const fresh = codesIn(ok.text);
    assert.equal(fresh.length, 10);
    assert.equal((await a.get("/account/two-factor/recovery-codes")).headers.location, "/account/two-factor", "and shown nowhere else");
    const now = (await recoveryRows(userId)).map((r) => r.code_hash);
    assert.equal(now.length, 10);
    assert.ok(!now.some((h) => hashes.includes(h)), "all replaced");
    assert.equal(await verifySecondFactor(userId, codes[1]), false, "an old code");
    assert.equal(await verifySecondFactor(userId, fresh[0]), true, "a new code");
    assert.equal((await auditOf(userId, "user.2fa_recovery_regenerate")).length, 1);
  });

  it("turning it off needs the password and a code; then the password alone logs in", async () => {
    const creds = newCredentials("off");
    const { agent: a, userId } = await loggedInAgent(app, creds);
    const { secret } = await turnOnOverHttp(a);
    await safeInStep();
    const code = await codeAt(secret, 1);
    const cases: [Record<string, string>, RegExp][] = [
      [{ current_password: "not my password", code }, /Your current password is not correct/],
      [{ current_password: "", code }, /Enter your password/],
      [{ current_password: creds.password, code: "" }, /Enter the code/],
      [{ current_password: creds.password, code: "123123" === code ? "321321" : "123123" }, /That code is not right/],
    ];
    for (const [form, message] of cases) {
      const res = await submit(a, "/account/two-factor/disable", form, "/account/two-factor");
      assert.equal(res.status, 422, JSON.stringify(form));
      assert.match(res.text, message, JSON.stringify(form));
      assert.ok((await stored(userId)).totp_enabled_at, "still on");
    }
    assert.equal((await recoveryRows(userId)).length, 10);
    const ok = await submit(a, "/account/two-factor/disable", { current_password: creds.password, code }, "/account/two-factor");
    assert.equal(ok.status, 303);
    const row = await stored(userId);
    assert.deepEqual(row, { totp_secret: null, totp_enabled_at: null, totp_last_step: null });
    assert.equal((await recoveryRows(userId)).length, 0);
    assert.equal((await auditOf(userId, "user.2fa_disable")).length, 1);
    assert.ok((await mailsTo(creds.email)).some((m) => m.subject === "Two-factor authentication is off for your Hromada account"));
    const b = agent(app);
    const page = await b.get("/login");
    const res = await b.post("/login").type("form").send({ login: creds.username, password: creds.password, _csrf: csrfFrom(page.text) });
    assert.equal(res.headers.location, "/");
  });

  it("another account's session cannot touch mine; logged out, the pages send to the login", async () => {
    const mine = await loggedInAgent(app, newCredentials("mine"));
    const { codes } = await turnOnOverHttp(mine.agent);
    const other = await loggedInAgent(app, newCredentials("other"));
    const res = await submit(other.agent, "/account/two-factor/recovery-codes", { code: codes[0] }, "/profile");
    assert.equal(res.status, 303, "the other account has it off: back to its own setup page");
    assert.equal((await recoveryRows(mine.userId)).filter((r) => r.used_at).length, 0);
    const anon = agent(app);
    for (const url of ["/account/two-factor", "/account/two-factor/recovery-codes"]) assert.equal((await anon.get(url)).headers.location, "/login");
  });

  it("REQUIRE_STAFF_2FA off (the default): staff reach the admin site without it", async () => {
    const staff = await loggedInAgent(app, newCredentials("stafffree"), { isStaff: true });
    assert.equal((await staff.agent.get("/admin/")).status, 200);
  });
});

// The apps below are made after this file's first: ActiveRecord (User.findByLogin ...) follows the newest data source,
// so every test of the first app comes before them.
describe("limits on wrong codes, like the password's", () => {
  // TRUST_PROXY=1: each request names its client address in X-Forwarded-For, as nginx would.
  let limited: TestApp;
  before(async () => {
    limited = await startTestApp({ LOGIN_RATE_LIMIT: "6", LOGIN_ACCOUNT_RATE_LIMIT: "3", TRUST_PROXY: "1" });
  });
  after(() => limited.close());
  let address = 0;
  const nextIp = () => ({ "X-Forwarded-For": `10.30.0.${++address}` });
  const state = async (id: number) =>
    (await limited.sql<{ last_login: Date | null; totp_last_step: string | null }>("SELECT last_login, totp_last_step FROM users WHERE id = $1", [id]))[0];

  async function account(prefix: string) {
    const creds = newCredentials(prefix);
    const { agent: a, userId } = await loggedInAgent(limited, creds);
    const { secret, codes } = await turnOnOverHttp(a);
    return { creds, userId, secret, codes, signedIn: a };
  }

  it("per account: three wrong codes from three addresses, then even the right code is refused (429), unspent", async () => {
    const { creds, userId, secret } = await account("lim-acct");
    await safeInStep();
    const right = await codeAt(secret, 1);
    const wrong = String((Number(right) + 7) % 1_000_000).padStart(6, "0");
    for (let i = 0; i < 3; i++) {
      const a = agent(limited);
      const ip = nextIp();
      await passwordStep(a, creds, ip);
      assert.equal((await codeStep(a, wrong, ip)).status, 422, `wrong code ${i + 1}`);
    }
    const before = await state(userId);
    const a = agent(limited);
    const ip = nextIp();
    await passwordStep(a, creds, ip);
    const res = await codeStep(a, right, ip);
    assert.equal(res.status, 429);
    assert.match(res.text, /Too many attempts/);
    assert.deepEqual(await state(userId), before, "not logged in, the code not spent");
    assert.equal((await a.get("/profile").set(ip)).status, 303);
  });

  it("per address: wrong codes for several accounts from one address add up", async () => {
    const ip = nextIp();
    for (let n = 0; n < 3; n++) {
      const { creds } = await account(`lim-ip${n}`);
      for (let i = 0; i < 2; i++) {
        const a = agent(limited);
        await passwordStep(a, creds, ip);
        assert.equal((await codeStep(a, "000000" , ip)).status, 422);
      }
    }
    const fresh = await account("lim-ip-last");
    const a = agent(limited);
    await passwordStep(a, fresh.creds, ip);
    await safeInStep();
    assert.equal((await codeStep(a, await codeAt(fresh.secret, 1), ip)).status, 429, "the seventh, right or not");
    const b = agent(limited);
    const other = nextIp();
    await passwordStep(b, fresh.creds, other);
    assert.equal((await codeStep(b, await codeAt(fresh.secret, 1), other)).status, 303, "from another address it works");
  });

  it("the account page's code checks share the account's budget with the login step", async () => {
    const { creds, userId, secret, signedIn, codes } = await account("lim-page");
    for (let i = 0; i < 3; i++) {
      assert.equal((await submit(signedIn, "/account/two-factor/recovery-codes", { code: "000000" }, "/account/two-factor")).status, 422);
    }
    assert.equal((await submit(signedIn, "/account/two-factor/recovery-codes", { code: codes[0] }, "/account/two-factor")).status, 429);
    const disable = await submit(signedIn, "/account/two-factor/disable", { current_password: creds.password, code: codes[1] }, "/account/two-factor");
    assert.equal(disable.status, 429);
    const [row] = await limited.sql<{ n: number }>("SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL", [userId]);
    assert.equal(row.n, 10, "no code spent, none replaced");
    const a = agent(limited);
    const ip = nextIp();
    await passwordStep(a, creds, ip);
    await safeInStep();
    assert.equal((await codeStep(a, await codeAt(secret, 1), ip)).status, 429);
  });
});

describe("REQUIRE_STAFF_2FA", () => {
  let strict: TestApp;
  before(async () => {
    strict = await startTestApp({ REQUIRE_STAFF_2FA: "true" });
  });
  after(() => strict.close());

  it("staff without two-factor are sent to set it up, told why, and let in once it is on; others are not affected", async () => {
    const staff = await loggedInAgent(strict, newCredentials("staff"), { isStaff: true });
    const member = await loggedInAgent(strict, newCredentials("member"));
    const res = await staff.agent.get("/admin/");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/account/two-factor");
    const page = await staff.agent.get("/account/two-factor");
    assert.match(page.text, /Staff accounts need two-factor authentication before the admin site opens/);
    const token = csrfFrom(page.text);
    const change = await staff.agent.post(`/admin/users/${member.userId}/staff`).type("form").send({ staff: "1", _csrf: token });
    assert.equal(change.status, 303);
    assert.equal(change.headers.location, "/account/two-factor");
    assert.equal((await strict.sql<{ is_staff: boolean }>("SELECT is_staff FROM users WHERE id = $1", [member.userId]))[0].is_staff, false, "nothing done");
    assert.equal((await member.agent.get("/admin/")).status, 404, "non-staff still see no admin site");
    await turnOnOverHttp(staff.agent);
    assert.equal((await staff.agent.get("/admin/")).status, 200);
  });
});
