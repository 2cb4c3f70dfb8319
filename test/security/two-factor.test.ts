// Promise: "passwords and sessions are handled carefully", with a second factor on (#19). Between the password and
// the code a session is nobody's: no page, socket or file of the account answers it. Codes are guessed against a
// limit per account and per address (concurrent guesses included), work once (replay and recovery-code reuse are
// refused), cannot be taken from a form field, and the second step ends when the password changes. Codes are
// computed from the secret stored in the database at the test's clock, as an authenticator app would.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generate } from "otplib";
import type { TestApp } from "../helpers/app";
import { agent, csrfFrom, tokenFor, type Agent } from "../helpers/agent";
import { connected, cookieOf, socketFor } from "../chat/helpers";
import { User } from "../../src/auth/user.entity";
import { anonymous, pagesOf, person, useWorld, type Person, type World } from "./helpers";

let app: TestApp;
let w: World;
// The account limit is small here, so a guessing run is cut off after a few codes.
const ACCOUNT_LIMIT = 4;
useWorld((a, world) => {
  app = a;
  w = world;
}, { LOGIN_ACCOUNT_RATE_LIMIT: String(ACCOUNT_LIMIT) });

/** Waits out the last seconds of a 30-second step, so a code computed now is still good when the app checks it. */
async function safeInStep(): Promise<void> {
  const into = Date.now() % 30_000;
  if (into > 25_000) await new Promise((r) => setTimeout(r, 30_000 - into + 200));
}

/** The code an authenticator app shows `steps` steps from now. */
const codeAt = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });

/** Turns two-factor authentication on for `p` (through the service, as the setup page does): its secret and recovery codes. */
async function turnOn(p: Person): Promise<{ secret: string; codes: string[] }> {
  const user = (await User.findOneBy({ id: p.userId }))!;
  const secret = app.twoFactor.newSecret();
  await safeInStep();
  const codes = await app.twoFactor.enable(user, secret, await codeAt(secret));
  assert.ok(codes);
  // The step of the code that turned it on is spent: the next one is what a login may use.
  return { secret, codes };
}

/** The password step in a fresh browser: it must lead to the code page, logged in as nobody. */
async function passwordStep(p: Person): Promise<Agent> {
  const b = agent(app);
  const token = await tokenFor(b);
  const res = await b.post("/login").type("form").send({ login: p.username, password: p.password, _csrf: token });
  assert.equal(res.status, 303);
  assert.equal(res.headers.location, "/login/two-factor");
  return b;
}

async function sendCode(b: Agent, code: string) {
  const token = csrfFrom((await b.get("/login/two-factor")).text);
  return b.post("/login/two-factor").type("form").send({ code, _csrf: token });
}

/** Whether `b` is logged in as `p` (the profile page shows their name). */
async function loggedInAs(b: Agent, p: Person): Promise<boolean> {
  const res = await b.get("/profile");
  return res.status === 200 && res.text.includes(p.username);
}

const lastStep = async (p: Person) => (await app.sql<{ s: string | null }>("SELECT totp_last_step AS s FROM users WHERE id = $1", [p.userId]))[0].s;

describe("between the password and the code", () => {
  it("the session is nobody's: every page answers as to a visitor, no socket opens, no file of the account is sent", async () => {
    const owner = await person(app, "tfhalf");
    await turnOn(owner);
    const half = await passwordStep(owner);
    const visitor = anonymous(app);
    // The pages of a's world, aimed at a's things; the owner's own pages too.
    const urls = [...new Set([...Object.values(pagesOf(w)), "/profile", "/account/sessions", "/account/two-factor", "/chats", "/gallery"])];
    for (const url of urls) {
      if (url === "/login/two-factor") continue;
      const [mine, theirs] = [await half.get(url), await visitor.get(url)];
      assert.equal(mine.status, theirs.status, `${url}: ${mine.status} for the half-logged-in session, ${theirs.status} for a visitor`);
      assert.equal(mine.headers.location, theirs.headers.location, url);
      assert.ok(!mine.text.includes(owner.username) || theirs.text.includes(owner.username), `${url} names the account`);
    }
    await assert.rejects(connected(socketFor(app, { cookie: cookieOf(half) })), "no socket for a session without its code");
    const [{ thumb }] = await app.sql<{ thumb: string }>("SELECT thumb_path AS thumb FROM images WHERE id = $1", [w.owned.imageId]);
    assert.equal((await half.get(`/media/${thumb}`)).status, 404);
  });

  it("the password step gives a new session id and the code step another (no fixation); the right code logs in", async () => {
    const owner = await person(app, "tffix");
    const { secret } = await turnOn(owner);
    const b = agent(app);
    const token = await tokenFor(b);
    const before = cookieOf(b);
    await b.post("/login").type("form").send({ login: owner.username, password: owner.password, _csrf: token }).expect(303);
    const pending = cookieOf(b);
    assert.notEqual(pending, before);
    await safeInStep();
    const ok = await sendCode(b, await codeAt(secret, 1));
    assert.equal(ok.status, 303);
    assert.notEqual(cookieOf(b), pending);
    assert.ok(await loggedInAs(b, owner));
  });
});

