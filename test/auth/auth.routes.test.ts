import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, csrfFrom, loggedInAgent, newCredentials, postForm, signedUpAgent, tokenFor } from "../helpers/agent";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const countUsers = async () => Number((await app.sql<{ n: string }>("SELECT count(*) AS n FROM users"))[0].n);

describe("sign up", () => {
  it("creates the user with a bcrypt hash and a gallery, logs in and redirects home", async () => {
    const { agent: a, creds, userId } = await signedUpAgent(app);
    const [row] = await app.sql<{ password_hash: string; gallery_id: number; is_staff: boolean; is_active: boolean; email: string }>(
      "SELECT password_hash, gallery_id, is_staff, is_active, email FROM users WHERE id = $1",
      [userId],
    );
    assert.match(row.password_hash, /^\$2[aby]\$04\$/);
    assert.notEqual(row.password_hash, creds.password);
    assert.equal(row.email, creds.email);
    assert.equal(row.is_staff, false);
    assert.equal(row.is_active, true);
    const galleries = await app.sql("SELECT id FROM galleries WHERE id = $1", [row.gallery_id]);
    assert.equal(galleries.length, 1);
    const home = await a.get("/");
    assert.equal(home.status, 200);
    assert.match(home.text, new RegExp(`Welcome to Hromada, ${creds.username}`));
    assert.match(home.text, new RegExp(creds.username));
  });

  it("refuses a duplicate username or email in any letter case with 422, and stores nothing", async () => {
    const { creds } = await signedUpAgent(app);
    const before = await countUsers();
    const a = agent(app);
    let res = await postForm(a, "/signup", {
      username: creds.username.toUpperCase(), email: "other@example.test", password: "plum orbit lantern", password_confirm: "plum orbit lantern",
    }, "/signup");
    assert.equal(res.status, 422);
    assert.match(res.text, /That username is taken/);
    assert.match(res.text, /value="other@example.test"/, "keeps what was typed");
    res = await postForm(a, "/signup", {
      username: "someone_else", email: creds.email.toUpperCase(), password: "plum orbit lantern", password_confirm: "plum orbit lantern",
    }, "/signup");
    assert.equal(res.status, 422);
    assert.match(res.text, /An account with that email already exists/);
    assert.equal(await countUsers(), before);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ["empty form", { username: "", email: "", password: "", password_confirm: "" }, /Username must be at least 3 characters/],
    ["short username", { username: "ab", email: "a@b.test", password: "plum orbit lantern", password_confirm: "plum orbit lantern" }, /at least 3/],
    ["long username", { username: "a".repeat(31), email: "a@b.test", password: "plum orbit lantern", password_confirm: "plum orbit lantern" }, /at most 30/],
    ["HTML in username", { username: "<script>x", email: "a@b.test", password: "plum orbit lantern", password_confirm: "plum orbit lantern" }, /Use only letters/],
    ["SQL in username", { username: "x' OR '1'='1", email: "a@b.test", password: "plum orbit lantern", password_confirm: "plum orbit lantern" }, /Use only letters/],
    ["bad email", { username: "validname", email: "not-an-email", password: "plum orbit lantern", password_confirm: "plum orbit lantern" }, /valid email/],
    ["short password", { username: "validname", email: "a@b.test", password: "short", password_confirm: "short" }, /at least 8/],
    ["73-byte password", { username: "validname", email: "a@b.test", password: "x".repeat(73), password_confirm: "x".repeat(73) }, /too long: at most 72 bytes/],
    ["multibyte password over 72 bytes", { username: "validname", email: "a@b.test", password: "ї".repeat(37), password_confirm: "ї".repeat(37) }, /too long/],
    ["mismatched confirmation", { username: "validname", email: "a@b.test", password: "plum orbit lantern", password_confirm: "plum orbit lanterns" }, /do not match/],
  ];
  for (const [name, form, message] of bad) {
    it(`re-renders with 422 for ${name}, never echoing the password`, async () => {
      const before = await countUsers();
      const res = await postForm(agent(app), "/signup", form, "/signup");
      assert.equal(res.status, 422);
      assert.match(res.text, message);
      assert.match(res.text, /is-invalid/);
      if (form.password) assert.ok(!res.text.includes(`value="${form.password}"`), "password not echoed");
      assert.ok(!res.text.includes("<script>x"), "HTML is escaped");
      assert.equal(await countUsers(), before);
    });
  }

  it("accepts unicode usernames and exactly 72-byte passwords", async () => {
    const creds = { username: `Олена_${process.pid}`, email: `olena${process.pid}@example.test`, password: "river stone ".repeat(7).slice(0, 72) };
    assert.equal(Buffer.byteLength(creds.password), 72);
    const res = await postForm(agent(app), "/signup", { ...creds, password_confirm: creds.password }, "/signup");
    assert.equal(res.status, 303);
    const rows = await app.sql("SELECT id FROM users WHERE username = $1", [creds.username]);
    assert.equal(rows.length, 1);
    const login = await postForm(agent(app), "/login", { login: creds.username.toLowerCase(), password: creds.password });
    assert.equal(login.status, 303, "case-insensitive unicode login works");
  });

  it("ignores extra fields such as is_staff (no mass assignment)", async () => {
    const creds = newCredentials("mass");
    await postForm(agent(app), "/signup", { ...creds, password_confirm: creds.password, is_staff: "true", id: "1" } as Record<string, string>, "/signup");
    const [row] = await app.sql<{ is_staff: boolean; id: number }>("SELECT is_staff, id FROM users WHERE username = $1", [creds.username]);
    assert.equal(row.is_staff, false);
  });
});

describe("log in and out", () => {
  it("logs in by username or email in any case, rotates the session id and records last_login", async () => {
    const creds = newCredentials("login");
    const user = await app.auth.signup(creds);
    const a = agent(app);
    const page = await a.get("/login");
    const before = page.headers["set-cookie"]?.[0]?.split(";")[0];
    assert.ok(before, "anonymous session cookie issued for the login form");
    const res = await a.post("/login").type("form").send({ login: creds.email.toUpperCase(), password: creds.password, _csrf: csrfFrom(page.text) });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/");
    const afterCookie = res.headers["set-cookie"]?.[0]?.split(";")[0];
    assert.ok(afterCookie && afterCookie !== before, "session id changed at login");
    const oldSid = decodeURIComponent(before.split("=")[1]).slice(2).split(".")[0];
    assert.equal((await app.sql("SELECT 1 FROM session WHERE sid = $1", [oldSid])).length, 0, "pre-login session is gone");
    const [row] = await app.sql<{ last_login: Date | null }>("SELECT last_login FROM users WHERE id = $1", [user.id]);
    assert.ok(row.last_login);
    assert.equal((await a.get("/")).status, 200);
  });

  it("gives the same answer for a wrong password and an unknown user", async () => {
    const creds = newCredentials("same");
    await app.auth.signup(creds);
    const wrong = await postForm(agent(app), "/login", { login: creds.username, password: "wrong password" });
    const unknown = await postForm(agent(app), "/login", { login: "nobody_here", password: "wrong password" });
    assert.equal(wrong.status, 422);
    assert.equal(unknown.status, 422);
    const msg = (t: string) => /<div class="alert alert-danger" role="alert">([^<]*)<\/div>/.exec(t)?.[1];
    assert.equal(msg(wrong.text), "Wrong username/email or password.");
    assert.equal(msg(unknown.text), msg(wrong.text));
    assert.ok(!wrong.text.includes("wrong password"), "password not echoed");
  });

  it("refuses a deactivated account with the same message", async () => {
    const creds = newCredentials("inactive");
    const user = await app.auth.signup(creds);
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [user.id]);
    const res = await postForm(agent(app), "/login", { login: creds.username, password: creds.password });
    assert.equal(res.status, 422);
    assert.match(res.text, /Wrong username\/email or password/);
  });

  it("sends anonymous visitors to the login page and back to where they were going", async () => {
    const creds = newCredentials("back");
    await app.auth.signup(creds);
    const a = agent(app);
    const res = await a.get("/profile");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/login");
    const login = await postForm(a, "/login", { login: creds.username, password: creds.password });
    assert.equal(login.headers.location, "/profile");
  });

  it("does not redirect to another site after login", async () => {
    const creds = newCredentials("open");
    await app.auth.signup(creds);
    const a = agent(app);
    await a.get("/login?next=//evil.example/x");
    const login = await postForm(a, "/login", { login: creds.username, password: creds.password });
    assert.equal(login.headers.location, "/");
  });

  it("logs out only by POST, ending the session on the server", async () => {
    const { agent: a } = await loggedInAgent(app);
    assert.equal((await a.get("/logout")).status, 404, "GET does not log out");
    assert.equal((await a.get("/")).status, 200);
    const sessionsBefore = Number((await app.sql<{ n: string }>("SELECT count(*) AS n FROM session WHERE sess::text LIKE '%passport%'"))[0].n);
    const token = await tokenFor(a, "/profile");
    const res = await a.post("/logout").type("form").send({ _csrf: token });
    assert.equal(res.status, 303);
    assert.equal((await a.get("/")).status, 303, "logged out");
    const sessionsAfter = Number((await app.sql<{ n: string }>("SELECT count(*) AS n FROM session WHERE sess::text LIKE '%passport%'"))[0].n);
    assert.equal(sessionsAfter, sessionsBefore - 1);
  });

  it("refuses a replayed session cookie after logout", async () => {
    const { agent: a } = await loggedInAgent(app);
    const home = await a.get("/");
    assert.equal(home.status, 200);
    const cookie = (a as unknown as { jar: { getCookie(n: string, o: object): { toValueString(): string } } }).jar
      .getCookie("hromada.sid", { domain: "127.0.0.1", path: "/", secure: false, script: false })
      .toValueString();
    await a.post("/logout").type("form").send({ _csrf: await tokenFor(a, "/profile") });
    const replay = await agent(app).get("/").set("Cookie", cookie);
    assert.equal(replay.status, 303, "old cookie no longer logged in");
  });
});

