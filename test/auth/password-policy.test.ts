// Weak new passwords are refused, with the reason next to the field: at sign-up, on password change and by
// createsuperuser. What Django's default validators refuse (too common, too similar to the username or email,
// entirely numeric, too short) is refused here; logins never judge strength, so older accounts keep working.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, loggedInAgent, newCredentials, postForm, tokenFor } from "../helpers/agent";
import { runCli } from "../helpers/cli";

let app: TestApp;
before(async () => {
  app = await startTestApp({ LOGIN_ACCOUNT_RATE_LIMIT: "3" });
});
after(() => app.close());

const usersNamed = async (username: string) => app.sql("SELECT id FROM users WHERE lower(username) = lower($1)", [username]);
const hashOf = async (id: number) =>
  (await app.sql<{ password_hash: string }>("SELECT password_hash FROM users WHERE id = $1", [id]))[0].password_hash;

/** The error shown under a field, tied to it (the field is marked invalid and points at the message). */
function fieldError(html: string, field: string): string | undefined {
  const input = new RegExp(`<input class="form-control is-invalid" id="f-${field}"[^>]*aria-describedby="[^"]*f-${field}-error"[^>]*aria-invalid="true"`);
  if (!input.test(html)) return undefined;
  return new RegExp(`<div class="invalid-feedback" id="f-${field}-error">([^<]*)</div>`).exec(html)?.[1];
}

/** [case, password for an account named olena_k / olena.k@…, the reason shown] */
const weak = (username: string, email: string): [string, string, RegExp][] => [
  ["the most common password", "password", /too common/],
  ["a common password with digits", "password123", /too common/],
  ["a keyboard walk", "qwertyuiop", /too common/],
  ["entirely numeric", "20240317915", /entirely numeric/],
  ["the username with a suffix", `${username}2024`, /too similar to your username or email/],
  ["the email's name, capitalised", `${email.split("@")[0].replace(/^./, (c) => c.toUpperCase())}!`, /too similar to your username or email/],
  ["the username reversed", [...username].reverse().join("") + "7", /too similar to your username or email/],
  ["too short", "Xq7#", /at least 8 characters/],
];

describe("sign-up", () => {
  const creds = newCredentials("olena");
  for (const [name, password, reason] of weak(creds.username, creds.email)) {
    it(`refuses ${name} with 422 and the reason next to the password field, storing nothing`, async () => {
      const res = await postForm(agent(app), "/signup", { ...creds, password, password_confirm: password }, "/signup");
      assert.equal(res.status, 422);
      const message = fieldError(res.text, "password");
      assert.ok(message, "the password field carries the error");
      assert.match(message, reason);
      assert.match(res.text, new RegExp(`value="${creds.username}"`), "keeps the username typed");
      assert.ok(!res.text.includes(`value="${password}"`), "never echoes the password");
      assert.deepEqual(await usersNamed(creds.username), []);
    });
  }

  it("shows the password error together with errors in other fields", async () => {
    const res = await postForm(agent(app), "/signup", { username: "ab", email: "nope", password: "password", password_confirm: "password" }, "/signup");
    assert.equal(res.status, 422);
    assert.match(fieldError(res.text, "username") ?? "", /at least 3/);
    assert.match(fieldError(res.text, "password") ?? "", /too common/);
  });

  it("accepts a strong password (and says what is asked next to the field)", async () => {
    const page = await agent(app).get("/signup");
    assert.match(page.text, /Not a common password, not like your username or email, not only digits/);
    const c = newCredentials("strong");
    const res = await postForm(agent(app), "/signup", { ...c, password: "tulip ferry granite", password_confirm: "tulip ferry granite" }, "/signup");
    assert.equal(res.status, 303);
    assert.equal((await usersNamed(c.username)).length, 1);
  });
});

describe("password change", () => {
  it("refuses a weak new password next to its field and keeps the old one; the refusal costs no guess", async () => {
    const { agent: a, creds, userId } = await loggedInAgent(app);
    const before = await hashOf(userId);
    const token = await tokenFor(a, "/profile");
    // More refusals than LOGIN_ACCOUNT_RATE_LIMIT (3): none of them checked the current password, so none counts.
    for (const [, password, reason] of weak(creds.username, creds.email)) {
      const res = await a.post("/profile/password").type("form")
        .send({ _csrf: token, current_password: creds.password, new_password: password, new_password_confirm: password });
      assert.equal(res.status, 422, password);
      assert.match(fieldError(res.text, "new_password") ?? "", reason);
    }
    assert.equal(await hashOf(userId), before, "the password is unchanged");
    const res = await a.post("/profile/password").type("form")
      .send({ _csrf: token, current_password: creds.password, new_password: "quiet harbour violin", new_password_confirm: "quiet harbour violin" });
    assert.equal(res.status, 303);
    assert.notEqual(await hashOf(userId), before);
  });
});

describe("existing accounts", () => {
  it("an account whose password is weak (made before this rule) still logs in", async () => {
    const creds = { ...newCredentials("legacy"), password: "password" };
    const user = await app.auth.signup(creds);
    const res = await postForm(agent(app), "/login", { login: creds.username, password: "password" });
    assert.equal(res.status, 303);
    const [row] = await app.sql<{ last_login: Date | null }>("SELECT last_login FROM users WHERE id = $1", [user.id]);
    assert.ok(row.last_login);
  });
});

describe("createsuperuser", () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-cli-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const run = (args: string[], input?: string) =>
    runCli("createsuperuser", args, {
      env: { NODE_ENV: "test", DATABASE_URL: app.db.url, BCRYPT_COST: "4", DATA_DIR: path.join(tmp, "data"), MEDIA_ROOT: path.join(tmp, "media") },
      input,
    });

  it("--no-input refuses a weak password, saying why, and creates nobody", async () => {
    const c = newCredentials("boss");
    const r = await run(["--no-input", "--username", c.username, "--email", c.email, "--password", "password1"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /password: This password is too common/);
    assert.deepEqual(await usersNamed(c.username), []);
  });

  it("asks again for a weak password typed at the prompt", async () => {
    const c = newCredentials("boss");
    const strong = "maple copper whistle";
    const r = await run([], [c.username, c.email, `${c.username}1`, strong, strong, ""].join("\n"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /too similar to your username or email/);
    assert.equal((await usersNamed(c.username)).length, 1);
  });
});
