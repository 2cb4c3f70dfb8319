import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, newCredentials, postForm, signedUpAgent } from "../helpers/agent";
import { linkIn, startInbox, type Inbox } from "../helpers/mail";
import { ask, collect, connect, createGroup, postMessage } from "../chat/helpers";

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

const verifiedAt = async (id: number) => (await app.sql<{ v: Date | null }>("SELECT email_verified_at AS v FROM users WHERE id = $1", [id]))[0].v;
const auditOf = async (id: number) =>
  (await app.sql<{ action: string }>("SELECT action FROM audit_logs WHERE target_type = 'user' AND target_id = $1 ORDER BY id", [String(id)])).map((r) => r.action);

describe("email verification", () => {
  it("mails a link at sign-up; the account is unconfirmed (a banner says so) until the link's button is pressed, once", async () => {
    const { agent: a, creds, userId } = await signedUpAgent(app, newCredentials("verify"));
    assert.equal(await verifiedAt(userId), null);
    const home = await a.get("/");
    assert.match(home.text, /Please confirm your email address/);
    const mail = await inbox.waitFor(creds.email);
    assert.equal(mail.subject, "Confirm your email address for Hromada");
    const link = linkIn(mail, "/email/verify/");
    const page = await agent(app).get(link);
    assert.equal(page.status, 200);
    assert.equal(await verifiedAt(userId), null, "opening the link alone confirms nothing (mail scanners open links)");
    const done = await postForm(a, link, {}, link);
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, "/profile");
    assert.ok(await verifiedAt(userId));
    assert.deepEqual(await auditOf(userId), ["user.email_verified"]);
    assert.doesNotMatch((await a.get("/")).text, /Please confirm your email address/);
    const again = await postForm(a, link, {}, "/profile");
    assert.equal(again.status, 400, "a link works once");
    assert.match(again.text, /already used/);
    assert.match((await agent(app).get(link)).text, /This link does not work/);
  });

  it("refuses forged and other accounts' tokens with 400, confirming nothing", async () => {
    const one = await signedUpAgent(app, newCredentials("forge"));
    const two = await signedUpAgent(app, newCredentials("forge"));
    const token = linkIn(await inbox.waitFor(one.creds.email), "/email/verify/").split("/").pop()!;
    const [, , issued, sig] = /^([0-9a-z]+)-([0-9a-z]+)-(.+)$/.exec(token)!;
    for (const t of [`${two.userId.toString(36)}-${issued}-${sig}`, `${one.userId.toString(36)}-${issued}-${"A".repeat(32)}`, "nonsense"]) {
      assert.equal((await postForm(two.agent, `/email/verify/${t}`, {}, "/profile")).status, 400, t);
    }
    assert.equal(await verifiedAt(one.userId), null);
    assert.equal(await verifiedAt(two.userId), null);
  });

  it("on a change of address: unconfirmed again, a link to the new address, a notice to the old, the old link dead, audited", async () => {
    const { agent: a, creds, userId } = await signedUpAgent(app, newCredentials("move"));
    const oldLink = linkIn(await inbox.waitFor(creds.email), "/email/verify/");
    await postForm(a, oldLink, {}, oldLink);
    assert.ok(await verifiedAt(userId));
    const newEmail = `new.${creds.email}`;
    const res = await postForm(a, "/profile", { username: creds.username, email: newEmail }, "/profile");
    assert.equal(res.status, 303);
    assert.equal(await verifiedAt(userId), null);
    const notice = await inbox.waitFor(creds.email, (m) => m.subject === "Your Hromada email address was changed");
    assert.match(notice.text ?? "", new RegExp(`no longer ${creds.email.replace(/\./g, "\\.")}`));
    assert.doesNotMatch(notice.text ?? "", new RegExp(`new\\.${creds.email.replace(/\./g, "\\.")}`), "the old address is not told the new one");
    const link = linkIn(await inbox.waitFor(newEmail), "/email/verify/");
    assert.match((await a.get("/profile")).text, /Mail me the confirmation link again/);
    assert.equal((await postForm(a, link, {}, link)).status, 303);
    assert.ok(await verifiedAt(userId));
    assert.deepEqual(await auditOf(userId), ["user.email_verified", "user.email_change", "user.email_verified"]);
    // Only letter case changed: still the same address, still confirmed.
    await postForm(a, "/profile", { username: creds.username, email: newEmail.toUpperCase() }, "/profile");
    assert.ok(await verifiedAt(userId));
  });

  it("mails the link again on request, and says so when the address is already confirmed", async () => {
    const { agent: a, creds, userId } = await signedUpAgent(app, newCredentials("resend"));
    await inbox.waitFor(creds.email);
    const res = await postForm(a, "/account/email/resend", {}, "/profile");
    assert.equal(res.status, 303);
    await inbox.waitFor(creds.email, (m) => inbox.to(creds.email).indexOf(m) === 1);
    const link = linkIn(inbox.to(creds.email)[1], "/email/verify/");
    await postForm(a, link, {}, link);
    assert.ok(await verifiedAt(userId));
    await postForm(a, "/account/email/resend", {}, "/profile");
    assert.match((await a.get("/profile")).text, /already confirmed/);
    await app.mailer.drain();
    assert.equal(inbox.to(creds.email).length, 2);
  });
});

