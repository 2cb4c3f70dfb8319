// Promise: "only you see your data". Every route that takes an id, walked from the app's own routers, is aimed
// at user a's objects by an outsider (b), by a member who is not the creator (c) where the route is the
// creator's, and anonymously: each answers 404 (or the login redirect), leaks nothing of a's, and leaves every
// table and the media folder exactly as they were. The same attacks over the socket get error acks.
// Feature-level versions of some of these live in test/notes, test/chat, test/gallery and test/admin; this file
// is the cross-cutting proof, and it fails when a new route with an id has no entry here.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { resetState } from "../../src/auth/password-reset.service";
import { User } from "../../src/auth/user.entity";
import { fromThisMachine } from "../../src/mail/outbox.routes";
import { csrfFrom } from "../helpers/agent";
import { ask, closeAll, collect, connect, type MessageLike } from "../chat/helpers";
import { aimAt, anonymous, difference, listRoutes, pagesOf, raw, routeKey, send, snapshot, tokenOf, unchanged, uploadImage, useWorld, type World } from "./helpers";
import { listFiles } from "../gallery/helpers";

/** Routes with a parameter that are open on purpose (to every logged-in user, or to anyone), and why. */
const PUBLIC_BY_DESIGN: Record<string, string> = {
  "GET /people/:username": "a public profile (username, join date, avatar) of an active user, shown to every logged-in user",
  // Attacked below ("a password-reset link"): forged, expired, spent and other accounts' tokens get the 400 page.
  "GET /password/reset/:token": "the mailed reset link: the signed token in the path is the credential, so it works without a login",
  "POST /password/reset/:token": "choosing the new password through that link: the same token is the credential",
  // Mounted only outside production (app.ts); tested below to be absent there.
  "GET /dev/outbox/:name": "the development outbox: mail the file transport wrote, for a developer on their own machine",
  "GET /dev/outbox/:name/html": "the development outbox: a mail's HTML part",
  "GET /dev/outbox/:name/raw": "the development outbox: a mail's file",
  "GET /email/verify/:token": "a mailed confirmation link: the signed token is the permission",
  "POST /email/verify/:token": "the same link's button",
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
          const messageId = chatId === w.owned.groupId ? w.owned.messageId : w.owned.directMessageId;
          assert.deepEqual(await ask(sb, "chat:edit", { chatId, messageId, text: "edited by b", clientId: crypto.randomUUID() }), notFound);
          assert.deepEqual(await ask(sb, "chat:delete", { chatId, messageId }), notFound);
          assert.deepEqual(await ask(sb, "chat:react", { chatId, messageId, emoji: "👍", on: true }), notFound);
          // a's message under b's own chat: not found there either (the message must be in the chat named).
          for (const ev of ["chat:edit", "chat:delete", "chat:react"] as const) {
            const res = await ask(sb, ev, { chatId: w.bOwned.directId, messageId, text: "moved", clientId: crypto.randomUUID(), emoji: "👍", on: true });
            assert.equal(res.ok, false, `${ev} with a's message id in b's chat`);
          }
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

describe("the sessions page", () => {
  it("an outsider cannot end a's sessions: a's handle is 404 to b, 'everywhere else' ends only b's own, and a's sessions all stay", async () => {
    const sessionsOf = async (userId: number) =>
      (await app.sql<{ sid: string }>("SELECT sid FROM session WHERE (sess -> 'passport' ->> 'user') = $1 ORDER BY sid", [String(userId)])).map((r) => r.sid);
    const before = await sessionsOf(w.a.userId);
    assert.ok(before.length >= 2, "a is logged in twice (the world's second browser)");
    const token = await tokenOf(w.b);
    const one = await w.b.agent.post(`/account/sessions/${w.owned.sessionHandle}/logout`).type("form").send({ _csrf: token });
    assert.equal(one.status, 404);
    const others = await w.b.agent.post("/account/sessions/others/logout").type("form").send({ _csrf: token });
    assert.equal(others.status, 303);
    assert.deepEqual(await sessionsOf(w.a.userId), before, "every session of a's is still there");
    const page = await w.b.agent.get("/account/sessions");
    assert.equal(page.status, 200);
    assert.ok(!page.text.includes(w.owned.sessionHandle), "b's page does not list a's sessions");
  });
});

describe("deleting several photos at once", () => {
  it("an outsider's list with a's photo in it: the confirmation shows only their own, and only their own go", async () => {
    const { imageId } = w.owned;
    const token = await tokenOf(w.b);
    const aFiles = (await app.sql<{ path: string; thumb_path: string }>("SELECT path, thumb_path FROM images WHERE id = $1", [imageId]))[0];
    // a's photo alone: nothing to confirm, nothing deleted.
    for (const confirm of [undefined, "yes"]) {
      const res = await unchanged(app, `b's bulk delete of a's photo (${confirm ?? "ask"})`, () =>
        w.b.agent.post("/gallery/bulk-delete").type("form").send({ ids: String(imageId), ...(confirm ? { confirm } : {}), _csrf: token }));
      assert.equal(res.status, 404);
      assertNoLeak(res.text, "b's bulk delete");
    }
    // Mixed with one of b's own: the confirmation lists b's only; confirmed, b's goes and a's stays, files and all.
    const mine = await uploadImage(app, w.b, "b-bulk.png");
    const ask = await w.b.agent.post("/gallery/bulk-delete").type("form").send(`ids=${imageId}&ids=${mine}&_csrf=${encodeURIComponent(token)}`);
    assert.equal(ask.status, 200);
    assert.ok(ask.text.includes("b-bulk.png") || ask.text.includes(`${mine}`), "b's own photo is listed");
    assertNoLeak(ask.text, "the confirmation");
    const done = await w.b.agent.post("/gallery/bulk-delete").type("form").send(`ids=${imageId}&ids=${mine}&confirm=yes&_csrf=${encodeURIComponent(token)}`);
    assert.equal(done.status, 303);
    assert.deepEqual((await app.sql("SELECT id FROM images WHERE id = ANY($1::int[]) ORDER BY id", [[imageId, mine]])).map((r) => r.id), [imageId]);
    const files = listFiles(app.mediaRoot);
    assert.ok(files.some((f) => f.endsWith(aFiles.path)) && files.some((f) => f.endsWith(aFiles.thumb_path)), "a's files are still there");
  });
});

describe("a member who is not the creator (c)", () => {
  it("sees the group, but every creator-only or author-only action answers 404 and changes nothing", async () => {
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
      // a's messages: a member may read and react to them, never edit or delete them.
      [`/chats/${o.groupId}/messages/${o.messageId}/edit`, { text: "edited by c" }],
      [`/chats/${o.groupId}/messages/${o.messageId}/delete`, {}],
      [`/chats/${o.directId}/messages/${o.directMessageId}/edit`, { text: "edited by c" }],
      [`/chats/${o.directId}/messages/${o.directMessageId}/delete`, {}],
    ];
    // The creator's question before removing someone is the creator's too.
    const question = await unchanged(app, "c: GET the remove question", () => w.c.agent.get(`/chats/${o.groupId}/members/${w.a.userId}/remove`));
    assert.equal(question.status, 404);
    for (const [url, form] of creatorOnly) {
      const res = await unchanged(app, `c: POST ${url}`, () => w.c.agent.post(url).type("form").send({ ...form, _csrf: token }));
      assert.equal(res.status, 404, `c: POST ${url} -> ${res.status}`);
    }
    const sc = await connect(app, w.c.agent);
    try {
      await unchanged(app, "c's socket edits and deletes of a's message", async () => {
        for (const [chatId, messageId] of [[o.groupId, o.messageId], [o.directId, o.directMessageId]]) {
          assert.equal((await ask(sc, "chat:edit", { chatId, messageId, text: "edited by c", clientId: crypto.randomUUID() })).ok, false);
          assert.equal((await ask(sc, "chat:delete", { chatId, messageId })).ok, false);
        }
      });
    } finally {
      closeAll(sc);
    }
  });
});

