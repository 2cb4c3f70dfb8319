import assert from "node:assert/strict";
import bcrypt from "bcrypt";
import { Client } from "pg";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, loggedInAgent, newCredentials, postForm, type Agent } from "../helpers/agent";
import { linkIn, startInbox, type Inbox } from "../helpers/mail";
import { connect } from "../chat/helpers";
import { resetState } from "../../src/auth/password-reset.service";

let app: TestApp;
let inbox: Inbox;
before(async () => {
  inbox = await startInbox();
  app = await startTestApp({ SMTP_URL: inbox.url, PASSWORD_RESET_RATE_LIMIT: "10000", PASSWORD_RESET_IP_RATE_LIMIT: "10000" });
});
after(async () => {
  await app.close();
  await inbox.close();
});

const NEW_PASSWORD = "lantern copper meadow";

/** A logged-in account whose address is confirmed (new accounts start unconfirmed). */
async function verifiedUser(prefix: string) {
  const u = await loggedInAgent(app, newCredentials(prefix));
  await app.sql("UPDATE users SET email_verified_at = now() WHERE id = $1", [u.userId]);
  return u;
}

async function ask(a: Agent, email: string) {
  return postForm(a, "/password/reset", { email }, "/password/reset");
}

const isReset = (m: { text?: string }) => (m.text ?? "").includes("/password/reset/");
const resetMails = (email: string) => inbox.to(email).filter(isReset);

/** Asks for a link for this account's address and returns its path. */
async function resetLink(email: string): Promise<string> {
  const before = resetMails(email).length;
  const res = await ask(agent(app), email);
  assert.equal(res.status, 200);
  const mail = await inbox.waitFor(email, (m) => isReset(m) && resetMails(email).indexOf(m) >= before);
  return linkIn(mail, "/password/reset/");
}

async function choose(a: Agent, link: string, password = NEW_PASSWORD, confirm = password) {
  return postForm(a, link, { new_password: password, new_password_confirm: confirm }, "/password/reset");
}

const hashOf = async (id: number) => (await app.sql<{ password_hash: string }>("SELECT password_hash FROM users WHERE id = $1", [id]))[0].password_hash;
const sessionsOf = async (id: number) => (await app.sql("SELECT sid FROM session WHERE (sess -> 'passport' ->> 'user') = $1", [String(id)])).length;