describe("UNVERIFIED_ACCOUNTS=read-only", () => {
  let strict: TestApp;
  before(async () => {
    strict = await startTestApp({ SMTP_URL: inbox.url, UNVERIFIED_ACCOUNTS: "read-only" });
  });
  after(() => strict.close());

  it("lets an unconfirmed account read but not change anything (403) until it confirms", async () => {
    const { agent: a, creds, userId } = await signedUpAgent(strict, newCredentials("ro"));
    assert.equal((await a.get("/")).status, 200);
    const refused = await postForm(a, "/notes", { data: "not yet" }, "/");
    assert.equal(refused.status, 403);
    assert.match(refused.text, /Confirm your email address first/);
    assert.equal((await strict.sql("SELECT 1 FROM notes WHERE user_id = $1", [userId])).length, 0);
    const link = linkIn(await inbox.waitFor(creds.email), "/email/verify/");
    assert.equal((await postForm(a, link, {}, link)).status, 303, "confirming is allowed");
    assert.equal((await postForm(a, "/notes", { data: "now" }, "/")).status, 303);
    assert.equal((await strict.sql("SELECT 1 FROM notes WHERE user_id = $1", [userId])).length, 1);
  });

  it("holds over the chat socket too: no message, edit, deletion, reaction or typing; reading stays open; confirming (or changing the address) applies at once", async () => {
    const u = await signedUpAgent(strict, newCredentials("rosock"));
    const v = await signedUpAgent(strict, newCredentials("rosock"));
    await postForm(v.agent, linkIn(await inbox.waitFor(v.creds.email), "/email/verify/"), {}, "/profile");
    const chatId = await createGroup(v.agent, "read-only socket", [u.creds.username]);
    const stored = async () => strict.sql<{ text: string; deleted: boolean }>(
      "SELECT message AS text, deleted_at IS NOT NULL AS deleted FROM messages WHERE chat_id = $1 AND user_id = $2 ORDER BY id", [chatId, u.userId]);
    const [us, vs] = await Promise.all([connect(strict, u.agent), connect(strict, v.agent)]);
    try {
      assert.deepEqual(await ask(us, "chat:join", { chatId }), { ok: true }, "joining is reading");
      assert.deepEqual(await ask(vs, "chat:join", { chatId }), { ok: true });
      const typing = collect(vs, "chat:typing");
      const sent = await ask(us, "chat:message", { chatId, text: "not yet", clientId: crypto.randomUUID() });
      assert.equal(sent.ok, false);
      assert.equal(sent.code, "unverified");
      assert.match(sent.error ?? "", /Confirm your email address first/);
      assert.equal((await ask(us, "chat:typing", { chatId, typing: true })).code, "unverified");
      assert.equal((await postMessage(u.agent, chatId, "by the form")).status, 403, "the form, the same rule");
      assert.deepEqual(await stored(), []);
      const theirs = (await ask(vs, "chat:message", { chatId, text: "from v", clientId: crypto.randomUUID() })).message!;
      assert.equal((await ask(us, "chat:react", { chatId, messageId: theirs.id, emoji: "👍", on: true })).code, "unverified");
      assert.equal((await ask(us, "chat:sync", { chatId, afterId: 0 })).ok, true, "reading stays open");
      assert.equal((await ask(us, "chat:read", { chatId, messageId: theirs.id })).ok, true, "so does marking what one read");

      // Confirmed while the socket stays open: it may send at once.
      await postForm(u.agent, linkIn(await inbox.waitFor(u.creds.email), "/email/verify/"), {}, "/profile");
      const mine = await ask(us, "chat:message", { chatId, text: "now I may", clientId: crypto.randomUUID() });
      assert.equal(mine.ok, true);
      // A new address is unconfirmed again: the same open socket is read-only again.
      assert.equal((await postForm(u.agent, "/profile", { username: u.creds.username, email: `new.${u.creds.email}` }, "/profile")).status, 303);
      assert.equal((await ask(us, "chat:edit", { chatId, messageId: mine.message!.id, text: "changed", clientId: crypto.randomUUID() })).code, "unverified");
      assert.equal((await ask(us, "chat:delete", { chatId, messageId: mine.message!.id })).code, "unverified");
      assert.equal((await ask(us, "chat:react", { chatId, messageId: theirs.id, emoji: "👍", on: true })).code, "unverified");
      assert.equal((await ask(us, "chat:message", { chatId, text: "again", clientId: crypto.randomUUID() })).code, "unverified");
      assert.equal((await ask(us, "chat:typing", { chatId, typing: false })).code, "unverified");
      assert.deepEqual(await stored(), [{ text: "now I may", deleted: false }]);
      assert.equal((await strict.sql("SELECT 1 FROM message_reactions WHERE user_id = $1", [u.userId])).length, 0);
      assert.deepEqual(typing, [], "v never saw u typing");
    } finally {
      us.disconnect();
      vs.disconnect();
    }
  });
});