describe("message ids across chats", () => {
  it("a message is only reached under its own chat: another chat's id in the path is 404, even for its author, and changes nothing", async () => {
    const o = w.owned;
    // a wrote both messages and is a member of both chats; c is a member of both; b has a chat of its own.
    const crossed: [string, number, number][] = [
      ["a", o.directId, o.messageId],
      ["a", o.groupId, o.directMessageId],
      ["c", o.directId, o.messageId],
      ["b", w.bOwned.directId, o.messageId],
      ["b", w.bOwned.directId, o.directMessageId],
    ];
    for (const [who, chatId, messageId] of crossed) {
      const p = who === "a" ? w.a : who === "b" ? w.b : w.c;
      const token = await tokenOf(p);
      const base = `/chats/${chatId}/messages/${messageId}`;
      await unchanged(app, `${who}: ${base}`, async () => {
        const page = await p.agent.get(base);
        assert.equal(page.status, 404, `${who}: GET ${base}`);
        assertNoLeak(page.text, `${who}: GET ${base}`);
        for (const [action, form] of [["edit", { text: "moved over" }], ["delete", {}], ["reactions", { emoji: "❤️", on: "1" }]] as const) {
          const res = await p.agent.post(`${base}/${action}`).type("form").send({ ...form, _csrf: token });
          assert.equal(res.status, 404, `${who}: POST ${base}/${action} -> ${res.status}`);
        }
        // The no-JavaScript reply and the jump to a message take an id in the query: another chat's is not quoted.
        const reply = await p.agent.get(`/chats/${chatId}?reply=${messageId}`);
        assert.equal(reply.status, 404, `${who}: ?reply=${messageId} in chat ${chatId} -> ${reply.status}`);
        if (who === "b") {
          const around = await p.agent.get(`/chats/${chatId}?around=${messageId}`);
          assert.ok(around.status === 200 || around.status === 404, `b: ?around= -> ${around.status}`);
          assertNoLeak(around.text, `b: ?around=${messageId} in b's chat`);
        }
      });
    }
  });

  it("search finds only messages of the searcher's own chats", async () => {
    const o = w.owned;
    const word = o.messageText.split(" ").pop()!;
    const hit = (text: string, chatId: number, messageId: number) => text.includes(`href="/chats/${chatId}?around=${messageId}#m-${messageId}"`);
    // A short query is a substring search: a different code path from the full-text one.
    for (const q of [word, word.slice(0, 2), `"${o.messageText}"`]) {
      const forB = await w.b.agent.get(`/chats/search?q=${encodeURIComponent(q)}`);
      assert.equal(forB.status, 200);
      assert.ok(!hit(forB.text, o.groupId, o.messageId) && !hit(forB.text, o.directId, o.directMessageId), `b's search for ${q} finds a's messages`);
      assert.ok(!forB.text.includes(o.groupName), `b's search for ${q} names a's group`);
    }
    const forA = await w.a.agent.get(`/chats/search?q=${word}`);
    assert.ok(hit(forA.text, o.groupId, o.messageId) && hit(forA.text, o.directId, o.directMessageId), "a finds both messages (control)");
  });
});