describe("guessing codes", () => {
  it(`is cut off after ${ACCOUNT_LIMIT} wrong codes for the account, and then the right code is refused too; a new password step does not reset it`, async () => {
    const owner = await person(app, "tfguess");
    const { secret } = await turnOn(owner);
    const b = await passwordStep(owner);
    await safeInStep();
    const right = new Set([await codeAt(secret, -1), await codeAt(secret), await codeAt(secret, 1)]);
    const wrong = ["000000", "111111", "222222", "333333", "444444", "555555", "666666"].filter((c) => !right.has(c));
    const statuses: number[] = [];
    for (const code of wrong.slice(0, ACCOUNT_LIMIT + 1)) statuses.push((await sendCode(b, code)).status);
    assert.ok(statuses.includes(429), `cut off: ${statuses.join(", ")}`);
    assert.ok(statuses.filter((s) => s === 422).length <= ACCOUNT_LIMIT, statuses.join(", "));
    const step = await lastStep(owner);
    assert.equal((await sendCode(b, await codeAt(secret, 1))).status, 429, "the right code, once limited");
    assert.equal(await loggedInAs(b, owner), false);
    const again = await passwordStep(owner);
    assert.equal((await sendCode(again, await codeAt(secret, 1))).status, 429, "a new password step: the account is still limited");
    assert.equal(await loggedInAs(again, owner), false);
    assert.equal(await lastStep(owner), step, "no code was spent");
  });

  it("guesses sent all at once buy no more than the limit", async () => {
    const owner = await person(app, "tfburst");
    const { secret } = await turnOn(owner);
    await safeInStep();
    const right = new Set([await codeAt(secret, -1), await codeAt(secret), await codeAt(secret, 1)]);
    const sessions = await Promise.all(Array.from({ length: 12 }, () => passwordStep(owner)));
    const guesses = Array.from({ length: 12 }, (_, i) => String(100000 + i * 7919)).filter((c) => !right.has(c));
    const tokens = await Promise.all(sessions.map(async (s) => csrfFrom((await s.get("/login/two-factor")).text)));
    const res = await Promise.all(guesses.map((code, i) => sessions[i].post("/login/two-factor").type("form").send({ code, _csrf: tokens[i] })));
    const answered = res.filter((r) => r.status === 422).length;
    assert.ok(answered <= ACCOUNT_LIMIT, `${answered} guesses were checked (${res.map((r) => r.status).join(", ")})`);
    assert.ok(res.every((r) => r.status === 422 || r.status === 429));
  });
});

describe("a code works once", () => {
  it("a code that logged in is refused at the next login (replay), and so is any older one", async () => {
    const owner = await person(app, "tfreplay");
    const { secret } = await turnOn(owner);
    await safeInStep();
    const code = await codeAt(secret, 1);
    const first = await passwordStep(owner);
    assert.equal((await sendCode(first, code)).status, 303);
    const step = await lastStep(owner);
    const second = await passwordStep(owner);
    for (const old of [code, await codeAt(secret), await codeAt(secret, -1)]) {
      const res = await sendCode(second, old);
      assert.equal(res.status, 422, `replayed ${old}`);
    }
    assert.equal(await loggedInAs(second, owner), false);
    assert.equal(await lastStep(owner), step);
  });

  it("a recovery code opens one login, whatever its case and dashes the second time; another account's code none", async () => {
    const owner = await person(app, "tfrec");
    const other = await person(app, "tfrec");
    const { codes } = await turnOn(owner);
    const { codes: otherCodes } = await turnOn(other);
    const used = async () => (await app.sql("SELECT 1 FROM recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL", [owner.userId])).length;

    const wrongAccount = await passwordStep(owner);
    assert.equal((await sendCode(wrongAccount, otherCodes[0])).status, 422, "another account's recovery code");
    assert.equal(await used(), 0);
    assert.equal((await sendCode(wrongAccount, codes[0])).status, 303);
    assert.ok(await loggedInAs(wrongAccount, owner));
    assert.equal(await used(), 1);
    for (const variant of [codes[0], codes[0].toUpperCase(), codes[0].replace(/-/g, ""), ` ${codes[0].replace(/-/g, " ")} `]) {
      const b = await passwordStep(owner);
      assert.equal((await sendCode(b, variant)).status, 422, `reused as "${variant}"`);
      assert.equal(await loggedInAs(b, owner), false);
    }
    assert.equal(await used(), 1);
  });
});

