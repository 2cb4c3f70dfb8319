// Promise: "the browser is protected" (cross-site scripting). Script tags, event-handler attributes, javascript:
// URLs, broken quotes and template syntax are put into every field a user controls — username, email, note, chat
// name, message, member list, searches, file names — and every page that shows them (to the author, to other
// members, to staff, in flash messages, error pages and the audit log) is checked: the text is there, escaped,
// and no tag, handler or URL of the attacker's made it into the markup. The live chat inserts text with
// textContent only (scanned below; test/security/e2e/live-chat-xss.test.ts shows it in a browser).
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { csrfFrom } from "../helpers/agent";
import { ask, connect, createGroup, next, type MessageLike } from "../chat/helpers";
import { png, svgWithScript, upload, uploadToken } from "../gallery/helpers";
import { anonymous, formPost, person, type Person } from "./helpers";
import { assertInert, escapeHtml, PAYLOADS } from "./markup";

const ROOT = path.resolve(__dirname, "../..");

let app: TestApp;
let x: Person; // the attacker, whose content carries the payloads
let v: Person; // a victim: a member of x's groups
let staff: Person;
before(async () => {
  app = await startTestApp();
  [x, v, staff] = await Promise.all([person(app, "xss"), person(app, "victim"), person(app, "xstaff", { isStaff: true })]);
});
after(() => app.close());

describe("usernames and emails", () => {
  it("a username carrying markup is refused (letters, digits, . _ - only), and the form echoes it escaped", async () => {
    for (const p of PAYLOADS) {
      const anon = anonymous(app);
      const token = csrfFrom((await anon.get("/signup")).text);
      const res = await anon.post("/signup").type("form").send({ username: p, email: "fine@example.test", password: "correct horse battery", password_confirm: "correct horse battery", _csrf: token });
      assert.equal(res.status, 422, p);
      assert.match(res.text, /Use only letters, digits, dots, dashes and underscores|at most 30 characters/);
      assertInert(res.text, p, `sign-up with username ${p}`);
      const change = await formPost(x, "/profile", { username: p, email: x.email });
      assert.equal(change.status, 422);
      assertInert(change.text, p, `profile with username ${p}`);
    }
    assert.equal((await app.sql("SELECT 1 FROM users WHERE username ~ '[<>\"'']'")).length, 0);
  });

  it("an email carrying markup is refused, or else shown escaped wherever emails appear", async () => {
    for (const p of PAYLOADS) {
      const email = `${p}@example.test`;
      const res = await formPost(x, "/profile", { username: x.username, email });
      if (res.status === 422) {
        assert.match(res.text, /valid email/);
        assertInert(res.text, email, `profile with email ${email}`);
        continue;
      }
      assert.equal(res.status, 303, `email ${email}`);
      for (const [who, url] of [[x, "/profile"], [staff, "/admin/users"], [staff, `/admin/users/${x.userId}`]] as const) {
        assertInert((await who.agent.get(url)).text, email, `${url} with email ${email}`);
      }
    }
    await formPost(x, "/profile", { username: x.username, email: x.email });
  });
});

describe("notes", () => {
  it("render inert on the list, edit, delete and search pages, in the admin list and in the audit log", async () => {
    for (const p of PAYLOADS) {
      assert.equal((await formPost(x, "/notes", { data: `note ${p}` })).status, 303);
      const [{ id }] = await app.sql<{ id: number }>("SELECT id FROM notes WHERE user_id = $1 ORDER BY id DESC LIMIT 1", [x.userId]);
      const text = `note ${p}`;
      for (const url of ["/", `/notes/${id}/edit`, `/notes/${id}/delete`]) {
        assertInert((await x.agent.get(url)).text, text, `${url} (${p})`);
      }
      // Search results mark the word found (<mark>note</mark>), so the rest of the text is checked.
      assertInert((await x.agent.get("/notes/search?q=note")).text, p, `search results (${p})`);
      const search = await x.agent.get(`/notes/search?q=${encodeURIComponent(p)}`);
      assertInert(search.text, p, `a search for ${p}`, false);
      assertInert((await staff.agent.get(`/admin/notes?user=${x.userId}`)).text, text, `admin notes (${p})`);
      assert.equal((await formPost(staff, `/admin/notes/${id}/delete`, {})).status, 303);
      assertInert((await staff.agent.get("/admin/audit")).text, text, `audit log (${p})`);
    }
  });

  it("a refused note is echoed back escaped in the form", async () => {
    const p = PAYLOADS[0];
    const res = await formPost(x, "/notes", { data: `${p}${"x".repeat(10_001)}` });
    assert.equal(res.status, 422);
    assertInert(res.text, p, "the 422 note form");
  });
});

