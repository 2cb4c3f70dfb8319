// Every page, in Ukrainian: no English UI word in what a reader sees (outside user content), no raw key, and
// <html lang="uk">. The page list must name every GET route of the app (checked against the router), as an
// anonymous visitor, a user and a staff member, with some data in the database (written in Ukrainian, so any
// Latin word on a page comes from the UI).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import express from "express";
import nunjucks from "nunjucks";
import path from "node:path";
import request from "supertest";
import { agent, loggedInAgent, postForm, tokenFor, type Agent } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";
import { createGroup, openDirect, postMessage } from "../chat/helpers";
import { listRoutes } from "../security/helpers";
import { png, upload, uploadToken } from "../gallery/helpers";
import { HttpError, errorHandler } from "../../src/http/errors";
import { templateLocals } from "../../src/http/locals";
import { localize } from "../../src/i18n/middleware";
import { dateFormatter } from "../../src/i18n/format";
import { registerFilters } from "../../src/views";
import { flatten, localeFile } from "./helpers";
import { latinWords, RAW_KEY, readPage } from "./scan";

/**
 * Pages whose feature is not translated yet: they are still fetched and checked for raw keys and <html lang>,
 * but not yet for English words. Whoever converts a feature deletes its lines here.
 */
const NOT_CONVERTED = new Set<string>([]);

type Role = "anonymous" | "user" | "staff";
interface Data {
  noteId: number;
  chatId: number;
  messageId: number;
  groupId: number;
  imageId: number;
  /** A photo olena sent in the direct chat. */
  chatPhotoId: number;
  userId: number;
  username: string;
  /** A member of the group who is not its creator (olena): the one her remove question names. */
  memberId: number;
}
interface Page {
  /** The concrete URL for this route. */
  url: (d: Data) => string;
  as: Role[];
}

