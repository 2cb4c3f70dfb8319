// Which language a page is in: Accept-Language among ours, the switch (a cookie for visitors, the account for
// users), and plurals and escaping through the translator.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import nunjucks from "nunjucks";
import request from "supertest";
import { agent, loggedInAgent, newCredentials, tokenFor } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";
import { createGroup } from "../chat/helpers";
import { translator } from "../../src/i18n";

const langOf = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];

describe("choosing the language", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app?.close());

  it("Accept-Language picks among Hromada's languages; anything else, or nothing, gets English", async () => {
    const cases: [string | null, string][] = [
      ["uk-UA,uk;q=0.9", "uk"],
      ["uk", "uk"],
      ["de-DE,de;q=0.9,uk;q=0.5", "uk"],
      ["en-US,en;q=0.9,uk;q=0.8", "en"],
      ["de", "en"],
      ["*", "en"],
      [null, "en"],
    ];
    for (const [header, expected] of cases) {
      const req = request(app.url).get("/login");
      const res = await (header === null ? req : req.set("Accept-Language", header));
      assert.equal(langOf(res.text), expected, `Accept-Language: ${header}`);
      assert.equal(res.headers["content-language"], expected);
    }
    const uk = await request(app.url).get("/login").set("Accept-Language", "uk");
    assert.match(uk.text, /<title>[^<]*Громада<\/title>/, "the title follows");
  });

  it("a visitor's switch is kept in a cookie, wins over Accept-Language, and brings them back where they were", async () => {
    const visitor = agent(app);
    const token = await tokenFor(visitor, "/signup");
    const res = await visitor.post("/language").type("form").send({ lang: "uk", next: "/signup?x=1", _csrf: token });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/signup?x=1");
    assert.match(String(res.headers["set-cookie"]), /lang=uk;.*HttpOnly/);
    const page = await visitor.get("/signup").set("Accept-Language", "en");
    assert.equal(langOf(page.text), "uk");
  });

  it("a user's switch is saved on the account and follows them to another browser", async () => {
    const { agent: a, userId, creds } = await loggedInAgent(app);
    const token = await tokenFor(a, "/profile");
    const res = await a.post("/language").type("form").send({ lang: "uk", next: "/profile", _csrf: token });
    assert.equal(res.status, 303);
    const [row] = await app.sql<{ locale: string }>("SELECT locale FROM users WHERE id = $1", [userId]);
    assert.equal(row.locale, "uk");
    // A fresh browser (no cookie) asking for English: the account's choice wins.
    const other = agent(app);
    const loginToken = await tokenFor(other);
    const login = await other.post("/login").type("form").send({ login: creds.username, password: creds.password, _csrf: loginToken });
    assert.equal(login.status, 303);
    const page = await other.get("/profile").set("Accept-Language", "en");
    assert.equal(langOf(page.text), "uk");
  });

  it("refuses a language it does not have (422) and stores nothing; an outside return path goes home", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const token = await tokenFor(a, "/profile");
    const bad = await a.post("/language").type("form").send({ lang: "de", next: "/profile", _csrf: token });
    assert.equal(bad.status, 422);
    const [row] = await app.sql<{ locale: string | null }>("SELECT locale FROM users WHERE id = $1", [userId]);
    assert.equal(row.locale, null);
    const away = await a.post("/language").type("form").send({ lang: "en", next: "//evil.example/", _csrf: token });
    assert.equal(away.status, 303);
    assert.equal(away.headers.location, "/");
  });

  it("needs the CSRF token from a logged-in user, whose choice is saved on the account", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const res = await a.post("/language").type("form").send({ lang: "uk", next: "/profile" });
    assert.equal(res.status, 403);
    const [row] = await app.sql<{ locale: string | null }>("SELECT locale FROM users WHERE id = $1", [userId]);
    assert.equal(row.locale, null);
  });

  it("lets a visitor switch without a session: anonymous pages and the switch write no session row", async () => {
    const [before] = await app.sql<{ n: number }>("SELECT count(*)::int AS n FROM session");
    const page = await request(app.url).get("/no-such-page").set("Accept-Language", "en");
    assert.equal(page.status, 404);
    assert.match(page.text, /action="\/language"/, "the switch is on the page");
    assert.equal(page.headers["set-cookie"], undefined, "no session cookie for a page a visitor only reads");
    const res = await request(app.url).post("/language").type("form").send({ lang: "uk", next: "/login" });
    assert.equal(res.status, 303);
    assert.match(String(res.headers["set-cookie"]), /lang=uk;/);
    assert.doesNotMatch(String(res.headers["set-cookie"]), /hromada\.sid/);
    const [after] = await app.sql<{ n: number }>("SELECT count(*)::int AS n FROM session");
    assert.equal(after.n, before.n, "no session row was written");
  });

  it("user content inside a translated sentence is escaped once and never interpreted", async () => {
    const { agent: a } = await loggedInAgent(app);
    const other = await loggedInAgent(app, newCredentials("member"));
    await createGroup(a, "<b>x</b> & {{count}} $t(nav.notes)", [other.creds.username]);
    const page = await a.get("/chats").set("Accept-Language", "uk");
    assert.ok(page.text.includes('aria-label="Аватар &lt;b&gt;x&lt;/b&gt; &amp; {{count}} $t(nav.notes)"'), "escaped once, shown as typed");
    assert.ok(!page.text.includes("&amp;lt;"), "not escaped twice");
    assert.ok(!page.text.includes("<b>x</b>"), "not markup");
  });
});

describe("the translator", () => {
  it("picks Ukrainian plural forms through Intl.PluralRules", () => {
    const t = translator("uk");
    assert.deepEqual([1, 2, 5, 11, 21, 22, 25, 111].map((count) => t("notes.count", { count })), [
      "1 нотатка", "2 нотатки", "5 нотаток", "11 нотаток", "21 нотатка", "22 нотатки", "25 нотаток", "111 нотаток",
    ]);
    assert.deepEqual([0, 1, 2].map((count) => translator("en")("notes.count", { count })), ["0 notes", "1 note", "2 notes"]);
  });

  it("returns plain text for templates to escape (no escaping of its own)", () => {
    const env = new nunjucks.Environment(null, { autoescape: true });
    const html = env.renderString('{{ t("common.avatar_of", { name: n }) }}', { t: translator("en"), n: "<b>x</b>" });
    assert.equal(html, "&lt;b&gt;x&lt;/b&gt;&#39;s avatar");
  });

  it("falls back to English for a language it does not have", () => {
    assert.equal(translator("de")("nav.notes"), "Notes");
  });
});
