// The colour scheme: "auto" (the system's) by default, the switch saved on the account for users and in a cookie
// for visitors, rendered into <html data-bs-theme> so a chosen scheme needs no script and never flashes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import request from "supertest";
import { agent, loggedInAgent, tokenFor } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";

const htmlTag = (html: string) => /<html[^>]*>/.exec(html)?.[0] ?? "";
const schemeOf = (html: string) => ({
  theme: /data-theme="([^"]+)"/.exec(htmlTag(html))?.[1],
  bs: /data-bs-theme="([^"]+)"/.exec(htmlTag(html))?.[1],
  script: html.includes('<script src="/static/js/theme.js"></script>'),
});

describe("the colour scheme", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app?.close());

  it("follows the system by default: no scheme rendered, the head script applies prefers-color-scheme", async () => {
    const res = await request(app.url).get("/login");
    assert.deepEqual(schemeOf(res.text), { theme: "auto", bs: undefined, script: true });
    assert.match(res.text, /<meta name="color-scheme" content="light dark">/);
    assert.ok(res.text.indexOf("/static/js/theme.js") < res.text.indexOf("</head>"), "before the body is painted");
    assert.match(res.text, /<button type="submit" name="theme" value="auto" class="btn btn-outline-secondary active"\s+aria-pressed="true"/);
    const script = await request(app.url).get("/static/js/theme.js");
    assert.equal(script.status, 200);
    const icons = await request(app.url).get("/static/icons/bootstrap-icons.min.css");
    assert.equal(icons.status, 200, "the icon font's stylesheet is served from the package");
  });

  it("a visitor's choice goes into a cookie (no session, no token needed) and is rendered server-side", async () => {
    const visitor = agent(app);
    const res = await visitor.post("/theme").type("form").send({ theme: "dark", next: "/signup" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/signup");
    const cookies = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
    assert.equal(cookies.length, 1, "the theme cookie only: no session is started for a visitor's switch");
    assert.match(cookies[0], /^theme=dark; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    const page = await visitor.get("/signup");
    assert.deepEqual(schemeOf(page.text), { theme: "dark", bs: "dark", script: false });
    assert.match(page.text, /<meta name="color-scheme" content="dark">/);
    assert.match(page.text, /value="dark" class="btn btn-outline-secondary active"\s+aria-pressed="true"/);
  });

  it("a user's choice is saved on the account and follows them to another browser; auto clears it", async () => {
    const { agent: a, userId, creds } = await loggedInAgent(app);
    const token = await tokenFor(a, "/profile");
    const res = await a.post("/theme").type("form").send({ theme: "light", next: "/profile", _csrf: token });
    assert.equal(res.status, 303);
    const themeOf = async () => (await app.sql<{ theme: string | null }>("SELECT theme FROM users WHERE id = $1", [userId]))[0].theme;
    assert.equal(await themeOf(), "light");
    const other = agent(app);
    const loginToken = await tokenFor(other);
    const login = await other.post("/login").type("form").send({ login: creds.username, password: creds.password, _csrf: loginToken });
    assert.equal(login.status, 303);
    assert.deepEqual(schemeOf((await other.get("/profile")).text), { theme: "light", bs: "light", script: false });
    await a.post("/theme").type("form").send({ theme: "auto", next: "/", _csrf: token });
    assert.equal(await themeOf(), null);
    assert.deepEqual(schemeOf((await other.get("/profile")).text), { theme: "auto", bs: undefined, script: true });
  });

  it("refuses a scheme it does not offer (422) and a user's switch without the token (403), storing nothing", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const token = await tokenFor(a, "/profile");
    const bad = await a.post("/theme").type("form").send({ theme: "neon", next: "/", _csrf: token });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Choose light, dark or as the system\./);
    const forged = await a.post("/theme").type("form").send({ theme: "dark", next: "/" });
    assert.equal(forged.status, 403);
    const away = await a.post("/theme").type("form").send({ theme: "dark", next: "//evil.example/", _csrf: token });
    assert.equal(away.headers.location, "/", "only a path on this site");
    const [row] = await app.sql<{ theme: string | null }>("SELECT theme FROM users WHERE id = $1", [userId]);
    assert.equal(row.theme, "dark");
    await assert.rejects(app.sql("UPDATE users SET theme = 'neon' WHERE id = $1", [userId]), /users_theme_check/);
  });
});
