// The request log (src/http/request-log.ts): one line per request with method, URL and status only; no
// headers (cookies), and the CSRF token in an upload URL redacted.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { agent, loggedInAgent } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";
import { UPLOAD_FIELD } from "../../src/gallery/gallery.schemas";

const lines: Record<string, any>[] = [];
let app: TestApp;

before(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  app = await startTestApp({}, { logger: pino({ level: "info" }, sink) });
});
after(() => app.close());

const completed = (url: string) => lines.filter((l) => l.msg === "request completed" && l.req?.url === url);

describe("request log", () => {
  it("logs each page with its method, URL and status, and nothing of the request's headers", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    assert.equal((await a.get("/?page=1")).status, 200);
    assert.equal((await agent(app).get("/no-such-page")).status, 404);
    const [page] = completed("/?page=1");
    assert.ok(page, "the page's line");
    assert.deepEqual(page.req, { method: "GET", url: "/?page=1" });
    assert.deepEqual(page.res, { statusCode: 200 });
    assert.equal(typeof page.responseTime, "number");
    assert.deepEqual(completed("/no-such-page")[0]?.res, { statusCode: 404 });
    const all = JSON.stringify(lines);
    assert.ok(!/cookie|hromada\.sid|user-agent/i.test(all), "no headers, so no session cookie, in the log");
    assert.equal((await app.sql("SELECT id FROM users WHERE id = $1", [userId])).length, 1);
  });

  it("redacts the CSRF token carried in an upload URL", async () => {
    const { agent: a } = await loggedInAgent(app);
    const token = "secret-token-value-1234";
    const res = await a.post(`/gallery?_csrf=${token}&x=1`).attach(UPLOAD_FIELD, Buffer.from("GIF89a"), "a.gif");
    assert.equal(res.status, 403, "a wrong token is refused");
    await new Promise((r) => setTimeout(r, 50));
    const line = lines.find((l) => l.msg === "request completed" && String(l.req?.url).startsWith("/gallery?"));
    assert.ok(line, "the upload's line");
    assert.equal(line.req.url, "/gallery?_csrf=[redacted]&x=1");
    assert.ok(!JSON.stringify(lines).includes(token));
    assert.equal((await app.sql("SELECT count(*)::int AS n FROM images"))[0].n, 0, "nothing stored");
  });

  it("redacts the token of a mailed link (password reset, email confirmation): the log cannot be used to take an account", async () => {
    const token = "1a-mx9kdd2i-SeCrEtSiGnAtUrEvAlUe0123456789abcd";
    assert.equal((await agent(app).get(`/password/reset/${token}`)).status, 200, "not a good token: the page saying so");
    await agent(app).get(`/email/verify/${token}?next=/`);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(completed("/password/reset/[redacted]")[0]?.res, { statusCode: 200 });
    assert.ok(completed("/email/verify/[redacted]?next=/")[0], "the confirmation link's line, its query kept");
    assert.ok(!JSON.stringify(lines).includes(token), "the token is nowhere in the log");
  });
});
