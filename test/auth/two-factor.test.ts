// Two-factor authentication: codes are computed here from the secret stored in the database, at this test's clock,
// with otplib, as an authenticator app would; every refusal is checked in the database afterwards.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generate } from "otplib";
import { startTestApp, type TestApp } from "../helpers/app";
import { newCredentials } from "../helpers/agent";
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