describe("chats", () => {
  it("group names and messages render inert for the author, the other members and staff, everywhere they appear", async () => {
    for (const p of PAYLOADS) {
      const created = await formPost(x, "/chats", { name: p, members: v.username });
      assert.equal(created.status, 303, p);
      const chatId = Number(/\/chats\/(\d+)/.exec(created.headers.location)![1]);
      const first = await x.agent.get(`/chats/${chatId}`); // carries the "Group … created." flash
      assertInert(first.text, p, `chat page with its flash (${p})`);
      assert.match(first.text, new RegExp(`<title>${escapeHtml(p).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} · Hromada</title>`));
      assert.equal((await formPost(x, `/chats/${chatId}/messages`, { text: `msg ${p}` })).status, 303);
      for (const [who, url] of [[x, `/chats/${chatId}`], [v, `/chats/${chatId}`], [v, "/chats"], [x, "/chats"], [v, `/chats/${chatId}/settings`], [v, `/chats/${chatId}/avatar`]] as const) {
        const res = await who.agent.get(url);
        assertInert(res.text, p, `${url} as ${who === x ? "author" : "member"} (${p})`);
        if (url === `/chats/${chatId}` || url === "/chats") assertInert(res.text, `msg ${p}`, `${url} message (${p})`);
      }
      const json = await v.agent.get(`/chats/${chatId}/messages?before=2147483647`).set("Accept", "application/json");
      assert.match(json.headers["content-type"], /^application\/json/);
      assert.equal(json.headers["x-content-type-options"], "nosniff");
      assert.equal((json.body.messages as MessageLike[]).at(-1)!.text, `msg ${p}`, "JSON carries the text as data, for textContent");
      const admin = await staff.agent.get(`/admin/messages?user=${x.userId}`);
      assertInert(admin.text, `msg ${p}`, `admin messages (${p})`);
      assertInert(admin.text, p, `admin messages, chat name (${p})`);
      // Renamed: the settings page and the flash after it.
      assert.equal((await formPost(x, `/chats/${chatId}/rename`, { name: `re ${p}` })).status, 303);
      assertInert((await x.agent.get(`/chats/${chatId}/settings`)).text, `re ${p}`, `renamed (${p})`);
    }
  });

  it("names typed into the member list are echoed escaped in the error", async () => {
    for (const p of PAYLOADS) {
      const res = await formPost(x, "/chats", { name: "group", members: p });
      assert.equal(res.status, 422, p);
      assertInert(res.text, p, `member list ${p}`, !/\s/.test(p));
      const add = await formPost(x, "/chats", { name: p, members: `nobody_${process.pid}` });
      assertInert(add.text, p, `group form echo ${p}`);
    }
  });

  it("live messages and renames reach other members as plain data (the page's scripts insert it as text)", async () => {
    const chatId = await createGroup(x.agent, "live", [v.username]);
    const [sx, sv] = await Promise.all([connect(app, x.agent), connect(app, v.agent)]);
    try {
      await ask(sv, "chat:join", { chatId });
      for (const p of PAYLOADS) {
        const got = next<MessageLike>(sv, "chat:message", (m) => m.chatId === chatId);
        assert.equal((await ask(sx, "chat:message", { chatId, text: p, clientId: crypto.randomUUID() })).ok, true);
        assert.equal((await got).text, p, "delivered verbatim: escaping is the renderer's job, and it uses textContent");
      }
      const renamed = next<{ name: string }>(sv, "chat:renamed");
      await formPost(x, `/chats/${chatId}/rename`, { name: PAYLOADS[1] });
      assert.equal((await renamed).name, PAYLOADS[1]);
    } finally {
      sx.disconnect();
      sv.disconnect();
    }
  });
});