describe("profile", () => {
  it("changes username and email, refusing ones taken by others", async () => {
    const other = await loggedInAgent(app);
    const { agent: a, userId } = await loggedInAgent(app);
    const token = await tokenFor(a, "/profile");
    let res = await a.post("/profile").type("form").send({ _csrf: token, username: other.creds.username.toUpperCase(), email: "new@example.test" });
    assert.equal(res.status, 422);
    assert.match(res.text, /That username is taken/);
    res = await a.post("/profile").type("form").send({ _csrf: token, username: `renamed_${userId}`, email: `Renamed${userId}@example.test`, is_staff: "true" });
    assert.equal(res.status, 303);
    const [row] = await app.sql<{ username: string; email: string; is_staff: boolean }>("SELECT username, email, is_staff FROM users WHERE id = $1", [userId]);
    assert.equal(row.username, `renamed_${userId}`);
    assert.equal(row.email, `Renamed${userId}@example.test`);
    assert.equal(row.is_staff, false);
  });

  it("changes the password only with the current one, and ends the user's other sessions", async () => {
    const { agent: a, creds, userId } = await loggedInAgent(app);
    const second = agent(app);
    await postForm(second, "/login", { login: creds.username, password: creds.password });
    assert.equal((await second.get("/")).status, 200);
    const token = await tokenFor(a, "/profile");
    let res = await a.post("/profile/password").type("form").send({ _csrf: token, current_password: "not it", new_password: "brand new pass", new_password_confirm: "brand new pass" });
    assert.equal(res.status, 422);
    assert.match(res.text, /current password is not correct/);
    res = await a.post("/profile/password").type("form").send({ _csrf: token, current_password: creds.password, new_password: "brand new pass", new_password_confirm: "brand new pass" });
    assert.equal(res.status, 303);
    assert.equal((await a.get("/")).status, 200, "this session stays");
    assert.equal((await second.get("/")).status, 303, "the other session ended");
    const sessions = await app.sql("SELECT sid FROM session WHERE (sess -> 'passport' ->> 'user') = $1", [String(userId)]);
    assert.equal(sessions.length, 1);
    const oldLogin = await postForm(agent(app), "/login", { login: creds.username, password: creds.password });
    assert.equal(oldLogin.status, 422);
    const newLogin = await postForm(agent(app), "/login", { login: creds.username, password: "brand new pass" });
    assert.equal(newLogin.status, 303);
  });
});

describe("CSRF", () => {
  it("refuses a POST without a token or with another session's token, changing nothing", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const other = await loggedInAgent(app);
    const otherToken = await tokenFor(other.agent, "/profile");
    let res = await a.post("/profile").type("form").send({ username: "hijacked", email: "h@example.test" });
    assert.equal(res.status, 403);
    assert.match(res.text, /form expired/);
    res = await a.post("/profile").type("form").send({ username: "hijacked", email: "h@example.test", _csrf: otherToken });
    assert.equal(res.status, 403);
    const [row] = await app.sql<{ username: string }>("SELECT username FROM users WHERE id = $1", [userId]);
    assert.notEqual(row.username, "hijacked");
    const creds = newCredentials("csrf");
    res = await agent(app).post("/signup").type("form").send({ ...creds, password_confirm: creds.password });
    assert.equal(res.status, 403);
    assert.equal((await app.sql("SELECT 1 FROM users WHERE username = $1", [creds.username])).length, 0);
  });
});
