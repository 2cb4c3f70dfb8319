// Promise: "only you see your data", against malformed input. Every id in a path (walked from the routers), in a
// query string and in a form is tried with the shapes an attacker sends: not a number, negative, zero, huge,
// arrays, JSON objects where a scalar belongs, missing. Each answers 400/404 (or 422 for a form), never a 500,
// never another row, and changes nothing. Then every form field of every POST route gets values of the wrong
// type: never a 500. (TypeORM's find({ where: { id: undefined } }) would return the first row; in TypeORM 1.x
// it throws, and the last test pins that down.)
import assert from "node:assert/strict";
import crypto from "node:crypto";
import bcrypt from "bcrypt";
import { before, describe, it } from "node:test";
import { Image } from "../../src/gallery/image.entity";
import { Note } from "../../src/notes/note.entity";
import type { TestApp } from "../helpers/app";
import { csrfFrom } from "../helpers/agent";
import { ask, connect } from "../chat/helpers";
import { aimAt, anonymous, listRoutes, ownRoutes, raw, routeKey, send, tokenOf, unchanged, useWorld, type Person, type World } from "./helpers";

let app: TestApp;
let w: World;
useWorld((a, world) => ((app = a), (w = world)));

/** Path segments that are not a usable id. Written as they go on the wire (percent-encoded where needed). */
const ALL_BAD_IDS = [
  "abc", "-1", "0", "00", "01", "1.5", "1e3", "0x1f", "+1", "1,2", "NaN", "Infinity", "null", "undefined", "true",
  "2147483648", "99999999999999999999", "%20", "%201", "1%20", "%00", "1%00", "%EF%BC%91" /* fullwidth 1 */,
  "1%3BDROP%20TABLE%20notes", "%5B1%5D", "%7B%22id%22%3A1%7D", "..", "%2e%2e", "1%2F2",
];
/** A sample of the kinds above, for each route (every id goes through the same parseId); the full list on one GET and one POST route. */
const SAMPLE_BAD_IDS = ["abc", "-1", "0", "1.5", "2147483648", "%00", "%5B1%5D", "%7B%22id%22%3A1%7D", ".."];
const FULL_LIST_ON = new Set(["GET /notes/:id/edit", "POST /chats/:id/members/:userId/remove"]);

/** The value each path parameter takes in the aim at a's objects, read off the aimed URL. */
function paramsOf(pattern: string, url: string): Record<string, string> {
  const names = pattern.split("/");
  const values = url.split("?")[0].split("/");
  const out: Record<string, string> = {};
  names.forEach((seg, i) => {
    if (seg.startsWith(":")) out[seg.slice(1)] = values[i];
  });
  return out;
}

const fill = (pattern: string, values: Record<string, string>) =>
  pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => values[name]);

/** Forms whose every field is a password (any string, hashed whole): see "a new password with a NUL in it". */
const PASSWORDS_ONLY = new Set(["POST /password/reset/:token", "POST /account/delete"]);

const ownerOf = (path: string): Person => (path.startsWith("/admin") ? w.staff : w.a);

