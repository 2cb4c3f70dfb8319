// Promise: "the browser is protected". Every GET route of the app (walked from its routers, so a new page is
// checked without anyone editing this file) and every kind of error page carries the protective headers: a CSP
// without inline scripts, frame-ancestors 'none', nosniff, a same-origin Referrer-Policy; pages are never stored
// by a cache; static files and media keep theirs. The live chat's socket.io responses are nosniff too. And the
// Host header (or X-Forwarded-Host) is never reflected: every redirect is a path on this site.
// (test/http/shell.test.ts checks the headers of the login page and the 404 page; this is every page.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { csrfFrom } from "../helpers/agent";
import { imageRows } from "../gallery/helpers";
import { aimAt, anonymous, listRoutes, ownRoutes, pagesOf, raw, routeKey, send, tokenOf, useWorld, type World } from "./helpers";

let app: TestApp;
let w: World;
useWorld((a, world) => ((app = a), (w = world)));

type Headers = Record<string, string | string[] | undefined>;

function assertProtected(h: Headers, where: string, { page = true } = {}) {
  const csp = String(h["content-security-policy"] ?? "");
  assert.ok(csp, `${where}: a CSP`);
  const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  if (page) {
    assert.deepEqual(directives.get("script-src"), ["'self'"], `${where}: scripts from this site only (no inline, no eval)`);
    assert.deepEqual(directives.get("script-src-attr"), ["'none'"], `${where}: no inline event handlers`);
    assert.deepEqual(directives.get("object-src"), ["'none'"], where);
    assert.deepEqual(directives.get("base-uri"), ["'self'"], where);
    assert.deepEqual(directives.get("form-action"), ["'self'"], `${where}: forms post to this site only`);
    assert.deepEqual(directives.get("frame-ancestors"), ["'none'"], `${where}: never framed (clickjacking)`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `${where}: ${csp}`);
  }
  assert.equal(h["x-content-type-options"], "nosniff", `${where}: nosniff`);
  assert.equal(h["referrer-policy"], "same-origin", `${where}: Referrer-Policy (upload URLs carry a CSRF token)`);
  assert.equal(h["x-frame-options"], "SAMEORIGIN", `${where}: X-Frame-Options for old browsers`);
  assert.equal(h["x-powered-by"], undefined, where);
}

