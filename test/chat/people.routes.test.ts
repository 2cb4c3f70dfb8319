// The people directory and public profiles, where direct chats start.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent } from "../helpers/agent";
import { escapeLike } from "../../src/db/sql";
import { openDirect } from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const names = (html: string) => [...html.matchAll(/<a class="fw-semibold[^"]*" data-user-content href="\/people\/[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);
const make = (username: string) => loggedInAgent(app, { username, email: `${username.toLowerCase()}@example.test`, password: "correct horse battery" });

describe("the directory", () => {
  let me: Awaited<ReturnType<typeof make>>;
  before(async () => {
    me = await make("Viewer");
    for (const n of ["olena", "Oleksandr", "aole", "taras", "ta_ras", "a.b-c", "Олег"]) await make(n);
    const gone = await make("olesya_gone");
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [gone.userId]);
  });

  it("lists active people with a Message button for everyone but me", async () => {
    const res = await me.agent.get("/people");
    assert.equal(res.status, 200);
    const shown = names(res.text);
    for (const n of ["olena", "Oleksandr", "aole", "taras", "ta_ras", "a.b-c", "Олег", "Viewer"]) assert.ok(shown.includes(n), n);
    assert.ok(!shown.includes("olesya_gone"), "deactivated accounts are not listed");
    assert.equal((res.text.match(/action="\/chats\/direct"/g) ?? []).length, shown.length - 1, "no button for myself");
    assert.match(res.text, /<span class="badge text-bg-light border">You<\/span>/);
  });

  it("searches usernames case-insensitively, anywhere in the name, prefix matches first", async () => {
    let res = await me.agent.get("/people?q=OLE");
    assert.deepEqual(names(res.text), ["Oleksandr", "olena", "aole"], "deactivated olesya_gone is not found");
    res = await me.agent.get("/people?q=as");
    assert.deepEqual(names(res.text).sort(), ["ta_ras", "taras"]);
    res = await me.agent.get(`/people?q=${encodeURIComponent("оле")}`);
    assert.deepEqual(names(res.text), ["Олег"]);
    assert.match(res.text, /value="оле"/, "the search box keeps the query");
  });

  it("treats LIKE wildcards literally", async () => {
    assert.deepEqual(names((await me.agent.get("/people?q=_")).text), ["ta_ras"], "_ is an underscore, not any character");
    assert.deepEqual(names((await me.agent.get("/people?q=%25")).text), [], "% matches nothing literal");
    assert.deepEqual(names((await me.agent.get("/people?q=a%25s")).text), []);
    assert.deepEqual(names((await me.agent.get("/people?q=.b")).text), ["a.b-c"]);
    assert.deepEqual(names((await me.agent.get("/people?q=%5C")).text), [], "a backslash is not an escape");
    assert.equal(escapeLike("50%_off\\"), "50\\%\\_off\\\\");
  });

  it("escapes what was searched for and survives odd query strings", async () => {
    const res = await me.agent.get(`/people?q=${encodeURIComponent('"><script>alert(1)</script>')}`);
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes("<script>alert(1)</script>"));
    assert.match(res.text, /Nobody’s username contains/);
    for (const qs of ["q[]=a", "q=a&q=b", "page=abc", "page=-1", "page=99999999", `q=${"x".repeat(500)}`]) {
      assert.equal((await me.agent.get(`/people?${qs}`)).status, 200, qs);
    }
  });

  it("pages through many people", async () => {
    for (let i = 0; i < 30; i++) await app.auth.signup({ username: `pager${String(i).padStart(2, "0")}`, email: `pager${i}@example.test`, password: "correct horse battery" });
    const p1 = await me.agent.get("/people?q=pager");
    const p2 = await me.agent.get("/people?q=pager&page=2");
    const all = [...names(p1.text), ...names(p2.text)];
    assert.equal(names(p1.text).length, 24);
    assert.equal(all.length, 30);
    assert.equal(new Set(all).size, 30);
    assert.match(p1.text, /href="\/people\?q=pager&amp;page=2"/);
    assert.equal(names((await me.agent.get("/people?q=pager&page=3")).text).length, 0);
  });
});

describe("a profile", () => {
  it("shows a person by username in any case, with a Message button that opens the direct chat", async () => {
    const me = await make("Profiler");
    const them = await make("Maryna");
    let res = await me.agent.get("/people/maryna");
    assert.equal(res.status, 200);
    assert.match(res.text, /<h1[^>]*>Maryna<\/h1>/);
    assert.match(res.text, new RegExp(`name="user_id" value="${them.userId}"`));
    assert.match(res.text, />Message<\/button>/);
    const id = await openDirect(me.agent, them.userId);
    res = await me.agent.get("/people/Maryna");
    assert.match(res.text, />Open chat<\/button>/, "once the chat exists");
    assert.equal(await openDirect(me.agent, them.userId), id);
  });

  it("shows my own profile without a Message button", async () => {
    const me = await make("Selfie");
    const res = await me.agent.get("/people/selfie");
    assert.equal(res.status, 200);
    assert.match(res.text, /This is you\./);
    assert.ok(!res.text.includes('action="/chats/direct"'));
  });

  it("is a 404 for unknown and deactivated people", async () => {
    const me = await make("Seeker");
    const gone = await make("Vanished");
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [gone.userId]);
    for (const u of ["nobody_here", "vanished", "%25", "_", "..", "x".repeat(300)]) {
      assert.equal((await me.agent.get(`/people/${u}`)).status, 404, u);
    }
  });
});
