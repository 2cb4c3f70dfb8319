import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent } from "../helpers/agent";
import { startInbox, type Inbox } from "../helpers/mail";
import { MAX_ATTEMPTS, backoffSeconds } from "../../src/mail/mailer";

const outboxRows = (app: TestApp, to: string) =>
  app.sql<{ id: number; attempts: number; sent_at: Date | null; body_text: string | null; last_error: string | null; next_attempt_at: Date }>(
    "SELECT id, attempts, sent_at, body_text, last_error, next_attempt_at FROM mail_outbox WHERE to_address = $1 ORDER BY id",
    [to],
  );

describe("mail over SMTP", () => {
  let app: TestApp;
  let inbox: Inbox;
  before(async () => {
    inbox = await startInbox();
    app = await startTestApp({ SMTP_URL: inbox.url, MAIL_FROM: "Hromada <robot@hromada.test>", PUBLIC_URL: "https://hromada.test" });
  });
  after(async () => {
    await app.close();
    await inbox.close();
  });

  it("sends a mail queued in a transaction once it commits: text and HTML, in the recipient's language, then forgets the body", async () => {
    await app.deps.ds.transaction((em) => app.mailer.enqueue(em, { email: "olena@example.test", locale: "uk" }, "verify_email", { username: "Олена", email: "olena@example.test", url: "https://hromada.test/email/verify/x" }));
    app.mailer.kick();
    const mail = await inbox.waitFor("olena@example.test");
    assert.equal(mail.subject, "Підтвердьте адресу електронної пошти для Громади");
    assert.deepEqual(mail.from?.value.map((v) => [v.name, v.address]), [["Hromada", "robot@hromada.test"]]);
    assert.match(mail.text ?? "", /Вітаємо, Олена!/);
    assert.match(mail.text ?? "", /https:\/\/hromada\.test\/email\/verify\/x/);
    assert.match(String(mail.html), /<html lang="uk">/);
    assert.match(String(mail.html), /href="https:\/\/hromada.test\/email\/verify\/x"/);
    await app.mailer.drain();
    const [row] = await outboxRows(app, "olena@example.test");
    assert.ok(row.sent_at, "marked sent");
    assert.equal(row.body_text, null, "the body (with its link) is not kept once sent");
  });

  it("escapes what users typed in the HTML part and keeps it as typed in the text part", async () => {
    await app.deps.ds.transaction((em) => app.mailer.enqueue(em, { email: "x@example.test", locale: "en" }, "password_reset", { username: "<b>x</b>", url: "https://hromada.test/r", minutes: 60 }));
    app.mailer.kick();
    const mail = await inbox.waitFor("x@example.test");
    assert.match(mail.text ?? "", /Hello, <b>x<\/b>!/);
    assert.match(String(mail.html), /Hello, &lt;b&gt;x&lt;\/b&gt;!/);
    assert.match(mail.text ?? "", /expires in 60 minutes/);
  });

  it("sends nothing when the transaction rolls back", async () => {
    await assert.rejects(
      app.deps.ds.transaction(async (em) => {
        await app.mailer.enqueue(em, { email: "rollback@example.test", locale: "en" }, "verify_email", { username: "r", email: "r", url: "u" });
        throw new Error("the change failed");
      }),
      /the change failed/,
    );
    await app.mailer.drain();
    assert.deepEqual(await outboxRows(app, "rollback@example.test"), []);
    assert.equal(inbox.to("rollback@example.test").length, 0);
  });

  it("keeps a mail the server refuses, with its error, and sends it on a later try (backoff)", async () => {
    inbox.refuse = true;
    try {
      await app.deps.ds.transaction((em) => app.mailer.enqueue(em, { email: "later@example.test", locale: "en" }, "verify_email", { username: "l", email: "l", url: "u" }));
      await app.mailer.drain();
    } finally {
      inbox.refuse = false;
    }
    let [row] = await outboxRows(app, "later@example.test");
    assert.equal(row.sent_at, null);
    assert.equal(row.attempts, 1);
    assert.match(row.last_error ?? "", /mailbox unavailable/);
    assert.ok(row.next_attempt_at.getTime() > Date.now() + 20_000, "the next try waits (30 s after the first failure)");
    await app.mailer.drain();
    assert.equal(inbox.to("later@example.test").length, 0, "not retried before it is due");
    // Time passes: the retry comes due.
    await app.sql("UPDATE mail_outbox SET next_attempt_at = now() WHERE id = $1", [row.id]);
    await app.mailer.drain();
    await inbox.waitFor("later@example.test");
    [row] = await outboxRows(app, "later@example.test");
    assert.ok(row.sent_at);
    assert.equal(row.attempts, 2);
  });

  it("gives up after MAX_ATTEMPTS tries, with backoff growing to an hour", async () => {
    assert.deepEqual([1, 2, 3, 4].map(backoffSeconds), [30, 60, 120, 240]);
    assert.equal(backoffSeconds(20), 3600);
    await app.deps.ds.transaction((em) => app.mailer.enqueue(em, { email: "never@example.test", locale: "en" }, "verify_email", { username: "n", email: "n", url: "u" }));
    await app.sql("UPDATE mail_outbox SET attempts = $1 WHERE to_address = 'never@example.test'", [MAX_ATTEMPTS]);
    await app.mailer.drain();
    const [row] = await outboxRows(app, "never@example.test");
    assert.equal(row.attempts, MAX_ATTEMPTS);
    assert.equal(row.sent_at, null);
    assert.equal(inbox.to("never@example.test").length, 0);
  });
});

describe("the development outbox (no SMTP_URL)", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ NODE_ENV: "development", PUBLIC_URL: "http://localhost:3000" });
  });
  after(() => app.close());

  it("writes each mail to DATA_DIR/outbox and lists it at /dev/outbox with its links", async () => {
    await app.deps.ds.transaction((em) => app.mailer.enqueue(em, { email: "dev@example.test", locale: "en" }, "password_reset", { username: "dev", url: "http://localhost:3000/password/reset/abc", minutes: 60 }));
    await app.mailer.drain();
    const dir = path.join(app.config.dataDir, "outbox");
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(fs.readFileSync(path.join(dir, files[0]), "utf8"), /Subject: Reset your Hromada password/);
    const a = agent(app);
    const list = await a.get("/dev/outbox").expect(200);
    assert.match(list.text, /Reset your Hromada password/);
    assert.match(list.text, /To: <span data-user-content>dev@example.test<\/span>/);
    const show = await a.get(`/dev/outbox/${files[0]}`).expect(200);
    assert.match(show.text, /href="\/password\/reset\/abc"/, "the link, clickable, on this site");
    const html = await a.get(`/dev/outbox/${files[0]}/html`).expect(200);
    assert.match(html.headers["content-security-policy"], /default-src 'none'/);
    assert.match(html.text, /Choose a new password/);
    await a.get("/dev/outbox/..%2Fsession-secret").expect(404);
    await a.get("/dev/outbox/nothing-1.eml").expect(404);
  });
});

describe("production", () => {
  it("has no /dev/outbox", async () => {
    const app = await startTestApp({ NODE_ENV: "production", SESSION_SECRET: "a4f1c9e07b3d58a2e6c1f0b9d7a3e5c2", BCRYPT_COST: "10", COOKIE_SECURE: "false" });
    try {
      await agent(app).get("/dev/outbox").expect(404);
    } finally {
      await app.close();
    }
  });
});
