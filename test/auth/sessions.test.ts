import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, loggedInAgent, newCredentials, postForm, type Agent } from "../helpers/agent";
import { connect } from "../chat/helpers";
import { SessionMeta } from "../../src/auth/session-meta.entity";
import { recordStatements, writes } from "../helpers/sql-spy";
import { describeAgent } from "../../src/auth/sessions.service";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/** Logs the account in from another browser (its own cookie jar and User-Agent). */
async function loginFrom(creds: { username: string; password: string }, ua: string): Promise<Agent> {
  const a = agent(app);
  const page = await a.get("/login").set("User-Agent", ua);
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
  const res = await a.post("/login").set("User-Agent", ua).type("form").send({ login: creds.username, password: creds.password, _csrf: token });
  assert.equal(res.status, 303);
  assert.equal((await a.get("/").set("User-Agent", ua)).status, 200);
  return a;
}

const metaOf = (userId: number) =>
  app.sql<{ sid: string; user_agent: string; ip: string; first_seen: Date; last_seen: Date }>("SELECT * FROM session_meta WHERE user_id = $1 ORDER BY first_seen", [userId]);
const sessionsOf = async (id: number) => (await app.sql<{ sid: string }>("SELECT sid FROM session WHERE (sess -> 'passport' ->> 'user') = $1", [String(id)])).map((r) => r.sid);

describe("where you're logged in", () => {
  it("lists every session of mine with browser, system, address, first and last seen, this one marked", async () => {
    const creds = newCredentials("where");
    const { agent: mine, userId } = await loggedInAgent(app, creds);
    await mine.get("/").expect(200);
    await loginFrom(creds, FIREFOX);
    await loginFrom(creds, IPHONE);
    const someoneElse = await loggedInAgent(app, newCredentials("else"));
    await someoneElse.agent.get("/").expect(200);
    const page = await mine.get("/account/sessions");
    assert.equal(page.status, 200);
    assert.match(page.text, /logged in in 3 places/);
    assert.match(page.text, /Firefox 133/);
    assert.match(page.text, /Ubuntu/);
    assert.match(page.text, /Mobile Safari 17/);
    assert.match(page.text, /iOS 17\.5/);
    assert.match(page.text, /phone/);
    assert.match(page.text, /127\.0\.0\.1/);
    assert.equal((page.text.match(/This browser/g) ?? []).length, 1);
    assert.equal((page.text.match(/session-row/g) ?? []).length, 3, "not another user's session");
    assert.equal((await metaOf(userId)).length, 3);
    assert.doesNotMatch(page.text, new RegExp((await sessionsOf(userId))[0]), "session ids (bearer secrets) are never shown");
  });

  it("records a session's visit at most once an hour: later page views send no statement for it", async () => {
    const { agent: a, userId } = await loggedInAgent(app, newCredentials("hourly"));
    await a.get("/").expect(200);
    const [first] = await metaOf(userId);
    const statements = await recordStatements(() => a.get("/").expect(200));
    assert.deepEqual(writes(statements), [], "an authenticated page writes nothing");
    assert.ok(!statements.some((s) => /session_meta/.test(s)), statements.join("\n"));
    // The database keeps the hour too, whichever process asks (another one, or this one after a restart).
    await SessionMeta.seen(first.sid, userId, "other", "10.0.0.1");
    let [row] = await metaOf(userId);
    assert.equal(row.last_seen.getTime(), first.last_seen.getTime(), "within the hour nothing moves");
    assert.equal(row.ip, first.ip);
    await app.sql("UPDATE session_meta SET last_seen = now() - interval '61 minutes' WHERE sid = $1", [first.sid]);
    await SessionMeta.seen(first.sid, userId, "other", "10.0.0.1");
    [row] = await metaOf(userId);
    assert.ok(row.last_seen.getTime() > Date.now() - 60_000, "an hour later it does");
    assert.equal(row.ip, "10.0.0.1");
    assert.equal(row.first_seen.getTime(), first.first_seen.getTime());
  });

  it("logs out one other session, cutting its socket at once; refuses my own, another user's and made-up handles (404)", async () => {
    const creds = newCredentials("one");
    const { agent: mine, userId } = await loggedInAgent(app, creds);
    await mine.get("/").expect(200);
    const other = await loginFrom(creds, FIREFOX);
    const socket = await connect(app, other);
    const cut = new Promise((resolve) => socket.on("disconnect", resolve));
    const stranger = await loggedInAgent(app, newCredentials("stranger"));
    await stranger.agent.get("/").expect(200);
    const handles = async (a: Agent) => [...(await a.get("/account/sessions")).text.matchAll(/action="\/account\/sessions\/([0-9a-f]{64})\/logout"/g)].map((m) => m[1]);
    const [otherHandle] = await handles(mine);
    const [strangerHandle] = await handles(await loginFrom(stranger.creds, FIREFOX));
    assert.ok(otherHandle && strangerHandle);
    const before = await sessionsOf(userId);
    assert.equal((await postForm(mine, `/account/sessions/${strangerHandle}/logout`, {}, "/account/sessions")).status, 404, "another user's session");
    assert.equal((await postForm(mine, `/account/sessions/${"0".repeat(64)}/logout`, {}, "/account/sessions")).status, 404);
    assert.equal((await postForm(mine, `/account/sessions/not-a-handle/logout`, {}, "/account/sessions")).status, 404);
    assert.deepEqual(await sessionsOf(userId), before);
    assert.equal((await sessionsOf(stranger.userId)).length, 2, "the stranger's sessions are untouched");
    const res = await postForm(mine, `/account/sessions/${otherHandle}/logout`, {}, "/account/sessions");
    assert.equal(res.status, 303);
    await cut;
    assert.equal((await sessionsOf(userId)).length, 1);
    assert.equal((await other.get("/")).status, 303, "that browser is logged out");
    assert.equal((await mine.get("/")).status, 200, "this one is not");
    const [audit] = await app.sql<{ action: string }>("SELECT action FROM audit_logs WHERE target_id = $1", [String(userId)]);
    assert.equal(audit.action, "user.sessions_end");
  });

  it("logs out everywhere else: every other session and socket, not this one", async () => {
    const creds = newCredentials("everywhere");
    const { agent: mine, userId } = await loggedInAgent(app, creds);
    const others = [await loginFrom(creds, FIREFOX), await loginFrom(creds, IPHONE)];
    const sockets = await Promise.all(others.map((o) => connect(app, o)));
    const mySocket = await connect(app, mine);
    const cut = sockets.map((s) => new Promise((resolve) => s.on("disconnect", resolve)));
    const res = await postForm(mine, "/account/sessions/others/logout", {}, "/account/sessions");
    assert.equal(res.status, 303);
    await Promise.all(cut);
    assert.equal(mySocket.connected, true);
    mySocket.disconnect();
    assert.equal((await sessionsOf(userId)).length, 1);
    assert.match((await mine.get("/account/sessions")).text, /2 other sessions are logged out/);
    for (const o of others) assert.equal((await o.get("/")).status, 303);
  });

  it("is only for logged-in people", async () => {
    const res = await agent(app).get("/account/sessions");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/login");
  });

  it("names browsers and systems from the User-Agent with ua-parser-js", () => {
    assert.deepEqual(describeAgent(FIREFOX), { browser: "Firefox 133", os: "Ubuntu", deviceType: null });
    assert.deepEqual(describeAgent(null), { browser: null, os: null, deviceType: null });
    assert.equal(describeAgent(IPHONE).deviceType, "mobile");
  });
});