describe("file names", () => {
  it("render inert in the gallery, the photo and delete pages, flash messages, refusals, the admin list and the audit log", async () => {
    for (const p of PAYLOADS) {
      const token = await uploadToken(x.agent);
      const res = await upload(x.agent, "/gallery", token, [
        { filename: `${p}.png`, data: await png(20, 20), contentType: "image/png" },
        { filename: `${p}.svg`, data: svgWithScript, contentType: "image/svg+xml" },
      ]);
      assert.equal(res.status, 303, p);
      const [row] = await app.sql<{ id: number; original_name: string }>("SELECT id, original_name FROM images WHERE owner_id = $1 ORDER BY id DESC LIMIT 1", [x.userId]);
      const name = row.original_name; // cleaned (no path parts), otherwise as sent
      const gallery = await x.agent.get("/gallery"); // with the "Not stored: “….svg” is an SVG drawing" flash
      assertInert(gallery.text, name, `gallery grid (${p})`);
      assert.match(gallery.text, /Not stored:/);
      for (const url of [`/gallery/${row.id}`, `/gallery/${row.id}/delete`]) assertInert((await x.agent.get(url)).text, name, `${url} (${p})`);
      const refused = await upload(x.agent, "/gallery", await uploadToken(x.agent), [{ filename: `${p}.svg`, data: svgWithScript, contentType: "image/svg+xml" }]);
      assert.equal(refused.status, 422);
      assertInert(refused.text, name.replace(/\.png$/, ".svg"), `422 refusal (${p})`);
      assertInert((await staff.agent.get(`/admin/images?user=${x.userId}`)).text, name, `admin images (${p})`);
      assert.equal((await formPost(staff, `/admin/images/${row.id}/delete`, {})).status, 303);
      assertInert((await staff.agent.get("/admin/audit")).text, name, `audit log (${p})`);
    }
  });
});

describe("what is typed into the address bar", () => {
  it("search boxes, prefills and error pages echo it escaped", async () => {
    for (const p of PAYLOADS) {
      const q = encodeURIComponent(p);
      for (const [who, url, shown] of [
        [x, `/notes/search?q=${q}`, true], [x, `/people?q=${q}`, true], [x, `/chats/new?with=${q}`, true],
        [staff, `/admin/users?q=${q}`, true], [x, `/people/${q}`, false], [x, `/no/such/${q}`, false],
      ] as const) {
        const res = await who.agent.get(url);
        assertInert(res.text, p, `${url}`, shown);
      }
    }
  });

  it("a javascript: or other-site return address is never followed after login", async () => {
    for (const nextUrl of ["javascript:alert(1)", "//evil.example/", "/\\evil.example", "https://evil.example/", "/%09/evil.example", "\t/evil.example"]) {
      const a = anonymous(app);
      const page = await a.get(`/login?next=${encodeURIComponent(nextUrl)}`);
      const res = await a.post("/login").type("form").send({ login: v.username, password: v.password, _csrf: csrfFrom(page.text) });
      assert.equal(res.status, 303);
      // Resolved as a browser resolves a Location header: it must stay on this site.
      const target = new URL(res.headers.location, "http://hromada.test/");
      assert.equal(target.origin, "http://hromada.test", `${nextUrl} -> ${res.headers.location}`);
    }
  });
});

describe("the checker itself", () => {
  it("catches markup that got through (so its passes above mean something)", () => {
    const p = PAYLOADS[1];
    assert.throws(() => assertInert(`<p>${p}</p>`, p, "raw"));
    assert.throws(() => assertInert(`<p title="${p}">x</p>`, "x", "broken out of an attribute"));
    assert.throws(() => assertInert(`<a href="javascript:alert(1)">x</a>`, "x", "a javascript: link"));
    assert.throws(() => assertInert(`<script>alert(1)</script>`, "alert", "an inline script", false));
    assert.throws(() => assertInert(`<p>&lt;b&gt;</p>`, "<i>", "not shown"));
    assertInert(`<p title="${escapeHtml(p)}">${escapeHtml(p)}</p><script type="module" src="/static/js/x.js"></script>`, p, "escaped");
  });
});

describe("links in live messages", () => {
  it("webHref lets through http(s) URLs only, however the scheme is spelt", async () => {
    const { webHref } = (await import("../../public/js/chat/text.js" as string)) as { webHref: (s: string) => string | null };
    for (const bad of ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "//evil.example/x", "/chats/1", "mailto:x@example.test", "blob:http://x/y", ""]) {
      assert.equal(webHref(bad), null, JSON.stringify(bad));
    }
    assert.equal(webHref("https://example.com/a?b=1#c"), "https://example.com/a?b=1#c");
    assert.equal(webHref("HTTP://example.com"), "http://example.com/");
  });
});

