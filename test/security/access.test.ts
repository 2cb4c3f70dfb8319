// Promise: "only you see your data". Every route that takes an id, walked from the app's own routers, is aimed
// at user a's objects by an outsider (b), by a member who is not the creator (c) where the route is the
// creator's, and anonymously: each answers 404 (or the login redirect), leaks nothing of a's, and leaves every
// table and the media folder exactly as they were. The same attacks over the socket get error acks.
// Feature-level versions of some of these live in test/notes, test/chat, test/gallery and test/admin; this file
// is the cross-cutting proof, and it fails when a new route with an id has no entry here.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { before, describe, it } from "node:test";
import type { TestApp } from "../helpers/app";
import { csrfFrom } from "../helpers/agent";
import { ask, closeAll, collect, connect, type MessageLike } from "../chat/helpers";
import { aimAt, anonymous, listRoutes, pagesOf, routeKey, send, snapshot, tokenOf, unchanged, useWorld, type World } from "./helpers";

/** Routes with a parameter that are open to every logged-in user on purpose, and why. */
const PUBLIC_BY_DESIGN: Record<string, string> = {
  "GET /people/:username": "a public profile (username, join date, avatar) of an active user, shown to every logged-in user",
};

let app: TestApp;
let w: World;
useWorld((a, world) => ((app = a), (w = world)));

/** Nothing of a's may appear in a refusal. */
function assertNoLeak(text: string, what: string) {
  const o = w.owned;
  for (const secret of [o.noteText, o.messageText, o.groupName, o.imageName]) {
    assert.ok(!text.includes(secret), `${what} leaks "${secret}"`);
  }
}

describe("the route table", () => {
  it("aims this suite at every route that takes an id, so a new one without a test fails here", () => {
    const routes = listRoutes(app);
    assert.ok(routes.length > 40, `the walk found the app's routes (${routes.length})`);
    const withParams = routes.filter((r) => r.path.includes(":")).map(routeKey);
    const aimed = new Set([...Object.keys(aimAt(w)), ...Object.keys(PUBLIC_BY_DESIGN)]);
    assert.deepEqual(withParams.filter((k) => !aimed.has(k)), [], "routes with an id that no access test aims at");
    assert.deepEqual([...aimed].filter((k) => !withParams.includes(k)), [], "aims at routes that no longer exist");
    // The GET pages the other security tests walk (headers, GET-is-safe) are the app's GET routes exactly.
    const gets = routes.filter((r) => r.method === "GET").map(routeKey).sort();
    assert.deepEqual(Object.keys(pagesOf(w)).sort(), gets);
  });
});

describe("an outsider (b) against a's objects", () => {
  it("gets 404 from every route with an id, every verb, and changes nothing", async () => {
    const token = await tokenOf(w.b);
    for (const [key, aim] of Object.entries(aimAt(w))) {
      const method = key.split(" ")[0];
      const res = await unchanged(app, `b: ${key}`, () => send(app, w.b.agent, method, aim, token));
      assert.equal(res.status, 404, `b: ${key} (${aim.url}) -> ${res.status}`);
      assertNoLeak(res.text, `b: ${key}`);
    }
  });

  it("cannot reach a's chat through ids of its own: ?before= and chat:read with a's message id stay in b's chat", async () => {
    const mine = w.bOwned.directId;
    const page = await w.b.agent.get(`/chats/${mine}?before=${w.owned.messageId + 1}`);
    assert.equal(page.status, 200);
    assertNoLeak(page.text, "b's own chat with a's message id");
    const json = await w.b.agent.get(`/chats/${mine}/messages?before=${w.owned.messageId + 1}`).set("Accept", "application/json");
    assert.equal(json.status, 200);
    assert.ok((json.body.messages as MessageLike[]).every((m) => m.chatId === mine));
    assertNoLeak(json.text, "b's JSON history");
  });

  it("gets error acks over the socket for every chat event, receives nothing and stores nothing", async () => {
    const sb = await connect(app, w.b.agent);
    const sa = await connect(app, w.a.agent);
    try {
      for (const chatId of [w.owned.groupId, w.owned.directId]) {
        assert.deepEqual(await ask(sa, "chat:join", { chatId }), { ok: true });
        const got = collect<MessageLike>(sb, "chat:message");
        await unchanged(app, `b's socket events on chat ${chatId}`, async () => {
          const notFound = { ok: false, error: "Chat not found.", code: "not_found" };
          assert.deepEqual(await ask(sb, "chat:join", { chatId }), notFound);
          assert.deepEqual(await ask(sb, "chat:sync", { chatId, afterId: 0 }), notFound);
          assert.deepEqual(await ask(sb, "chat:typing", { chatId, typing: true }), notFound);
          assert.deepEqual(await ask(sb, "chat:message", { chatId, text: "let me in", clientId: crypto.randomUUID() }), notFound);
          // Marking a chat read needs a membership row to move; there is none, so nothing moves.
          assert.deepEqual(await ask(sb, "chat:read", { chatId, messageId: w.owned.messageId }), { ok: true, total: null });
          assert.deepEqual(await ask(sb, "chat:leave", { chatId }), { ok: true });
        });
        const rooms = (await app.io.in(`chat:${chatId}`).fetchSockets()).map((s) => s.data.userId);
        assert.ok(!rooms.includes(w.b.userId), "b is not in the room");
        // A message a sends now reaches a's socket (it is in the room) and never b's.
        const echo = await ask(sa, "chat:message", { chatId, text: `marker ${chatId}`, clientId: crypto.randomUUID() });
        assert.equal(echo.ok, true);
        const own = await ask(sb, "chat:join", { chatId: w.bOwned.directId });
        assert.deepEqual(own, { ok: true }, "b's socket still works for b's own chats");
        assert.deepEqual(got, [], "b received nothing of a's chat");
      }
    } finally {
      closeAll(sa, sb);
    }
  });
});