/** Every GET route: a page to check, or the reason it is not one. */
const PAGES: Record<string, Page | { skip: string }> = {
  "/healthz": { skip: "probe, plain text" },
  "/readyz": { skip: "probe, plain text" },
  "/chats/:id/messages": { skip: "JSON for the chat page's history" },
  "/people.json": { skip: "JSON for the group forms' member picker (names only)" },
  "/signup": { url: () => "/signup", as: ["anonymous"] },
  "/login": { url: () => "/login", as: ["anonymous"] },
  "/profile": { url: () => "/profile", as: ["user"] },
  "/": { url: () => "/", as: ["user"] },
  "/notes": { skip: "redirects to /" },
  "/notes/search": { url: () => "/notes/search?q=світ", as: ["user"] },
  "/notes/:id/edit": { url: (d) => `/notes/${d.noteId}/edit`, as: ["user"] },
  "/notes/:id/delete": { url: (d) => `/notes/${d.noteId}/delete`, as: ["user"] },
  "/people": { url: () => "/people", as: ["user"] },
  "/people/:username": { url: (d) => `/people/${encodeURIComponent(d.username)}`, as: ["staff"] },
  "/chats": { url: () => "/chats", as: ["user"] },
  "/chats/new": { url: () => "/chats/new", as: ["user"] },
  "/chats/:id": { url: (d) => `/chats/${d.chatId}`, as: ["user"] },
  "/chats/search": { url: () => `/chats/search?q=${encodeURIComponent("день")}`, as: ["user"] },
  "/chats/:id/messages/:messageId": { url: (d) => `/chats/${d.chatId}/messages/${d.messageId}`, as: ["user"] },
  "/chats/:id/settings": { url: (d) => `/chats/${d.groupId}/settings`, as: ["user"] },
  "/chats/:id/avatar": { url: (d) => `/chats/${d.groupId}/avatar`, as: ["user"] },
  "/chats/:id/members/:userId/remove": { url: (d) => `/chats/${d.groupId}/members/${d.memberId}/remove`, as: ["user"] },
  "/chats/:id/leave": { url: (d) => `/chats/${d.groupId}/leave`, as: ["user", "staff"] },
  "/chats/:id/mute": { url: (d) => `/chats/${d.groupId}/mute`, as: ["user"] },
  "/chats/:id/photos/new": { url: (d) => `/chats/${d.chatId}/photos/new`, as: ["user"] },
  "/chats/:id/photos/:imageId": { url: (d) => `/chats/${d.chatId}/photos/${d.chatPhotoId}`, as: ["user"] },
  "/gallery": { url: () => "/gallery", as: ["user"] },
  "/gallery/:id": { url: (d) => `/gallery/${d.imageId}`, as: ["user"] },
  "/gallery/:id/delete": { url: (d) => `/gallery/${d.imageId}/delete`, as: ["user"] },
  "/admin": { url: () => "/admin", as: ["staff"] },
  "/admin/users": { url: () => "/admin/users", as: ["staff"] },
  "/admin/users/:id": { url: (d) => `/admin/users/${d.userId}`, as: ["staff"] },
  "/admin/notes": { url: () => "/admin/notes", as: ["staff"] },
  "/admin/messages": { url: () => "/admin/messages", as: ["staff"] },
  "/admin/images": { url: () => "/admin/images", as: ["staff"] },
  "/admin/audit": { url: () => "/admin/audit", as: ["staff"] },
  "/password/reset": { url: () => "/password/reset", as: ["anonymous"] },
  "/password/reset/:token": { url: () => "/password/reset/1-abc-forgedforgedforgedforgedforgedfo", as: ["anonymous"] },
  "/dev/outbox": { url: () => "/dev/outbox", as: ["anonymous"] },
  "/email/verify/:token": { url: () => "/email/verify/1-abc-forgedforgedforgedforgedforgedfo", as: ["anonymous"] },
  "/account/sessions": { url: () => "/account/sessions", as: ["user"] },
  "/account/export": { url: () => "/account/export", as: ["user"] },
  "/account/delete": { url: () => "/account/delete", as: ["user"] },
  "/account/export/:id": { skip: "a zip file (its README is checked in Ukrainian in test/account)" },
  "/account/two-factor": { url: () => "/account/two-factor", as: ["user"] },
  "/account/two-factor/recovery-codes": { skip: "redirects to /account/two-factor: the codes are the answer to the form that makes them, checked in Ukrainian in test/auth/two-factor" },
  "/login/two-factor": { skip: "only between the password and the code; checked in Ukrainian in test/auth/two-factor" },
  "/dev/outbox/:name": { skip: "one development mail, in the language it was sent in (test/mail)" },
  "/dev/outbox/:name/html": { skip: "a mail's own HTML part" },
  "/dev/outbox/:name/raw": { skip: "a mail file" },
};

/** The GET routes the app has, walked from its routers. */
const getRoutes = (app: TestApp) => listRoutes(app).filter((r) => r.method === "GET").map((r) => r.path);

const localeWords = (lang: string) => flatten(localeFile(lang)).flatMap(([, v]) => latinWords(String(v).replace(/\{\{\w+\}\}/g, "")));
/**
 * Latin words the Ukrainian texts use themselves: names like "JPEG", "WebP", "English", and what the Ukrainian date
 * formatter writes itself (the zone it names for a reader without one: "UTC").
 */
const UK_LATIN = new Set([...localeWords("uk"), ...latinWords(dateFormatter("uk", "UTC", true).dateTime(new Date()))]);
/** Words of the English locale that Ukrainian does not share. */
const ENGLISH_WORDS = new Set(localeWords("en").filter((w) => !UK_LATIN.has(w)));

/**
 * What is wrong with a page rendered for `Accept-Language: uk`: English UI words (those of the locale file and
 * those the same page shows in English), raw keys, another <html lang>.
 */