describe("ids in the path", () => {
  it("every route with an id answers a malformed one with 404 (400 for broken %-encoding), as its owner, changing nothing", async () => {
    const aims = aimAt(w);
    const tokens = new Map<Person, string>();
    // Not ids: a username (next test), a reset token (access.test.ts: forged tokens) and an outbox file name (the same).
    for (const r of listRoutes(app).filter((x) => x.path.includes("/:") && !/:(username|token|name)\b/.test(x.path))) {
      const key = routeKey(r);
      const owner = ownerOf(r.path);
      if (!tokens.has(owner)) tokens.set(owner, await tokenOf(owner));
      const valid = paramsOf(r.path, aims[key].url);
      const urls = Object.keys(valid).flatMap((param) =>
        [...(FULL_LIST_ON.has(key) ? ALL_BAD_IDS : SAMPLE_BAD_IDS), "%E0%A4%A"].map((bad) => ({ bad, url: fill(r.path, { ...valid, [param]: bad }) })));
      // One snapshot around each route's attempts (sent a few at a time) keeps this quick.
      const answers = await unchanged(app, key, async () => {
        const out: { bad: string; url: string; status: number; text: string }[] = [];
        for (let i = 0; i < urls.length; i += 8) {
          out.push(...(await Promise.all(urls.slice(i, i + 8).map(async ({ bad, url }) => {
            const res = r.method === "GET"
              ? await raw(app, "GET", url, { cookie: owner.cookie })
              : await raw(app, "POST", url, { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" }, `_csrf=${encodeURIComponent(tokens.get(owner)!)}`);
            return { bad, url, status: res.status, text: res.text };
          }))));
        }
        return out;
      });
      for (const { bad, url, status, text } of answers) {
        assert.equal(status, bad === "%E0%A4%A" ? 400 : 404, `${r.method} ${url} -> ${status}`);
        assert.ok(!text.includes(w.owned.noteText) && !text.includes(w.owned.messageText), `${url} shows no row`);
      }
    }
  });

  it("a username in the path that no account can have is a 404, never a 500", async () => {
    for (const bad of ["%00", "a%00b", "..", "%2e%2e", "a%2Fb", "%20", "x".repeat(3000), "%E2%80%AE", "%F0%9F%92%A9", "%3Cscript%3E"]) {
      const res = await raw(app, "GET", `/people/${bad}`, { cookie: w.b.cookie });
      assert.equal(res.status, 404, `/people/${bad.slice(0, 20)} -> ${res.status}`);
    }
  });
});

describe("ids in query strings and forms", () => {
  it("?before= on a chat page and its JSON history: malformed or repeated is 404, ignored brackets are the newest page", async () => {
    const chat = `/chats/${w.owned.groupId}`;
    for (const q of ["before=abc", "before=0", "before=-1", "before=2147483648", "before=1&before=2", "before=", "before=%00"]) {
      assert.equal((await raw(app, "GET", `${chat}?${q}`, { cookie: w.a.cookie })).status, 404, `${chat}?${q}`);
      assert.equal((await raw(app, "GET", `${chat}/messages?${q}`, { cookie: w.a.cookie })).status, 404, `${chat}/messages?${q}`);
    }
    assert.equal((await raw(app, "GET", `${chat}/messages`, { cookie: w.a.cookie })).status, 404, "before is required for the JSON history");
    // The query parser does not read brackets: ?before[]=1 is a parameter called "before[]", so the page is the newest one.
    assert.equal((await raw(app, "GET", `${chat}?before%5B%5D=1`, { cookie: w.a.cookie })).status, 200);
  });

  it("?user= on the admin lists: malformed is 404, an unknown id is 404", async () => {
    for (const list of ["notes", "messages", "images"]) {
      for (const q of ["user=abc", "user=0", "user=-1", "user=2147483648", "user=1&user=2", "user=", "user=%00", "user=2147483647"]) {
        const res = await raw(app, "GET", `/admin/${list}?${q}`, { cookie: w.staff.cookie });
        assert.equal(res.status, 404, `/admin/${list}?${q} -> ${res.status}`);
      }
    }
  });

  it("user_id of the Message button: every wrong shape is 404 (one's own id 422), nobody's chat is opened", async () => {
    const token = await tokenOf(w.a);
    const form = (body: string) => w.a.agent.post("/chats/direct").type("form").send(`${body}&_csrf=${encodeURIComponent(token)}`);
    const json = (body: unknown) => w.a.agent.post("/chats/direct").set("X-CSRF-Token", token).send(body as object);
    const attempts: [string, () => Promise<{ status: number }>, number][] = [
      ["missing", () => form("x=1"), 404],
      ["empty", () => form("user_id="), 404],
      ["not a number", () => form("user_id=abc"), 404],
      ["zero", () => form("user_id=0"), 404],
      ["negative", () => form("user_id=-1"), 404],
      ["too big for the database", () => form("user_id=2147483648"), 404],
      ["an unknown user", () => form("user_id=2147483647"), 404],
      ["repeated (an array)", () => form(`user_id=${w.b.userId}&user_id=${w.c.userId}`), 404],
      ["brackets", () => form(`user_id%5B%5D=${w.b.userId}`), 404],
      ["SQL", () => form(`user_id=${encodeURIComponent(`${w.b.userId} OR 1=1`)}`), 404],
      ["a JSON number", () => json({ user_id: w.b.userId }), 404],
      ["a JSON object", () => json({ user_id: { id: w.b.userId } }), 404],
      ["a JSON array", () => json({ user_id: [String(w.b.userId)] }), 404],
      ["JSON null", () => json({ user_id: null }), 404],
      ["JSON true", () => json({ user_id: true }), 404],
      ["a JSON body that is an array", () => json([String(w.b.userId)]), 404],
      ["one's own id", () => form(`user_id=${w.a.userId}`), 422],
    ];
    for (const [what, run, status] of attempts) {
      const res = await unchanged(app, `user_id ${what}`, run);
      assert.equal(res.status, status, `user_id ${what} -> ${res.status}`);
    }
  });

  it("page numbers of every list: anything odd is the first page or a 404, never a 500", async () => {
    const lists: [Person, string][] = [
      [w.a, "/"], [w.a, "/notes/search?q=note&"], [w.a, "/chats"], [w.a, "/people"], [w.a, "/gallery"],
      [w.staff, "/admin/users"], [w.staff, "/admin/notes"], [w.staff, "/admin/audit"],
    ];
    for (const [p, list] of lists) {
      const sep = list.includes("?") ? "" : "?";
      for (const q of ["page=abc", "page=0", "page=-5", "page=1.5", "page=99999999999999999999", "page=1&page=2", "page%5B%5D=2", "page=%00", "page=2147483648"]) {
        const res = await raw(app, "GET", `${list}${sep}${q}`, { cookie: p.cookie });
        assert.ok([200, 404].includes(res.status), `${list}${sep}${q} -> ${res.status}`);
      }
    }
  });
});

describe("form fields of the wrong type", () => {
  /** Every field name any form of the app reads. */
  const FIELDS = [
    "username", "email", "password", "password_confirm", "login", "current_password", "new_password", "new_password_confirm",
    "data", "text", "client_id", "name", "members", "user_id", "confirm", "active", "staff", "next", "q",
  ];
  const deep = (n: number): unknown => (n === 0 ? "x" : [deep(n - 1)]);
  /** Values as JSON (express.json parses application/json bodies), and as repeated form fields. */
  const KINDS: [string, unknown][] = [
    ["an object", { $gt: "" }],
    ["an array of objects", [{ a: 1 }, { b: 2 }]],
    ["a number", 1],
    ["null", null],
    ["a boolean", true],
    ["a nested array", deep(500)],
    ["a NUL character", "a\u0000b"],
  ];

  /** POST routes that read a form body and change nothing when it is wrong. */
  function formRoutes() {
    const aims = { ...aimAt(w), ...ownRoutes(w) };
    return Object.entries(aims).filter(([, aim]) => aim.form && Object.keys(aim.form).length);
  }

  it("JSON bodies with every field of the wrong type: 4xx, never a 500, nothing changed", async () => {
    const routes = formRoutes();
    assert.ok(routes.length >= 12, `${routes.length} form routes`);
    for (const [key, aim] of routes) {
      const anon = key === "POST /signup" || key === "POST /login";
      const p = anon ? null : ownerOf(aim.url);
      const a = p ? p.agent : anonymous(app);
      const token = p ? await tokenOf(p) : csrfFrom((await a.get("/login")).text);
      await unchanged(app, `${key} with fields of the wrong type`, async () => {
        for (const [what, value] of KINDS) {
          const body = Object.fromEntries(FIELDS.map((f) => [f, value]));
          // Prototype keys ride along as literal JSON keys (an object literal's __proto__ would not be sent).
          const json = JSON.stringify(body).replace(/^\{/, '{"__proto__":{"isStaff":true},"constructor":{"prototype":{"isStaff":true}},');
          const res = await a.post(aim.url).set("X-CSRF-Token", token).set("Content-Type", "application/json").send(json);
          assert.ok(res.status >= 400 && res.status < 500, `${key} with every field ${what} -> ${res.status} ${res.status >= 500 ? res.text.slice(0, 200) : ""}`);
        }
      });
    }
    assert.equal(({} as Record<string, unknown>).isStaff, undefined, "nothing reached Object.prototype");
  });

  it("form bodies with every field repeated, empty, NUL or too long: 4xx, never a 500, nothing changed", async () => {
    for (const [key, aim] of formRoutes()) {
      const anon = ["POST /signup", "POST /login", "POST /password/reset", "POST /password/reset/:token"].includes(key);
      const p = anon ? null : ownerOf(aim.url);
      const a = p ? p.agent : anonymous(app);
      const token = p ? await tokenOf(p) : csrfFrom((await a.get("/login")).text);
      const variants: [string, string][] = [
        ["repeated", FIELDS.map((f) => `${f}=x&${f}=y`).join("&")],
        ["empty", FIELDS.map((f) => `${f}=`).join("&")],
        ["NUL", FIELDS.map((f) => `${f}=a%00b`).join("&")],
        // (Not for a form of passwords alone: a password is any string, hashed whole, never stored as text; the
        // next test proves a NUL in one is neither refused with a 500 nor cut there.)
        ...(PASSWORDS_ONLY.has(key) ? [] : [["valid, with NUL added", Object.entries(aim.form!).map(([f, v]) => `${f}=${encodeURIComponent(v)}%00`).join("&")] as [string, string]]),
        ["brackets", FIELDS.map((f) => `${f}%5B%5D=x`).join("&")],
        ["too long", FIELDS.map((f) => `${f}=${"x".repeat(11_000)}`).join("&")],
      ];
      await unchanged(app, `${key} with odd form fields`, async () => {
        for (const [what, body] of variants) {
          const res = await a.post(aim.url).type("form").send(`${body}&_csrf=${encodeURIComponent(token)}`);
          assert.ok(res.status >= 400 && res.status < 500, `${key} with ${what} fields -> ${res.status} ${res.status >= 500 ? res.text.slice(0, 200) : ""}`);
        }
      });
    }
  });

  it("a new password with a NUL in it is hashed whole: the part before the NUL does not log in", async () => {
    const anon = anonymous(app);
    const link = `/password/reset/${w.resetToken}`;
    const token = csrfFrom((await anon.get(link)).text);
    const chosen = "lantern\u0000 copper meadow";
    const res = await anon.post(link).type("form").send({ new_password: chosen, new_password_confirm: chosen, _csrf: token });
    assert.equal(res.status, 303);
    const [{ password_hash: hash }] = await app.sql<{ password_hash: string }>("SELECT password_hash FROM users WHERE id = $1", [w.resetUser.id]);
    assert.ok(await bcrypt.compare(chosen, hash), "the whole password");
    assert.ok(!(await bcrypt.compare("lantern", hash)), "not cut at the NUL (a C string would be)");
  });

  it("a lone surrogate in JSON is stored as U+FFFD, never a 500", async () => {
    const token = await tokenOf(w.a);
    const res = await w.a.agent.post("/notes").set("X-CSRF-Token", token).set("Content-Type", "application/json").send('{"data": "half \\ud83d a pair"}');
    assert.equal(res.status, 303);
    const [row] = await app.sql<{ data: string }>("SELECT data FROM notes WHERE user_id = $1 ORDER BY id DESC LIMIT 1", [w.a.userId]);
    assert.equal(row.data, "half \ufffd a pair");
    await app.sql("DELETE FROM notes WHERE user_id = $1 AND data LIKE 'half %'", [w.a.userId]);
  });

  it("bodies the parsers refuse: malformed JSON 400, an unknown charset 415, over the limits 413", async () => {
    const token = await tokenOf(w.a);
    const post = () => w.a.agent.post("/notes").set("X-CSRF-Token", token);
    await unchanged(app, "parser refusals", async () => {
      assert.equal((await post().set("Content-Type", "application/json").send('{"data": "x"')).status, 400);
      assert.equal((await post().set("Content-Type", "application/json").send('{"data": "x", "data": ')).status, 400);
      assert.equal((await post().set("Content-Type", "application/x-www-form-urlencoded; charset=utf-7").send("data=x")).status, 415);
      assert.equal((await post().set("Content-Type", "application/json").send(JSON.stringify({ data: "x".repeat(200_000) }))).status, 413);
      const fields = Array.from({ length: 200 }, (_, i) => `f${i}=x`).join("&");
      assert.equal((await post().type("form").send(fields)).status, 413, "more than 100 form fields");
    });
  });

  it("socket payloads of the wrong type are refused with an error ack, never a server error", async () => {
    const s = await connect(app, w.a.agent);
    try {
      await unchanged(app, "socket payloads", async () => {
        for (const event of ["chat:join", "chat:leave", "chat:message", "chat:sync", "chat:read", "chat:typing"]) {
          // (A plain number is a valid id for chatId, afterId and messageId, so it is left out here.)
          for (const [what, value] of KINDS.filter(([k]) => k !== "a number")) {
            const payload = { chatId: value, text: value, clientId: value, afterId: value, messageId: value, typing: value };
            const ack = await ask(s, event, payload);
            assert.equal(ack.ok, false, `${event} with ${what}`);
            assert.equal(ack.code, "invalid", `${event} with ${what}: ${JSON.stringify(ack)}`);
          }
        }
        const nul = await ask(s, "chat:message", { chatId: w.owned.groupId, text: "a\u0000b", clientId: crypto.randomUUID() });
        assert.deepEqual([nul.ok, nul.code], [false, "invalid"], "a NUL in a message is refused, not a server error");
      });
    } finally {
      s.disconnect();
    }
  });
});

describe("the ORM's missing-id trap", () => {
  it("TypeORM refuses undefined and null in a where clause instead of matching the first row", async () => {
    await assert.rejects(() => Note.findOneBy({ id: undefined as unknown as number, userId: w.a.userId }));
    await assert.rejects(() => Note.findOneBy({ id: null as unknown as number }));
    await assert.rejects(() => Image.findOne({ where: { id: undefined as unknown as number, ownerId: w.a.userId } }));
    await assert.rejects(() => Note.delete({ id: undefined as unknown as number }));
    assert.equal((await app.sql("SELECT 1 FROM notes WHERE id = $1", [w.owned.noteId])).length, 1, "nothing was deleted");
    // And the entities' own lookups are only ever given parsed ids: a missing one is a miss, not the first row.
    assert.equal(await Note.findOwned(w.owned.noteId, w.b.userId), null);
  });
});