describe("a password-reset link", () => {
  const NEW = "lantern copper meadow";
  const hash = async () => (await app.sql<{ password_hash: string }>("SELECT password_hash FROM users WHERE id = $1", [w.resetUser.id]))[0].password_hash;

  it("is refused when forged, bent, another purpose's or another account's, and changes nothing", async () => {
    const anon = anonymous(app);
    const token = csrfFrom((await anon.get("/password/reset")).text);
    const good = w.resetToken;
    const [id, issued, sig] = good.split("-");
    const flip = (x: string) => x.slice(0, -1) + (x.endsWith("A") ? "B" : "A");
    const forged = [
      `${id}-${issued}-${flip(sig)}`,
      // The signature of one account under another's id (a's id in base 36).
      `${w.a.userId.toString(36)}-${issued}-${sig}`,
      // Issued later than it was (extends its life): the signature covers the time.
      `${id}-${(parseInt(issued, 36) + 3600).toString(36)}-${sig}`,
      `${id}-${issued}`,
      `${id}--${sig}`,
      "x",
      `${good}x`,
      // A token made for another purpose with the same state is not a reset token.
      app.deps.tokens.make("verify-email", w.resetUser.id, resetState((await User.findForToken(w.resetUser.id))!)),
    ];
    for (const bad of forged) {
      await unchanged(app, `token ${bad}`, async () => {
        // Opening a bad link is a page saying so (an everyday thing), never the form.
        const page = await anon.get(`/password/reset/${encodeURIComponent(bad)}`);
        assert.equal(page.status, 200, `GET ${bad} -> ${page.status}`);
        assert.doesNotMatch(page.text, /name="new_password"/, `GET ${bad}: no form`);
        const res = await anon.post(`/password/reset/${encodeURIComponent(bad)}`).type("form").send({ new_password: NEW, new_password_confirm: NEW, _csrf: token });
        assert.equal(res.status, 400, `POST ${bad} -> ${res.status}`);
      });
    }
  });

  it("asking for one answers the same for an account and for nobody, and mails only the account", async () => {
    await app.sql("UPDATE users SET email_verified_at = now() WHERE id = $1", [w.resetUser.id]);
    const ask = async (email: string) => {
      const anon = anonymous(app);
      const token = csrfFrom((await anon.get("/password/reset")).text);
      const res = await anon.post("/password/reset").type("form").send({ email, _csrf: token });
      return { status: res.status, page: res.text.replaceAll(token, "TOKEN") };
    };
    const mails = async (to: string) => (await app.sql("SELECT id FROM mail_outbox WHERE lower(to_address) = lower($1)", [to])).length;
    const before = await mails(w.resetUser.email);
    const real = await ask(w.resetUser.email.toUpperCase());
    const nobody = await ask(`nobody.${w.resetUser.email}`);
    assert.equal(real.status, 200);
    assert.deepEqual(nobody, real, "the same status and page, byte for byte");
    await app.resets.settled();
    assert.equal(await mails(w.resetUser.email), before + 1, "the account got its mail");
    assert.equal(await mails(`nobody.${w.resetUser.email}`), 0, "nobody else got one");
  });

  it("works once: the rightful holder sets the password, and the same link is then spent", async () => {
    const anon = anonymous(app);
    const form = await anon.get(`/password/reset/${w.resetToken}`);
    assert.match(form.text, /name="new_password"/, "the good link shows the form (control for the checks of bad ones)");
    const token = csrfFrom(form.text);
    const before = await hash();
    const res = await anon.post(`/password/reset/${w.resetToken}`).type("form").send({ new_password: NEW, new_password_confirm: NEW, _csrf: token });
    assert.equal(res.status, 303);
    assert.notEqual(await hash(), before, "the new password is stored");
    await unchanged(app, "the spent link", async () => {
      assert.doesNotMatch((await anon.get(`/password/reset/${w.resetToken}`)).text, /name="new_password"/, "the spent link shows no form");
      const again = await anon.post(`/password/reset/${w.resetToken}`).type("form").send({ new_password: "another meadow lantern", new_password_confirm: "another meadow lantern", _csrf: csrfFrom((await anon.get("/password/reset")).text) });
      assert.equal(again.status, 400);
    });
  });
});

