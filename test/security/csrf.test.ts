// Promise: "the browser is protected" (cross-site request forgery). Every state-changing route, walked from the
// app's routers, refuses a request without the session's token, with another session's token, with the token
// the browser held before logging in, or with the token in a place the route does not read: 403, and every
// table and the media folder unchanged. And GET never changes state: while every page of the app is fetched,
// the SQL the app sends is recorded, and it writes nothing but the documented exceptions.
// (Per-feature CSRF tests: test/auth, test/notes, test/gallery, test/admin.)
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { TestApp } from "../helpers/app";
import { agent, csrfFrom, newCredentials } from "../helpers/agent";
import { postMessage, recordStatements } from "../chat/helpers";
import { aimAt, anonymous, listRoutes, ownRoutes, pagesOf, routeKey, send, tokenOf, unchanged, useWorld, type Aim, type Person, type World } from "./helpers";

let app: TestApp;
let w: World;
useWorld((a, world) => ((app = a), (w = world)));

/** Sent without a login: the sign-up and login forms, and "forgot your password" (asking, and using the mailed link). */
const ANONYMOUS_ROUTES = new Set(["POST /signup", "POST /login", "POST /password/reset", "POST /password/reset/:token"]);

/** Every non-GET route with the person it is sent as and where it is aimed. */
function changes(): { key: string; method: string; aim: Aim; as: "a" | "staff" | "anonymous" }[] {
  const aims = { ...aimAt(w), ...ownRoutes(w) };
  return listRoutes(app)
    .filter((r) => r.method !== "GET")
    .map((r) => {
      const key = routeKey(r);
      const as = ANONYMOUS_ROUTES.has(key) ? "anonymous" : r.path.startsWith("/admin") ? "staff" : "a";
      return { key, method: r.method, aim: aims[key], as } as const;
    });
}

const sender = (as: "a" | "staff" | "anonymous") => (as === "a" ? w.a.agent : as === "staff" ? w.staff.agent : anonymous(app));

describe("every state-changing route", () => {
  it("is in this file's table: all of them are POST, and each has a URL and a valid form", () => {
    const all = changes();
    assert.ok(all.length >= 25, `found ${all.length} state-changing routes`);
    assert.deepEqual(all.filter((c) => c.method !== "POST").map((c) => c.key), [], "every change is a POST");
    assert.deepEqual(all.filter((c) => !c.aim).map((c) => c.key), [], "routes this file has no URL for");
  });

  it("refuses a request without a token with 403, and changes nothing", async () => {
    for (const c of changes()) {
      const who = sender(c.as);
      if (c.as === "anonymous") await who.get("/login"); // a session exists; it just is not sent along
      const res = await unchanged(app, `no token: ${c.key}`, () => send(app, who, c.method, c.aim, null));
      assert.equal(res.status, 403, `no token: ${c.key} -> ${res.status}`);
      assert.match(res.text, /Your form expired or came from another site/);
    }
    assert.equal((await w.a.agent.get("/")).status, 200, "a is still logged in (logout without a token did nothing)");
  });

  it("refuses another session's token (a valid one, of b's) with 403, and changes nothing", async () => {
    const foreign = await tokenOf(w.b);
    for (const c of changes()) {
      const who = sender(c.as);
      const res = await unchanged(app, `b's token: ${c.key}`, () => send(app, who, c.method, c.aim, foreign));
      assert.equal(res.status, 403, `b's token: ${c.key} -> ${res.status}`);
    }
  });

  it("refuses the token the browser held before logging in (the session, and its token, are new at login)", async () => {
    const p = newCredentials("prelogin");
    await app.auth.signup(p);
    const browser = agent(app);
    const preLogin = csrfFrom((await browser.get("/login")).text);
    assert.equal((await browser.post("/login").type("form").send({ login: p.username, password: p.password, _csrf: preLogin })).status, 303);
    const res = await unchanged(app, "pre-login token", () => browser.post("/notes").type("form").send({ data: "forged", _csrf: preLogin }));
    assert.equal(res.status, 403);
    const fresh = csrfFrom((await browser.get("/")).text);
    assert.notEqual(fresh, preLogin);
    assert.equal((await browser.post("/notes").type("form").send({ data: "real", _csrf: fresh })).status, 303, "the new token works");
  });

  it("refuses a token that is not one plain string, or sits where the route does not read it", async () => {
    const token = await tokenOf(w.a);
    const attempts: [string, () => Promise<{ status: number }>][] = [
      ["the token twice (an array)", () => w.a.agent.post("/notes").type("form").send(`data=x&_csrf=${encodeURIComponent(token)}&_csrf=${encodeURIComponent(token)}`)],
      ["a JSON object for the token", () => w.a.agent.post("/notes").send({ data: "x", _csrf: { token } })],
      ["the token in the query string of a form post", () => w.a.agent.post(`/notes?_csrf=${encodeURIComponent(token)}`).type("form").send({ data: "x" })],
      ["an empty token header", () => w.a.agent.post("/notes").set("X-CSRF-Token", "").type("form").send({ data: "x" })],
      ["the token with one character changed", () => w.a.agent.post("/notes").type("form").send({ data: "x", _csrf: token.slice(0, -1) + (token.endsWith("a") ? "b" : "a") })],
      ["text/plain, as a cross-site <form enctype> can send", () => w.a.agent.post("/notes").set("Content-Type", "text/plain").send(`data=x&_csrf=`)],
    ];
    for (const [what, run] of attempts) {
      const res = await unchanged(app, what, run);
      assert.equal(res.status, 403, `${what} -> ${res.status}`);
    }
    // Upload routes read the token from the action URL only: in the multipart body it is not enough.
    for (const c of changes().filter((x) => x.aim.upload)) {
      const res = await unchanged(app, `body token: ${c.key}`, () => send(app, w.a.agent, "POST", c.aim, null, { _csrf: token }));
      assert.equal(res.status, 403, `token in the multipart body: ${c.key}`);
    }
    // Scripts may send the token in a header; that works (control).
    const ok = await w.a.agent.post("/notes").set("X-CSRF-Token", token).type("form").send({ data: "sent by a script" });
    assert.equal(ok.status, 303);
  });

  it("cannot be reached by GET, or by overriding the method of a GET", async () => {
    await unchanged(app, "GETs of every POST route's URL", async () => {
      for (const c of changes()) {
        const res = await sender(c.as).get(c.aim.url).set("X-HTTP-Method-Override", "POST").query({ _method: "POST" });
        assert.ok([404, 200, 303].includes(res.status), `GET ${c.aim.url} -> ${res.status}`);
        if (res.status === 200) assert.ok(listRoutes(app).some((r) => r.method === "GET" && routeKey(r) === `GET ${c.key.slice(5)}`), `${c.key}: a GET page of the same path`);
      }
    });
    assert.equal((await w.a.agent.get("/")).status, 200, "still logged in");
  });
});