describe("forms that cannot be talked into more", () => {
  it("the code step needs its CSRF token: none, or another session's, is a 403 and logs nobody in", async () => {
    const owner = await person(app, "tfcsrf");
    const { secret } = await turnOn(owner);
    const b = await passwordStep(owner);
    await safeInStep();
    const code = await codeAt(secret, 1);
    const other = agent(app);
    const foreign = await tokenFor(other);
    for (const form of [{ code }, { code, _csrf: foreign }]) {
      assert.equal((await b.post("/login/two-factor").type("form").send(form)).status, 403);
    }
    assert.equal(await loggedInAs(b, owner), false);
    assert.equal((await sendCode(b, code)).status, 303, "the code was not spent by the refused requests");
  });

  it("turning it on takes the secret from the session's setup only: a secret sent in the form (with its code) is ignored", async () => {
    const p = await person(app, "tfmass");
    const attacker = app.twoFactor.newSecret();
    await safeInStep();
    const page = await p.agent.get("/account/two-factor");
    const res = await p.agent.post("/account/two-factor/enable").type("form")
      .send({ code: await codeAt(attacker), secret: attacker, totp_secret: attacker, _csrf: csrfFrom(page.text) });
    assert.equal(res.status, 303, "no setup started: back to the page");
    const [row] = await app.sql<{ secret: string | null; on: Date | null }>("SELECT totp_secret AS secret, totp_enabled_at AS on FROM users WHERE id = $1", [p.userId]);
    assert.deepEqual(row, { secret: null, on: null });
  });

  it("turning it off needs the password and a code, each refused on its own, nothing changed", async () => {
    const p = await person(app, "tfoff");
    const { secret } = await turnOn(p);
    await safeInStep();
    const token = csrfFrom((await p.agent.get("/account/two-factor")).text);
    const off = (form: Record<string, string>) => p.agent.post("/account/two-factor/disable").type("form").send({ ...form, _csrf: token });
    assert.equal((await off({ current_password: "not the password", code: await codeAt(secret, 1) })).status, 422);
    assert.equal((await off({ current_password: p.password, code: "000001" })).status, 422);
    assert.equal((await off({ current_password: p.password })).status, 422);
    const [row] = await app.sql<{ on: Date | null }>("SELECT totp_enabled_at AS on FROM users WHERE id = $1", [p.userId]);
    assert.ok(row.on, "still on");
    assert.equal((await app.sql("SELECT 1 FROM recovery_codes WHERE user_id = $1", [p.userId])).length, 10);
  });
});

describe("the second step ends with what started it", () => {
  it("a password changed meanwhile (reset, or changed elsewhere) ends a pending second step: the right code no longer logs in", async () => {
    const owner = await person(app, "tfpw");
    const { secret } = await turnOn(owner);
    const pending = await passwordStep(owner);
    // The owner, logged in elsewhere, changes the password (a stolen one, say).
    const token = csrfFrom((await owner.agent.get("/profile")).text);
    const changed = await owner.agent.post("/profile/password").type("form")
      .send({ current_password: owner.password, new_password: "a brand new passphrase", new_password_confirm: "a brand new passphrase", _csrf: token });
    assert.equal(changed.status, 303);
    await safeInStep();
    const res = await sendCode(pending, await codeAt(secret, 1));
    assert.notEqual(res.status, 200);
    assert.equal(await loggedInAs(pending, owner), false, "the old password's second step logged in");
  });
});
