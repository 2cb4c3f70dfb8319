// Flash messages live in a signed cookie (src/http/flash.ts), so a form POST that flashes writes no session.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { FLASH_COOKIE } from "../../src/http/flash";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, csrfFrom, loggedInAgent, newCredentials, postForm, type Agent, type Credentials } from "../helpers/agent";
import { recordStatements, writes } from "../helpers/sql-spy";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const sessionRows = () => app.sql<{ sid: string; sess: string; expire: Date }>("SELECT sid, sess::text AS sess, expire FROM session ORDER BY sid");

/** The agent's cookies as a Cookie header. */
function cookieHeader(a: Agent): string {
  return (a as unknown as { jar: { getCookies(o: object): { toValueString(): string }[] } }).jar
    .getCookies({ domain: "127.0.0.1", path: "/", secure: false, script: false })
    .map((c) => c.toValueString())
    .join("; ");
}

/** A GET with exactly these cookies (no jar): the status, the page and the Set-Cookie headers. */
function getWith(path: string, cookie: string): Promise<{ status: number; text: string; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    http.get(`${app.url}${path}`, { headers: { cookie } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d) => (text += d)).on("end", () => resolve({ status: res.statusCode!, text, setCookie: res.headers["set-cookie"] ?? [] }));
    }).on("error", reject);
  });
}

/** A second login of an existing account, from another browser. */
async function loggedInAgentAs(creds: Credentials) {
  const other = agent(app);
  assert.equal((await postForm(other, "/login", { login: creds.username, password: creds.password })).status, 303);
  return { agent: other };
}