describe("the code that renders", () => {
  const files = (dir: string, ext: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? files(p, ext) : p.endsWith(ext) ? [p] : [];
    });

  it("templates never mark anything safe and never turn autoescaping off", () => {
    for (const f of files(path.join(ROOT, "views"), ".njk")) {
      const src = fs.readFileSync(f, "utf8");
      assert.doesNotMatch(src, /\|\s*safe\b|autoescape\s+false|\bmarkSafe\b/, path.relative(ROOT, f));
    }
    const app = fs.readFileSync(path.join(ROOT, "src/app.ts"), "utf8");
    assert.match(app, /autoescape: true/);
    for (const f of files(path.join(ROOT, "src"), ".ts")) {
      assert.doesNotMatch(fs.readFileSync(f, "utf8"), /markSafe|new nunjucks\.runtime\.SafeString|SafeString\(/, path.relative(ROOT, f));
    }
  });

  it("the browser scripts never insert data as HTML (textContent only)", () => {
    const js = files(path.join(ROOT, "public/js"), ".js");
    assert.ok(js.some((f) => f.endsWith("chat.js")) && js.some((f) => f.endsWith("notify.js")));
    for (const f of js) {
      const rel = path.relative(ROOT, f);
      let src = fs.readFileSync(f, "utf8");
      // The one HTML a script parses: the chat list as this server renders it (a same-origin fetch of /chats, the
      // page's own autoescaped markup), swapped in under the page's CSP (no inline scripts or handlers run).
      if (rel === path.join("public", "js", "notify.js")) {
        const parse = /new DOMParser\(\)\.parseFromString\(html, "text\/html"\)\.getElementById\("chat-list"\)/;
        if (parse.test(src)) {
          assert.match(src, /fetch\("\/chats", \{ headers: \{ Accept: "text\/html" \}, credentials: "same-origin" \}\)/, `${rel}: the HTML parsed is this site's /chats`);
          assert.equal(src.match(/DOMParser/g)?.length, 1, `${rel}: one parse only`);
          src = src.replace(parse, "");
        }
      }
      assert.doesNotMatch(src, /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|\beval\s*\(|new Function\s*\(|\.srcdoc\b|createContextualFragment|DOMParser/, rel);
      assert.doesNotMatch(src, /setAttribute\(\s*["'](on[a-z]+|href|src)["']/i, `${rel}: no handler or URL attribute set from data`);
      // URLs scripts build point at this site (/media thumbnails, chats, a mention's profile, its name encoded), a
      // blob: preview (in a variable, or under an object key that only ever holds one), or a link in a message that
      // went through webHref (http and https only: tested above).
      for (const m of src.matchAll(/\.(href|src)\s*=\s*([^;]+);/g)) {
        const local = /^`\/(media|chats)\//.test(m[2]) || /^`\/people\/\$\{encodeURIComponent\([^)]*\)\}`$/.test(m[2]);
        const named = (how: string) => /^\w+$/.test(m[2]) && new RegExp(`const ${m[2]} = ${how}`).test(src);
        const gated = named("[\\w.]+ \\? webHref\\([\\w.]+\\) : null") && /import \{[^}]*\bwebHref\b[^}]*\} from "\.\/text\.js"/.test(src);
        // A preview kept on an object ({ file, url: URL.createObjectURL(file) }): every such key the file writes is a blob: URL.
        const key = /^\w+\.(\w+)$/.exec(m[2])?.[1];
        const writes = key ? [...src.matchAll(new RegExp(`\\b${key}:\\s*([^,}]+)`, "g"))].map((w) => w[1].trim()) : [];
        const blobKey = writes.length > 0 && writes.every((v) => /^URL\.createObjectURL\(\w+\)$/.test(v)) && !new RegExp(`\\.${key}\\s*=[^=]`).test(src);
        const ok = local || named("URL\\.createObjectURL\\(") || gated || blobKey;
        assert.ok(ok, `${rel}: ${m[0]} (only /media, /chats, /people/<encoded>, a blob: preview or a webHref link)`);
      }
    }
  });
});