describe("a member who is not the creator (c)", () => {
  it("sees the group, but every creator-only action answers 404 and changes nothing", async () => {
    const o = w.owned;
    for (const url of [`/chats/${o.groupId}`, `/chats/${o.groupId}/settings`, `/chats/${o.directId}`]) {
      assert.equal((await w.c.agent.get(url)).status, 200, `c may see ${url}`);
    }
    const token = await tokenOf(w.c);
    const creatorOnly: [string, Record<string, string>][] = [
      [`/chats/${o.groupId}/rename`, { name: "renamed by c" }],
      [`/chats/${o.groupId}/members`, { members: w.b.username }],
      [`/chats/${o.groupId}/members/${w.a.userId}/remove`, {}],
      // Group management does not exist for a direct chat, whoever asks.
      [`/chats/${o.directId}/rename`, { name: "direct" }],
      [`/chats/${o.directId}/leave`, {}],
      [`/chats/${o.directId}/avatar/remove`, {}],
    ];
    for (const [url, form] of creatorOnly) {
      const res = await unchanged(app, `c: POST ${url}`, () => w.c.agent.post(url).type("form").send({ ...form, _csrf: token }));
      assert.equal(res.status, 404, `c: POST ${url} -> ${res.status}`);
    }
  });
});

describe("anonymous visitors", () => {
  it("are sent to the login page (or get 404 for /admin) from every route with an id, and change nothing", async () => {
    const anon = anonymous(app);
    const token = csrfFrom((await anon.get("/login")).text);
    for (const [key, aim] of Object.entries(aimAt(w))) {
      const method = key.split(" ")[0];
      const res = await unchanged(app, `anonymous: ${key}`, () => send(app, anon, method, aim, token));
      if (aim.url.startsWith("/admin")) assert.equal(res.status, 404, `anonymous: ${key}`);
      else {
        assert.equal(res.status, 303, `anonymous: ${key} -> ${res.status}`);
        assert.equal(res.headers.location, "/login");
      }
      assertNoLeak(res.text, `anonymous: ${key}`);
    }
  });
});

describe("the admin site", () => {
  it("answers 404 to every non-staff user for every admin route and verb, and changes nothing", async () => {
    const admin = listRoutes(app).filter((r) => r.path.startsWith("/admin"));
    const aims = aimAt(w);
    const pages = pagesOf(w);
    for (const p of [w.a, w.b, w.c]) {
      const token = await tokenOf(p);
      for (const r of admin) {
        const key = routeKey(r);
        const aim = aims[key] ?? { url: pages[key] };
        assert.ok(aim.url, `${key} has a URL`);
        const res = await unchanged(app, `${p.username}: ${key}`, () => send(app, p.agent, r.method, aim, token));
        assert.equal(res.status, 404, `${p.username}: ${key}`);
        assert.doesNotMatch(res.text, /Admin ·|Dashboard/, "the admin area is not revealed");
      }
    }
  });
});

describe("the rightful user", () => {
  it("reaches every page the others were refused (so the refusals above are not typos)", async () => {
    const pages = pagesOf(w);
    for (const key of Object.keys(aimAt(w)).filter((k) => k.startsWith("GET "))) {
      const who = key.includes("/admin") ? w.staff : w.a;
      const res = await who.agent.get(pages[key]);
      assert.equal(res.status, 200, `${who.username}: ${key}`);
    }
  });

  it("and each refused change works for them, changing the database", async () => {
    const aims = aimAt(w);
    const o = w.owned;
    // In an order that keeps each target alive for the next; admin actions last, aimed where a's own actions left something.
    const plan: [string, "a" | "staff", Partial<ReturnType<typeof aimAt>[string]>?][] = [
      ["POST /chats/:id/messages", "a"],
      ["POST /chats/:id/rename", "a"],
      ["POST /chats/:id/members", "a"],
      ["POST /chats/:id/members/:userId/remove", "a"],
      ["POST /chats/:id/avatar", "a"],
      ["POST /chats/:id/avatar/remove", "a"],
      // (a's avatar already is imageId: the other picture makes this a change.)
      ["POST /gallery/:id/avatar", "a", { url: `/gallery/${o.chatPictureId}/avatar` }],
      ["POST /notes/:id/edit", "a"],
      ["POST /admin/notes/:id/delete", "staff", { url: `/admin/notes/${w.bOwned.noteId}/delete` }],
      ["POST /notes/:id/delete", "a"],
      ["POST /admin/images/:id/delete", "staff", { url: `/admin/images/${o.chatPictureId}/delete` }],
      ["POST /gallery/:id/delete", "a"],
      ["POST /admin/messages/:id/delete", "staff"],
      ["POST /chats/:id/leave", "a"],
      ["POST /admin/users/:id/staff", "staff"],
      ["POST /admin/users/:id/active", "staff"],
      ["POST /admin/users/:id/delete", "staff"],
    ];
    assert.deepEqual(plan.map((p) => p[0]).sort(), Object.keys(aims).filter((k) => k.startsWith("POST ")).sort());
    for (const [key, who, override] of plan) {
      const p = who === "a" ? w.a : w.staff;
      const aim = { ...aims[key], ...override };
      const before = await snapshot(app);
      const res = await send(app, p.agent, "POST", aim, await tokenOf(p));
      assert.equal(res.status, 303, `${who}: ${key} (${aim.url}) -> ${res.status} ${res.text.slice(0, 200)}`);
      assert.notEqual(await snapshot(app), before, `${who}: ${key} changed something`);
    }
  });
});