const alerts = (html: string) => [...html.matchAll(/<div class="alert alert-(\w+)[^"]*"[^>]*>\s*([^<]*?)\s*<button/g)].map((m) => `${m[1]}: ${m[2]}`);

describe("flash messages in a signed cookie", () => {
  it("a form POST and the GET it redirects to leave the session row exactly as it was, and the message shows once", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const token = csrfFrom((await a.get("/").expect(200)).text);
    const before = await sessionRows();
    assert.ok(before.length >= 1);

    const statements = await recordStatements(async () => {
      const post = await a.post("/notes").type("form").send({ data: "flashed note", _csrf: token }).expect(303);
      assert.equal(post.headers.location, "/");
      assert.ok(String(post.headers["set-cookie"]).includes(`${FLASH_COOKIE}=`), "the 303 carries the message");
      const page = await a.get("/").expect(200);
      assert.deepEqual(alerts(page.text), ["success: Note added."]);
    });
    const written = writes(statements);
    assert.equal(written.length, 1, `the note is the only write:\n${written.join("\n")}`);
    assert.match(written[0], /^INSERT INTO "notes"/);
    assert.deepEqual(await sessionRows(), before, "every session row unchanged, expiry included");
    assert.equal((await app.sql("SELECT 1 FROM notes WHERE user_id = $1 AND data = 'flashed note'", [userId])).length, 1);

    assert.deepEqual(alerts((await a.get("/").expect(200)).text), [], "shown once: the page that showed it cleared the cookie");
    assert.ok(!cookieHeader(a).includes(`${FLASH_COOKIE}=`), "the browser no longer has it");
  });

  it("is translated when shown, in the language of the page that shows it", async () => {
    const { agent: a } = await loggedInAgent(app);
    const token = csrfFrom((await a.get("/").expect(200)).text);
    await a.post("/notes").type("form").send({ data: "in Ukrainian", _csrf: token }).expect(303);
    const page = await a.get("/").set("Accept-Language", "uk").expect(200);
    assert.equal(alerts(page.text).length, 1);
    assert.doesNotMatch(alerts(page.text)[0], /Note added/);
    assert.match(alerts(page.text)[0], /^success: \S/);
  });

  it("ignores (and clears) a cookie whose signature does not hold", async () => {
    const { agent: a } = await loggedInAgent(app);
    const token = csrfFrom((await a.get("/").expect(200)).text);
    const post = await a.post("/notes").type("form").send({ data: "to tamper", _csrf: token }).expect(303);
    const genuine = /hromada\.flash=([^;]+)/.exec(String(post.headers["set-cookie"]))![1];
    const [payload, signature] = genuine.split(".");
    const forged = Buffer.from(JSON.stringify([{ type: "danger", message: "admin.flash.user_deleted", params: { username: "mallory" } }])).toString("base64url");
    const session = cookieHeader(a).split("; ").filter((c) => !c.startsWith(FLASH_COOKIE)).join("; ");

    for (const value of [`${forged}.${signature}`, `${payload}.${signature.slice(0, -2)}AA`, payload, "garbage"]) {
      const res = await getWith("/", `${session}; ${FLASH_COOKIE}=${value}`);
      assert.equal(res.status, 200);
      assert.deepEqual(alerts(res.text), [], `no message from ${value.slice(0, 20)}...`);
      assert.ok(res.setCookie.some((c) => c.startsWith(`${FLASH_COOKIE}=;`)), "and the cookie is cleared");
    }
    // The genuine one still works (the forgeries above were refused for their signature, not their shape).
    assert.deepEqual(alerts((await getWith("/", `${session}; ${FLASH_COOKIE}=${genuine}`)).text), ["success: Note added."]);
  });

  it("survives a redirect chain until a page shows it, and keeps the messages in order", async () => {
    const { agent: a } = await loggedInAgent(app);
    const token = csrfFrom((await a.get("/").expect(200)).text);
    await a.post("/notes").type("form").send({ data: "first", _csrf: token }).expect(303);
    // GET /notes only redirects: it renders nothing, so the message stays.
    await a.get("/notes").expect(303);
    await a.post("/notes").type("form").send({ data: "second", _csrf: token }).expect(303);
    assert.deepEqual(alerts((await a.get("/").expect(200)).text), ["success: Note added.", "success: Note added."]);
  });

  it("is bound to the session that got it: another account's session, another session of the same account or no session shows nothing", async () => {
    const { agent: a, creds } = await loggedInAgent(app);
    const { agent: b } = await loggedInAgent(app);
    // a's name in a message a got signed, as a file name or a group name would be: text chosen by whoever posted.
    const token = csrfFrom((await a.get("/").expect(200)).text);
    const post = await a.post("/notes").type("form").send({ data: "bound", _csrf: token }).expect(303);
    const value = /hromada\.flash=([^;]+)/.exec(String(post.headers["set-cookie"]))![1];
    const sessionOf = (x: Agent) => cookieHeader(x).split("; ").filter((c) => !c.startsWith(FLASH_COOKIE)).join("; ");
    const elsewhere = (await loggedInAgentAs(creds)).agent;

    for (const [who, session] of [["b's session", sessionOf(b)], ["a's other session", sessionOf(elsewhere)], ["no session", ""]] as const) {
      const res = await getWith(session ? "/" : "/login", `${session ? `${session}; ` : ""}${FLASH_COOKIE}=${value}`);
      assert.equal(res.status, 200);
      assert.deepEqual(alerts(res.text), [], `nothing shown with ${who}`);
      assert.ok(res.setCookie.some((c) => c.startsWith(`${FLASH_COOKIE}=;`)), `and cleared with ${who}`);
    }
    assert.deepEqual(alerts((await getWith("/", `${sessionOf(a)}; ${FLASH_COOKIE}=${value}`)).text), ["success: Note added."], "a's own session shows it");
  });

  it("a visitor's flash (logging out, signing up) still reaches the next page, across the session id changing", async () => {
    const { agent: a } = await loggedInAgent(app);
    const out = await postForm(a, "/logout", {}, "/");
    assert.equal(out.headers.location, "/login");
    assert.equal(alerts((await a.get("/login").expect(200)).text).length, 1, "the logged-out message shows on the login page");
    const fresh = agent(app);
    const creds = newCredentials("flashsign");
    const signup = await postForm(fresh, "/signup", { ...creds, password_confirm: creds.password }, "/signup");
    assert.equal(signup.status, 303);
    assert.match(alerts((await fresh.get(signup.headers.location).expect(200)).text).join(), /success: .*flashsign/, "the welcome after the new session id");
  });
});