describe("every page", () => {
  it("every GET route, as the person who may see it, carries the headers and is never stored by a cache", async () => {
    const pages = pagesOf(w);
    const gets = listRoutes(app).filter((r) => r.method === "GET").map(routeKey);
    assert.deepEqual(gets.filter((k) => !pages[k]), [], "GET routes without a URL here");
    for (const key of gets) {
      const who = key.includes("/admin") ? w.staff : ["GET /signup", "GET /login"].includes(key) ? null : w.a;
      const res = await raw(app, "GET", pages[key], who ? { cookie: who.cookie } : {});
      assert.ok(res.status < 400, `${key} -> ${res.status}`);
      if (key === "GET /dev/outbox/:name/html") {
        // A mail's own HTML part (development only): a stricter policy of its own, as a document in a sandbox.
        assertProtected(res.headers, key, { page: false });
        const csp = String(res.headers["content-security-policy"]);
        const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
        assert.deepEqual(directives.get("default-src"), ["'none'"], `${key}: no scripts, frames or requests (${csp})`);
        for (const d of ["script-src", "script-src-attr", "connect-src", "frame-src"]) assert.equal(directives.get(d), undefined, `${key}: ${d} falls back to 'none'`);
        assert.deepEqual(directives.get("form-action"), ["'none'"], key);
        assert.deepEqual(directives.get("base-uri"), ["'none'"], key);
        assert.deepEqual(directives.get("frame-ancestors"), ["'none'"], key);
        assert.ok(directives.has("sandbox"), `${key}: an opaque origin`);
        assert.doesNotMatch(csp, /unsafe-eval|\*/, key);
      } else assertProtected(res.headers, key);
      if (key !== "GET /healthz" && key !== "GET /readyz") assert.equal(res.headers["cache-control"], "no-store", `${key}: no-store`);
    }
  });

  it("every error status carries them as well: 400, 403, 404, 413, 415, 422, 503 and JSON errors", async () => {
    const token = await tokenOf(w.a);
    const cases: [string, () => Promise<{ status: number; headers: Headers }>, number][] = [
      ["a malformed %-encoding", () => raw(app, "GET", "/notes/%E0%A4%A/edit", { cookie: w.a.cookie }), 400],
      ["a missing CSRF token", () => raw(app, "POST", "/notes", { cookie: w.a.cookie, "content-type": "application/x-www-form-urlencoded" }, "data=x"), 403],
      ["an unknown page", () => raw(app, "GET", "/nowhere"), 404],
      ["someone else's note", () => raw(app, "GET", `/notes/${w.owned.noteId}/edit`, { cookie: w.b.cookie }), 404],
      ["a PUT (with its token: no such route)", () => raw(app, "PUT", "/notes", { cookie: w.a.cookie, "x-csrf-token": token }), 404],
      ["a body over the limit", () => w.a.agent.post("/notes").set("X-CSRF-Token", token).send({ data: "x".repeat(200_000) }), 413],
      ["an unknown charset", () => w.a.agent.post("/notes").set("X-CSRF-Token", token).set("Content-Type", "application/x-www-form-urlencoded; charset=ebcdic").send("data=x"), 415],
      ["a bad form", () => w.a.agent.post("/notes").type("form").send({ data: "", _csrf: token }), 422],
      ["JSON errors", () => raw(app, "GET", `/chats/${w.owned.groupId}/messages?before=x`, { cookie: w.a.cookie, accept: "application/json" }), 404],
    ];
    for (const [what, run, status] of cases) {
      const res = await run();
      assert.equal(res.status, status, what);
      assertProtected(res.headers, `${what} (${status})`);
    }
    // 503: the app draining for a shutdown.
    app.lifecycle.shuttingDown = true;
    try {
      const ready = await raw(app, "GET", "/readyz");
      assert.equal(ready.status, 503);
      assertProtected(ready.headers, "not ready (503)");
    } finally {
      app.lifecycle.shuttingDown = false;
    }
  });

  it("static files keep long caching and media a short private one, with nosniff (their CSP is the page's, or none needed)", async () => {
    const [img] = await imageRows(app, w.a.userId);
    for (const [url, cache] of [["/static/css/app.css", /max-age=0|max-age=\d+/], ["/static/js/chat.js", /max-age/], [`/media/${img.thumb_path}`, /^private, max-age=60$/]] as const) {
      const res = await raw(app, "GET", url, { cookie: w.a.cookie });
      assert.equal(res.status, 200, url);
      assertProtected(res.headers, url);
      assert.match(String(res.headers["cache-control"]), cache, url);
    }
  });

  it("socket.io's long-polling answers (which carry chat text) are nosniff as well", async () => {
    const hs = await raw(app, "GET", "/socket.io/?EIO=4&transport=polling", { origin: app.url, cookie: w.a.cookie });
    assert.equal(hs.status, 200, hs.text);
    assert.equal(hs.headers["x-content-type-options"], "nosniff", "the handshake");
    const sid = JSON.parse(hs.text.slice(hs.text.indexOf("{"))).sid as string;
    // Join the default namespace (what the client's first POST does), so the next poll has something to answer with.
    const join = await raw(app, "POST", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, { origin: app.url, cookie: w.a.cookie, "content-type": "text/plain;charset=UTF-8" }, "40");
    assert.equal(join.status, 200);
    assert.equal(join.headers["x-content-type-options"], "nosniff", "a post");
    const poll = await raw(app, "GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, { origin: app.url, cookie: w.a.cookie });
    assert.equal(poll.status, 200);
    assert.equal(poll.headers["x-content-type-options"], "nosniff", "a poll");
    assert.match(String(poll.headers["content-type"]), /^text\/plain/);
    assert.match(poll.text, /chat:unread/, "a real answer with data in it");
  });
});

describe("the Host header", () => {
  const evil = { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https", forwarded: "host=evil.example;proto=https" };

  /** Where a Location header sends a browser that asked http://hromada.test/. */
  const target = (location: string | undefined) => new URL(String(location), "http://hromada.test/");

  it("is never reflected in a redirect: every redirecting GET and POST answers with a path on this site", async () => {
    const seen: string[] = [];
    const check = (what: string, res: { status: number; headers: Headers; text?: string }) => {
      if (res.status < 300 || res.status >= 400) return;
      const loc = String(res.headers.location);
      seen.push(`${what} -> ${loc}`);
      assert.ok(loc.startsWith("/") && !loc.startsWith("//"), `${what}: Location ${loc} is a path`);
      assert.equal(target(loc).origin, "http://hromada.test", `${what}: ${loc}`);
      assert.doesNotMatch(JSON.stringify(res.headers) + (res.text ?? ""), /evil\.example/, `${what}: the host appears nowhere`);
    };
    // Every GET page, anonymously (most send to the login page) and logged in (some send elsewhere).
    for (const [key, url] of Object.entries(pagesOf(w))) {
      check(`anonymous ${key}`, await raw(app, "GET", url, evil));
      check(`a ${key}`, await raw(app, "GET", url, { ...evil, cookie: w.a.cookie }));
    }
    check("a directory under /static", await raw(app, "GET", "/static/css", evil));
    // Every POST that succeeds with a redirect, as its rightful user.
    const aims = { ...ownRoutes(w), ...aimAt(w) };
    for (const key of ["POST /notes", "POST /chats", "POST /chats/direct", "POST /profile", "POST /gallery", "POST /chats/:id/messages", "POST /gallery/:id/avatar", "POST /logout"]) {
      const res = await send(app, w.a.agent, "POST", aims[key], await tokenOf(w.a), {}, evil);
      check(key, res);
    }
    assert.ok(seen.length > 20, `redirects seen: ${seen.length}`);
  });

  it("open-redirect shapes in the path itself go nowhere else", async () => {
    for (const p of ["//evil.example/", "//evil.example/%2e%2e", "/\\evil.example/", "/static//evil.example/", "/%2F%2Fevil.example/", "/static/..%2F..%2F/evil.example"]) {
      const res = await raw(app, "GET", p, evil);
      if (res.status >= 300 && res.status < 400) assert.equal(target(res.headers.location).origin, "http://hromada.test", `${p} -> ${res.headers.location}`);
      else assert.equal(res.status, 404, `${p} -> ${res.status}`);
    }
  });
});

// Apps with other settings come last: the entities' ActiveRecord statics are bound to the most recently started
// app's database (BaseEntity.useDataSource is process-wide), so the main app is not used after these start.
describe("with other settings", () => {
  it("the rate-limit page (429) carries the headers too", async () => {
    const strict = await startTestApp({ LOGIN_RATE_LIMIT: "1" });
    try {
      let limited;
      for (let i = 0; i < 2; i++) {
        const a = anonymous(strict);
        const page = await a.get("/login");
        limited = await a.post("/login").type("form").send({ login: "nobody", password: "wrong password", _csrf: csrfFrom(page.text) });
      }
      assert.equal(limited!.status, 429);
      assertProtected(limited!.headers, "the rate-limit page (429)");
    } finally {
      await strict.close();
    }
  });

  it("behind a trusted proxy (TRUST_PROXY=1), the forwarded host is not used for redirects either", async () => {
    const evil = { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https", forwarded: "host=evil.example;proto=https" };
    const proxied = await startTestApp({ TRUST_PROXY: "1" });
    try {
      for (const url of ["/", "/notes", "/gallery", "/admin/", "/static/css", "/login?next=/gallery"]) {
        const res = await raw(proxied, "GET", url, evil);
        if (res.status >= 300 && res.status < 400) assert.equal(new URL(String(res.headers.location), "http://hromada.test/").origin, "http://hromada.test", `${url} -> ${res.headers.location}`);
      }
    } finally {
      await proxied.close();
    }
  });
});