describe("GET never changes state", () => {
  const writes = (statements: string[]) => statements.filter((s) => /^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|CREATE|DROP|ALTER)\b/i.test(s));
  /** The one write a page view makes by design: opening a chat marks its messages read for the reader. */
  const markRead = /^\s*UPDATE chat_members SET last_read_message_id = \$3 WHERE chat_id = \$1 AND user_id = \$2/;

  async function viewAll(label: string, who: (key: string) => Person | null) {
    const pages = pagesOf(w);
    const seen: Record<string, string[]> = {};
    for (const [key, url] of Object.entries(pages)) {
      const p = who(key);
      const a = p ? p.agent : anonymous(app);
      if (!p) await a.get("/login"); // the anonymous session and its token exist before the measured view
      let status = 0;
      const statements = await recordStatements(async () => {
        status = (await a.get(url)).status;
      });
      assert.ok(status < 400, `${label}: ${key} (${url}) -> ${status}`);
      seen[key] = writes(statements);
    }
    return seen;
  }

  it("writes nothing on any page but the read mark of an opened chat (SQL spy), as the owner, staff and anonymously", async () => {
    // Unread messages for a, so that opening the chat does move a's read position.
    assert.equal((await postMessage(w.c.agent, w.owned.groupId, "for a to read")).status, 303);
    await tokenOf(w.a);
    await tokenOf(w.staff);
    const asOwner = await viewAll("a", (k) => (k.includes("/admin") ? w.staff : k === "GET /signup" || k === "GET /login" ? null : w.a));
    for (const [key, found] of Object.entries(asOwner)) {
      if (key === "GET /chats/:id") {
        assert.equal(found.length, 1, `${key}: ${found.join("\n")}`);
        assert.match(found[0], markRead);
      } else assert.deepEqual(found, [], `${key} writes nothing`);
    }
    // Viewed again, the chat is read: nothing at all is written.
    const again = await viewAll("a again", (k) => (k.includes("/admin") ? w.staff : k === "GET /signup" || k === "GET /login" ? null : w.a));
    for (const [key, found] of Object.entries(again)) assert.deepEqual(found, [], `${key} writes nothing the second time`);
  });

  it("a first visit stores only the anonymous session with its CSRF token", async () => {
    const fresh = anonymous(app);
    const statements = await recordStatements(() => fresh.get("/login"));
    const found = writes(statements);
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0], /INSERT INTO "session"/);
    // Pages without a form (and redirects to the login page) store nothing at all.
    for (const url of ["/healthz", "/readyz", "/static/css/app.css"]) {
      assert.deepEqual(writes(await recordStatements(() => anonymous(app).get(url))), [], url);
    }
  });

  it("changes no table and no file on any page, whoever asks", async () => {
    const pages = pagesOf(w);
    // (a's own views were checked statement by statement above.)
    const viewers = [w.b, w.c, w.staff];
    await unchanged(app, "every page by every viewer", async () => {
      for (const p of viewers) {
        for (const [key, url] of Object.entries(pages)) if (key !== "GET /chats/:id") await p.agent.get(url);
      }
      for (const url of Object.values(pages)) await anonymous(app).get(url);
    });
  });
});