describe("the development outbox", () => {
  it("answers this machine only (by the socket's address; a forwarded header claims nothing)", async () => {
    for (const local of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) assert.ok(fromThisMachine(local), local);
    for (const other of ["10.0.0.1", "192.168.1.20", "::ffff:10.0.0.1", "fe80::1", "::", "0.0.0.0", "128.0.0.1", "127.0.0.1.evil", undefined]) {
      assert.ok(!fromThisMachine(other), String(other));
    }
    // (This test's requests come from 127.0.0.1: what another address claims in a header does not change that.)
    assert.equal((await raw(app, "GET", "/dev/outbox", { "x-forwarded-for": "203.0.113.9" })).status, 200);
  });

  it("opens only the files the mail transport writes: no path out of the folder", async () => {
    for (const name of ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..", "x.eml", `${w.outboxMail}%00`, `..%2Foutbox%2F${w.outboxMail}`, `${w.outboxMail.replace(".eml", "")}`]) {
      for (const tail of ["", "/html", "/raw"]) {
        const res = await raw(app, "GET", `/dev/outbox/${name}${tail}`);
        assert.ok([400, 404].includes(res.status), `/dev/outbox/${name}${tail} -> ${res.status}`);
        assert.doesNotMatch(res.text, /root:|Subject:/);
      }
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
      ["POST /chats/:id/messages/:messageId/reactions", "a"],
      ["POST /chats/:id/messages/:messageId/edit", "a"],
      // (the group message goes to staff below: a deletes the direct one.)
      ["POST /chats/:id/messages/:messageId/delete", "a", { url: `/chats/${o.directId}/messages/${o.directMessageId}/delete` }],
      ["POST /chats/:id/mute", "a"],
      ["POST /chats/:id/rename", "a"],
      ["POST /chats/:id/members", "a"],
      ["POST /chats/:id/members/:userId/remove", "a"],
      ["POST /chats/:id/avatar", "a"],
      ["POST /chats/:id/avatar/remove", "a"],
      ["POST /chats/:id/photos", "a"],
      ["POST /gallery/:id/caption", "a"],
      // (a's avatar already is imageId: the other picture makes this a change.)
      ["POST /gallery/:id/avatar", "a", { url: `/gallery/${o.chatPictureId}/avatar` }],
      ["POST /notes/:id/edit", "a"],
      ["POST /admin/notes/:id/delete", "staff", { url: `/admin/notes/${w.bOwned.noteId}/delete` }],
      ["POST /notes/:id/delete", "a"],
      ["POST /admin/images/:id/delete", "staff", { url: `/admin/images/${o.chatPictureId}/delete` }],
      ["POST /gallery/:id/delete", "a"],
      ["POST /admin/messages/:id/delete", "staff"],
      ["POST /chats/:id/leave", "a"],
      ["POST /account/sessions/:handle/logout", "a"],
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
      assert.ok(difference(before, await snapshot(app)), `${who}: ${key} changed something`);
    }
  });
});

// Last in this file: a second app in the process takes over the entities' data source (ActiveRecord), so nothing
// of the world's app may run after it.
describe("in production", () => {
  it("has no development outbox: no /dev route, and every URL of it is 404", async () => {
    const prod = await startTestApp({ NODE_ENV: "production", SESSION_SECRET: "a4f1c9e07b3d58a2e6c1f0b9d7a3e5c2", BCRYPT_COST: "10", COOKIE_SECURE: "false" });
    try {
      assert.deepEqual(listRoutes(prod).filter((r) => r.path.startsWith("/dev")), []);
      for (const url of ["/dev/outbox", `/dev/outbox/${w.outboxMail}`, `/dev/outbox/${w.outboxMail}/html`, `/dev/outbox/${w.outboxMail}/raw`]) {
        assert.equal((await anonymous(prod).get(url)).status, 404, url);
      }
    } finally {
      await prod.close();
    }
  });
});