describe("password reset", () => {
  it("mails a link that sets a new password, ends every session and socket of the account, and is audited", async () => {
    const { creds, userId, agent: loggedIn } = await verifiedUser("reset");
    const socket = await connect(app, loggedIn);
    const disconnected = new Promise((resolve) => socket.on("disconnect", resolve));
    await app.sql("UPDATE users SET locale = 'uk' WHERE id = $1", [userId]);
    const res = await ask(agent(app), creds.email.toUpperCase());
    assert.equal(res.status, 200);
    assert.match(res.text, /If an account with a confirmed address matches/);
    const mail = await inbox.waitFor(creds.email, isReset);
    assert.equal(mail.subject, "Скидання пароля Громади", "in the account's language");
    assert.match(mail.text ?? "", /діє 60 хвилин/);
    assert.match(String(mail.html), /Обрати новий пароль/);
    const link = linkIn(mail, "/password/reset/");

    const a = agent(app);
    const form = await a.get(link);
    assert.equal(form.status, 200);
    assert.match(form.text, /Choose a new password/);
    const done = await choose(a, link);
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, "/login");
    assert.ok(await bcrypt.compare(NEW_PASSWORD, await hashOf(userId)), "the new password is stored");
    assert.equal(await sessionsOf(userId), 0, "every session of the account ended");
    await disconnected;
    assert.equal((await loggedIn.get("/")).status, 303, "the old session is logged out");
    const [audit] = await app.sql<{ action: string; actor_id: number; details: Record<string, unknown> }>(
      "SELECT action, actor_id, details FROM audit_logs WHERE target_type = 'user' AND target_id = $1", [String(userId)],
    );
    assert.equal(audit.action, "user.password_reset");
    assert.equal(audit.actor_id, userId);
    assert.equal(audit.details.sessionsEnded, 1);
    const login = await postForm(agent(app), "/login", { login: creds.username, password: NEW_PASSWORD });
    assert.equal(login.status, 303, "the new password logs in");
  });

  it("refuses a used link, a forged one, one for another account and an expired one (400), changing nothing", async () => {
    const { creds, userId } = await verifiedUser("reuse");
    const link = await resetLink(creds.email);
    assert.equal((await choose(agent(app), link)).status, 303);
    const hash = await hashOf(userId);
    const reused = await choose(agent(app), link, "another fine passphrase");
    assert.equal(reused.status, 400);
    assert.match(reused.text, /invalid, has expired, or was already used/);
    assert.match((await agent(app).get(link)).text, /This link does not work/);

    const fresh = await resetLink(creds.email);
    const token = fresh.split("/").pop()!;
    const [, id, issued, sig] = /^([0-9a-z]+)-([0-9a-z]+)-(.+)$/.exec(token)!;
    const other = await verifiedUser("other");
    const forged = [
      `${id}-${issued}-${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`, // a changed signature
      `${other.userId.toString(36)}-${issued}-${sig}`, // someone else's account with this signature
      `${id}-${(parseInt(issued, 36) + 3600).toString(36)}-${sig}`, // a later time
      "garbage", `${id}-${issued}`, `0-${issued}-${sig}`,
    ];
    for (const t of forged) {
      assert.match((await agent(app).get(`/password/reset/${t}`)).text, /This link does not work/, t);
      assert.equal((await choose(agent(app), `/password/reset/${t}`)).status, 400, t);
    }
    const [user] = await app.sql<{ password_hash: string; email: string; last_login: Date }>("SELECT password_hash, email, last_login FROM users WHERE id = $1", [userId]);
    const expired = app.deps.tokens.make("password-reset", userId, resetState({ passwordHash: user.password_hash, email: user.email, lastLogin: user.last_login }), Date.now() - 61 * 60_000);
    assert.equal((await choose(agent(app), `/password/reset/${expired}`)).status, 400, "older than PASSWORD_RESET_TIMEOUT_MINUTES");
    const inTime = app.deps.tokens.make("password-reset", userId, resetState({ passwordHash: user.password_hash, email: user.email, lastLogin: user.last_login }), Date.now() - 59 * 60_000);
    assert.match((await agent(app).get(`/password/reset/${inTime}`)).text, /Choose a new password/, "a link 59 minutes old still works");
    assert.equal(await hashOf(userId), hash, "nothing changed");
    assert.equal(await hashOf(other.userId), (await hashOf(other.userId)));
  });

  it("stops working when the account logs in or changes its email", async () => {
    const { creds, userId, agent: a } = await verifiedUser("state");
    let link = await resetLink(creds.email);
    assert.equal((await postForm(agent(app), "/login", { login: creds.username, password: creds.password })).status, 303);
    assert.match((await agent(app).get(link)).text, /This link does not work/, "a login since the mail");
    link = await resetLink(creds.email);
    await app.sql("UPDATE users SET email = $2 WHERE id = $1", [userId, `moved.${creds.email}`]);
    assert.match((await agent(app).get(link)).text, /This link does not work/, "a new email since the mail");
    void a;
  });

  it("refuses a weak or mismatched new password with 422 and keeps the link usable", async () => {
    const { creds, userId } = await verifiedUser("weak");
    const link = await resetLink(creds.email);
    const hash = await hashOf(userId);
    const a = agent(app);
    let res = await choose(a, link, "12345678");
    assert.equal(res.status, 422);
    assert.match(res.text, /entirely numeric/);
    res = await choose(a, link, NEW_PASSWORD, NEW_PASSWORD + "x");
    assert.equal(res.status, 422);
    assert.match(res.text, /do not match/);
    assert.equal(await hashOf(userId), hash);
    assert.equal((await choose(a, link)).status, 303);
  });

  it("answers an unknown address exactly as a known one and sends it nothing", async () => {
    const { creds } = await verifiedUser("same");
    const known = await ask(agent(app), creds.email);
    const unknown = await ask(agent(app), `nobody.${creds.email}`);
    const strip = (html: string) => html.replace(/name="_csrf" value="[^"]+"/g, "");
    assert.equal(known.status, unknown.status);
    assert.equal(strip(known.text), strip(unknown.text));
    await app.resets.settled();
    await inbox.waitFor(creds.email, isReset);
    assert.equal(inbox.to(`nobody.${creds.email}`).length, 0);
    assert.equal((await app.sql("SELECT 1 FROM mail_outbox WHERE to_address = $1", [`nobody.${creds.email}`])).length, 0);
  });

  it("answers before the account is even looked up or its mail queued, so the time cannot tell either", async () => {
    const { creds } = await verifiedUser("timing");
    const a = agent(app);
    await a.get("/password/reset");
    // Another connection holds the mail queue: the background work (lookup, then queueing the mail in one
    // transaction) cannot finish until it lets go, and the answer must not wait for it. Not the users table:
    // every request's session read joins its user in one statement, so locking users would stop the answer
    // itself for a reason that says nothing about the reset.
    const blocker = new Client({ connectionString: app.db.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE mail_outbox IN ACCESS EXCLUSIVE MODE");
      const queued = async () => (await blocker.query("SELECT 1 FROM mail_outbox WHERE to_address = $1", [creds.email])).rowCount;
      const before = await queued(); // the sign-up's confirmation mail
      const res = await ask(a, creds.email);
      assert.equal(res.status, 200, "answered while the mail could not be queued");
      assert.equal(resetMails(creds.email).length, 0);
      assert.equal(await queued(), before, "no reset mail queued yet");
    } finally {
      await blocker.query("ROLLBACK");
      await blocker.end();
    }
    await inbox.waitFor(creds.email, isReset);
  });

  it("sends no link to an address nobody confirmed (UNVERIFIED_ACCOUNTS=no-password-reset), answering the same", async () => {
    const { creds, userId } = await verifiedUser("unverified");
    await app.sql("UPDATE users SET email_verified_at = NULL WHERE id = $1", [userId]);
    const res = await ask(agent(app), creds.email);
    assert.equal(res.status, 200);
    assert.match(res.text, /If an account with a confirmed address matches/);
    await app.resets.settled();
    await app.mailer.drain();
    assert.equal(resetMails(creds.email).length, 0);
  });

  it("refuses an empty or malformed address with 422", async () => {
    for (const email of ["", "not-an-address"]) {
      const res = await ask(agent(app), email);
      assert.equal(res.status, 422);
      assert.match(res.text, /is-invalid/);
    }
  });
});

describe("password reset rate limits", () => {
  let limited: TestApp;
  before(async () => {
    limited = await startTestApp({ SMTP_URL: inbox.url, PASSWORD_RESET_RATE_LIMIT: "2", PASSWORD_RESET_IP_RATE_LIMIT: "4" });
  });
  after(() => limited.close());

  it("limits requests per typed address (any letter case, account or not) and per IP with 429", async () => {
    const a = agent(limited);
    const ask = (email: string) => postForm(a, "/password/reset", { email }, "/password/reset");
    assert.equal((await ask("someone@example.test")).status, 200);
    assert.equal((await ask("SOMEONE@example.test")).status, 200);
    const third = await ask("someone@example.test");
    assert.equal(third.status, 429);
    assert.match(third.text, /Too many attempts/);
    assert.equal((await ask("else@example.test")).status, 200, "another address still goes");
    assert.equal((await ask("third@example.test")).status, 429, "but this IP has used its 4 requests");
  });
});