function problems(ukHtml: string, enHtml: string | null, converted: boolean): string[] {
  const uk = readPage(ukHtml);
  const found: string[] = [];
  if (uk.lang !== "uk") found.push(`<html lang="${uk.lang}">`);
  for (const text of [uk.title, ...uk.texts]) if (RAW_KEY.test(text)) found.push(`raw key in "${text}"`);
  if (!converted) return found;
  const english = new Set(ENGLISH_WORDS);
  if (enHtml) for (const w of readPage(enHtml).texts.flatMap(latinWords)) if (!UK_LATIN.has(w)) english.add(w);
  for (const text of [uk.title, ...uk.texts]) {
    const words = latinWords(text).filter((w) => english.has(w));
    if (words.length) found.push(`English "${words.join(" ")}" in "${text}"`);
  }
  return found;
}

describe("every page in Ukrainian", () => {
  let app: TestApp;
  let agents: Record<Role, Agent>;
  let data: Data;

  before(async () => {
    app = await startTestApp({ LOGIN_ACCOUNT_RATE_LIMIT: "3" });
    const olena = await loggedInAgent(app, { username: "олена", email: "olena@example.test", password: "correct horse battery" });
    const admin = await loggedInAgent(app, { username: "адміністраторка", email: "admin@example.test", password: "correct horse battery" }, { isStaff: true });
    await postForm(olena.agent, "/notes", { data: "Хліб, молоко, світ" }, "/");
    const [note] = await app.sql<{ id: number }>("SELECT id FROM notes ORDER BY id LIMIT 1");
    const chatId = await openDirect(olena.agent, admin.userId);
    await postMessage(olena.agent, chatId, "Добрий день");
    const [message] = await app.sql<{ id: number }>("SELECT id FROM messages ORDER BY id LIMIT 1");
    // A reply, an edit and a reaction, so the chat page shows all their parts.
    await postMessage(olena.agent, chatId, "Як справи, @адміністраторка?", { reply_to: String(message.id) });
    await app.sql("UPDATE messages SET edited_at = now() WHERE id = $1", [message.id]);
    await app.sql("INSERT INTO message_reactions (message_id, user_id, emoji) VALUES ($1, $2, '👍')", [message.id, admin.userId]);
    const groupId = await createGroup(olena.agent, "Родина", ["адміністраторка"]);
    const res = await upload(olena.agent, "/gallery", await uploadToken(olena.agent), [{ filename: "фото.png", data: await png(), contentType: "image/png" }]);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    await olena.agent.get("/gallery"); // shows (and so clears) the upload's flash message
    const [image] = await app.sql<{ id: number }>("SELECT id FROM images ORDER BY id LIMIT 1");
    assert.ok(note && image);
    const sent = await upload(olena.agent, `/chats/${chatId}/photos`, await uploadToken(olena.agent, `/chats/${chatId}/photos/new`), [
      { filename: "море.png", data: await png(), contentType: "image/png", field: "photos" },
    ], { field: "photos", fields: { text: "Наше море" } });
    assert.equal(sent.status, 303, sent.text.slice(0, 300));
    const [chatPhoto] = await app.sql<{ id: number }>("SELECT id FROM images WHERE message_id IS NOT NULL");
    data = { noteId: note.id, chatId, messageId: message.id, groupId, imageId: image.id, chatPhotoId: chatPhoto.id, userId: olena.userId, username: "олена", memberId: admin.userId };
    agents = { anonymous: agent(app), user: olena.agent, staff: admin.agent };
  });
  after(() => app?.close());

  it("the page list names every GET route of the app", () => {
    assert.deepEqual(getRoutes(app).filter((r) => !(r in PAGES)), [], "GET routes missing from PAGES");
    assert.deepEqual(Object.keys(PAGES).filter((r) => !getRoutes(app).includes(r)), [], "PAGES lists routes the app no longer has");
    for (const r of NOT_CONVERTED) assert.ok(r in PAGES, `NOT_CONVERTED lists ${r}, which is not a page`);
  });

  it("shows no English UI word and no raw key on any page", async () => {
    const found: string[] = [];
    for (const [route, page] of Object.entries(PAGES)) {
      if ("skip" in page) continue;
      for (const role of page.as) {
        const url = page.url(data);
        const uk = await agents[role].get(url).set("Accept-Language", "uk-UA,uk;q=0.9");
        assert.equal(uk.status, 200, `${role} GET ${url}: ${uk.status}`);
        const en = await agents[role].get(url).set("Accept-Language", "en");
        found.push(...problems(uk.text, en.text, !NOT_CONVERTED.has(route)).map((p) => `${role} ${url}: ${p}`));
      }
    }
    assert.deepEqual(found, []);
  });

  it("error pages: 404, 403, 413 and 429 in Ukrainian", async () => {
    const uk = (r: request.Test) => r.set("Accept-Language", "uk");
    const en = (r: request.Test) => r.set("Accept-Language", "en");
    const cases: [string, (lang: typeof uk) => request.Test, number][] = [
      ["404 anonymous", (l) => l(request(app.url).get("/nowhere")), 404],
      ["404 user", (l) => l(agents.user.get("/notes/999999/edit")), 404],
      ["404 admin to a user", (l) => l(agents.user.get("/admin")), 404],
      ["403 without a CSRF token", (l) => l(request(app.url).post("/login").type("form").send({ login: "x", password: "y" })), 403],
      ["413 a body too large", (l) => l(agents.user.post("/notes").type("form").send({ data: "ж".repeat(300_000) })), 413],
    ];
    const found: string[] = [];
    for (const [name, send, status] of cases) {
      const ukRes = await send(uk);
      assert.equal(ukRes.status, status, name);
      found.push(...problems(ukRes.text, (await send(en)).text, true).map((p) => `${name}: ${p}`));
    }
    // 429: the per-account login limit (3 here), for a name with no account.
    const visitor = agent(app);
    const token = await tokenFor(visitor);
    let limited: request.Response | undefined;
    for (let i = 0; i < 5 && limited?.status !== 429; i++) {
      limited = await visitor.post("/login").set("Accept-Language", "uk").type("form").send({ login: "нікого", password: "неправильний пароль", _csrf: token });
    }
    assert.equal(limited!.status, 429);
    found.push(...problems(limited!.text, null, true).map((p) => `429: ${p}`));
    assert.match(readPage(limited!.text).texts.join(" "), /Забагато спроб/);
    assert.deepEqual(found, []);
  });

  it("error pages: 500 and 503 from the error handler, in Ukrainian, with the English words they show in English", async () => {
    // A small app with the real templates, locale middleware and error handler, and routes that fail.
    const mini = express();
    const env = nunjucks.configure(path.resolve(__dirname, "../../views"), { autoescape: true, express: mini });
    registerFilters(env);
    mini.set("view engine", "njk");
    mini.use((req, _res, next) => {
      (req as unknown as { session: object }).session = {};
      next();
    });
    mini.use(localize, templateLocals);
    mini.get("/bug", () => {
      throw new Error("internal detail");
    });
    mini.get("/db", () => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    });
    mini.get("/gone", () => {
      throw new HttpError(404, "errors.not_found");
    });
    mini.use(errorHandler({ logger: app.deps.logger, showDetails: false }));
    const found: string[] = [];
    for (const [url, status] of [["/bug", 500], ["/db", 503], ["/gone", 404]] as const) {
      const ukRes = await request(mini).get(url).set("Accept-Language", "uk");
      assert.equal(ukRes.status, status, url);
      assert.ok(!ukRes.text.includes("internal detail"), "no internals");
      found.push(...problems(ukRes.text, (await request(mini).get(url).set("Accept-Language", "en")).text, true).map((p) => `${url}: ${p}`));
    }
    assert.deepEqual(found, []);
  });
});
