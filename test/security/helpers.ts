// Shared by the security suite: the app's route table read from its own routers, a "world" of users and the
// objects they own (made through the real pages), a snapshot of every table and of MEDIA_ROOT to prove that a
// refused request changed nothing, and the exact URL and form of each route for a given owner.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { Router } from "express";
import { agent, csrfFrom, loggedInAgent, newCredentials, type Agent } from "../helpers/agent";
import { after, before } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { cookieOf, createGroup, openDirect, postMessage } from "../chat/helpers";
import { imageRows, listFiles, png, upload, uploadToken } from "../gallery/helpers";
import { outboxDir } from "../../src/mail/mailer";
import { resetState } from "../../src/auth/password-reset.service";
import { User } from "../../src/auth/user.entity";
import { verifyState } from "../../src/auth/email-verification.service";

export interface RouteInfo {
  method: string;
  path: string;
}

interface ListedRoute {
  path: string | RegExp;
  methods?: string[];
  router?: Router & { listRoutes(): ListedRoute[] };
}

/**
 * Every route the app answers, as "METHOD /path/:param", walked from Express's own router (mounted routers
 * included), so a route added later shows up here without anyone editing a list. HEAD (automatic for GET)
 * is left out; /static, /media and socket.io are middleware, not routes, and are tested on their own.
 */
export function listRoutes(app: TestApp): RouteInfo[] {
  const join = (prefix: string, p: string) => (p === "/" ? prefix || "/" : prefix + p).replace(/\/{2,}/g, "/");
  const walk = (router: { listRoutes(): ListedRoute[] }, prefix: string): RouteInfo[] =>
    router.listRoutes().flatMap((r) => {
      assert.equal(typeof r.path, "string", "routes are declared with string paths");
      const p = join(prefix, r.path as string);
      if (r.router) return walk(r.router, p === "/" ? "" : p);
      return (r.methods ?? []).filter((m) => m !== "HEAD").map((method) => ({ method: method.toUpperCase(), path: p }));
    });
  const routes = walk((app.app as unknown as { router: { listRoutes(): ListedRoute[] } }).router, "");
  const seen = new Set<string>();
  return routes.filter((r) => {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const routeKey = (r: RouteInfo) => `${r.method} ${r.path}`;

export interface Person {
  agent: Agent;
  userId: number;
  username: string;
  password: string;
  email: string;
  galleryId: number;
  /** The session cookie ("hromada.sid=..."), for sockets and raw requests. */
  cookie: string;
}

export async function person(app: TestApp, prefix: string, opts: { isStaff?: boolean } = {}): Promise<Person> {
  const creds = newCredentials(prefix);
  const u = await loggedInAgent(app, creds, opts);
  return {
    agent: u.agent,
    userId: u.userId,
    username: creds.username,
    password: creds.password,
    email: creds.email,
    galleryId: u.user.galleryId,
    cookie: cookieOf(u.agent),
  };
}

/** What one user owns, each made through the page a person would use. */
export interface Owned {
  noteId: number;
  noteText: string;
  /** A group this user created, with `member` in it. */
  groupId: number;
  groupName: string;
  /** A direct chat with `member`. */
  directId: number;
  /** a's message in the group. */
  messageId: number;
  messageText: string;
  /** a's message in the direct chat with c. */
  directMessageId: number;
  /** A gallery image, also the user's avatar and the group's picture. */
  imageId: number;
  imageName: string;
  chatPictureId: number;
  /** A photo a sent in the group (a chat photo: for the group's members only). */
  chatPhotoId: number;
  /** The handle of a's session on the sessions page (sha256 of its id). */
  sessionHandle: string;
  /** a's finished background "Download my data" export (its link's id). */
  exportId: string;
}

export interface World {
  /** The owner of everything attacked. */
  a: Person;
  /** An outsider: a logged-in user who owns things of their own but none of a's. */
  b: Person;
  /** A member of a's group and direct chat, but not its creator. */
  c: Person;
  staff: Person;
  owned: Owned;
  /** b's own objects, for swapping ids between forms. */
  bOwned: { noteId: number; imageId: number; directId: number };
  /**
   * A good password-reset token of `resetUser`, an account that never logs in (a login would spend the token):
   * the link the reset mail carries, made the way the service makes it.
   */
  resetToken: string;
  resetUser: { id: number; username: string; email: string; password: string };
  /** A mail the development transport wrote to DATA_DIR/outbox (its file name, as /dev/outbox/:name takes it). */
  outboxMail: string;
  /** A good email-confirmation token of a's (a's address is not confirmed), made as the service makes it. */
  verifyToken: string;
}

/**
 * The world every security file attacks: a fresh app with buildWorld's people and objects, made before the file's
 * tests and closed after them. `use` receives both, so each file keeps its own `app` and `w`; `env`: settings of that app.
 */
export function useWorld(use: (app: TestApp, w: World) => void, env: Record<string, string> = {}): void {
  let app: TestApp | undefined;
  before(async () => {
    app = await startTestApp(env);
    use(app, await buildWorld(app));
  });
  after(() => app?.close());
}

/** Uploads a small PNG through a real upload form and returns the new image's id. */
export async function uploadImage(app: TestApp, p: Person, name: string, url = "/gallery", field = "images", tokenPage = "/gallery"): Promise<number> {
  const token = await uploadToken(p.agent, tokenPage);
  const before = new Set((await imageRows(app, p.userId)).map((r) => r.id));
  const res = await upload(p.agent, url, token, [{ filename: name, data: await png(48, 32), contentType: "image/png", field }], { field });
  assert.equal(res.status, 303, `upload to ${url}: ${res.status} ${res.text.slice(0, 300)}`);
  const added = (await imageRows(app, p.userId)).filter((r) => !before.has(r.id));
  assert.equal(added.length, 1);
  return added[0].id;
}

export async function buildWorld(app: TestApp, tag = "w"): Promise<World> {
  const [a, b, c, staff] = await Promise.all([
    person(app, `${tag}a`),
    person(app, `${tag}b`),
    person(app, `${tag}c`),
    person(app, `${tag}s`, { isStaff: true }),
  ]);
  const noteText = `a's private note ${crypto.randomBytes(4).toString("hex")}`;
  const home = await a.agent.get("/");
  assert.equal((await a.agent.post("/notes").type("form").send({ data: noteText, _csrf: csrfFrom(home.text) })).status, 303);
  const [{ id: noteId }] = await app.sql<{ id: number }>("SELECT id FROM notes WHERE user_id = $1", [a.userId]);
  const groupName = `a's group ${crypto.randomBytes(3).toString("hex")}`;
  const groupId = await createGroup(a.agent, groupName, [c.username]);
  const directId = await openDirect(a.agent, c.userId);
  const messageText = `a's secret message ${crypto.randomBytes(4).toString("hex")}`;
  assert.equal((await postMessage(a.agent, groupId, messageText)).status, 303);
  const [{ id: messageId }] = await app.sql<{ id: number }>("SELECT id FROM messages WHERE chat_id = $1", [groupId]);
  assert.equal((await postMessage(a.agent, directId, `direct ${messageText}`)).status, 303);
  const [{ id: directMessageId }] = await app.sql<{ id: number }>("SELECT id FROM messages WHERE chat_id = $1", [directId]);
  const imageName = "a-holiday.png";
  const imageId = await uploadImage(app, a, imageName);
  assert.equal((await formPost(a, `/gallery/${imageId}/avatar`, {})).status, 303);
  const chatPictureId = await uploadImage(app, a, "group.png", `/chats/${groupId}/avatar`, "image", `/chats/${groupId}/avatar`);
  const chatPhotoId = await uploadImage(app, a, "chat-photo.png", `/chats/${groupId}/photos`, "photos", `/chats/${groupId}/photos/new`);

  // a logged in a second time, elsewhere: that session is what a's sessions page can log out.
  const elsewhere = agent(app);
  const loginToken = csrfFrom((await elsewhere.get("/login")).text);
  assert.equal((await elsewhere.post("/login").type("form").send({ login: a.username, password: a.password, _csrf: loginToken })).status, 303);
  const current = decodeURIComponent(a.cookie.split("=")[1]).slice(2).split(".")[0];
  const [{ handle: sessionHandle }] = await app.sql<{ handle: string }>(
    "SELECT encode(sha256(convert_to(sid, 'UTF8')), 'hex') AS handle FROM session WHERE (sess -> 'passport' ->> 'user') = $1 AND sid <> $2 LIMIT 1",
    [String(a.userId), current],
  );

  // a's data export, built in the background as a large account's would be.
  const { row: exportRow } = await app.exports.requestBackground(a.userId);
  await app.exports.drain();

  // b's own things.
  const bHome = await b.agent.get("/");
  await b.agent.post("/notes").type("form").send({ data: "b's note", _csrf: csrfFrom(bHome.text) });
  const [{ id: bNoteId }] = await app.sql<{ id: number }>("SELECT id FROM notes WHERE user_id = $1", [b.userId]);
  const bImageId = await uploadImage(app, b, "b.png");
  const bDirectId = await openDirect(b.agent, staff.userId);

  const resetCreds = newCredentials(`${tag}r`);
  const resetAccount = await app.auth.signup(resetCreds);
  const resetToken = app.deps.tokens.make("password-reset", resetAccount.id, resetState((await User.findForToken(resetAccount.id))!));
  // One real mail through the development transport (the test app runs outside production, so /dev/outbox exists).
  await app.deps.ds.transaction((em) =>
    app.mailer.enqueue(em, { email: resetCreds.email, locale: "en" }, "password_reset", { username: resetCreds.username, url: app.mailer.link(`/password/reset/${resetToken}`), minutes: 60 }),
  );
  await app.mailer.drain();
  // (Other mail is there too, such as the sign-ups' confirmations: this one is found by its recipient and subject.)
  const dir = outboxDir(app.config);
  const mails = fs.readdirSync(dir).filter((n) => {
    const text = n.endsWith(".eml") ? fs.readFileSync(`${dir}/${n}`, "utf8") : "";
    return text.includes(`To: ${resetCreds.email}`) && text.includes("Subject: Reset your Hromada password");
  });
  assert.equal(mails.length, 1, "the development outbox holds the mail");
  return {
    a, b, c, staff,
    owned: { noteId, noteText, groupId, groupName, directId, messageId, messageText, directMessageId, imageId, imageName, chatPictureId, chatPhotoId, sessionHandle, exportId: exportRow.id },
    bOwned: { noteId: bNoteId, imageId: bImageId, directId: bDirectId },
    resetToken,
    resetUser: { id: resetAccount.id, username: resetCreds.username, email: resetCreds.email, password: resetCreds.password },
    outboxMail: mails[0],
    verifyToken: app.deps.tokens.make("verify-email", a.userId, verifyState((await User.findForToken(a.userId))!)),
  };
}

/** A CSRF token of this person's session (any page with a form carries it). */
export async function tokenOf(p: Person | Agent): Promise<string> {
  const a = "agent" in p ? p.agent : p;
  const res = await a.get("/profile");
  assert.equal(res.status, 200, "the profile page (for a token)");
  return csrfFrom(res.text);
}

/** POSTs a form with this person's own CSRF token. */
export async function formPost(p: Person, url: string, form: Record<string, string | string[]>) {
  return p.agent.post(url).type("form").send({ ...form, _csrf: await tokenOf(p) });
}

/**
 * Columns a request may move without that being a change of anything the user owns, and why. Everything else, in
 * every table the app has (read from the catalog, so a table added later is covered without editing this list),
 * is compared.
 */
const VOLATILE: Record<string, string[]> = {
  // Stamped by every login: the login test logs in on purpose.
  users: ["last_login"],
  // The mail worker's delivery bookkeeping moves in the background after a commit; a new or changed mail still shows.
  mail_outbox: ["attempts", "next_attempt_at", "sent_at", "last_error"],
  // Refreshed as a session is used (the sessions page's "last active"), like the session row itself.
  session_meta: ["last_seen", "ip", "user_agent"],
};
/** Not compared at all: the session table (a CSRF token or returnTo is stored there by design) and the migrations log. */
const NOT_COMPARED = new Set(["session", "migrations", "typeorm_metadata"]);

/**
 * Every table the app keeps, row by row, and every file under MEDIA_ROOT and DATA_DIR/outbox. Two equal snapshots
 * mean nothing was written.
 */
export async function snapshot(app: TestApp): Promise<string> {
  // Mail queued earlier is sent (and its bodies dropped) first: the worker's background writes are not a request's.
  await app.mailer.drain();
  const columns = await app.sql<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE')
      ORDER BY table_name, ordinal_position`,
  );
  const byTable = new Map<string, string[]>();
  for (const c of columns) {
    if (NOT_COMPARED.has(c.table_name) || VOLATILE[c.table_name]?.includes(c.column_name)) continue;
    byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c.column_name]);
  }
  const out: Record<string, unknown> = {};
  for (const [table, cols] of byTable) {
    const list = cols.map((c) => `"${c}"`).join(", ");
    // Ordered by every column: a stable order whatever the table's key is.
    out[table] = await app.sql(`SELECT ${list} FROM "${table}" ORDER BY ${cols.map((_c, i) => i + 1).join(", ")}`);
  }
  out.media = listFiles(app.mediaRoot).sort();
  const outbox = outboxDir(app.config);
  out.outbox = fs.existsSync(outbox) ? fs.readdirSync(outbox).sort() : [];
  return JSON.stringify(out);
}

/**
 * Tables a request may add rows to without changing anything of anyone's: session_meta records a logged-in
 * session at its first request (the sessions page's bookkeeping), as the session table (not compared) stores it.
 * Their existing rows must stay as they were: ending or rewriting someone's session shows.
 */
const APPEND_ONLY = new Set(["session_meta"]);

/** Asserts that `fn` leaves every table and MEDIA_ROOT exactly as they were. */
export async function unchanged<T>(app: TestApp, what: string, fn: () => Promise<T>): Promise<T> {
  const before = await snapshot(app);
  const result = await fn();
  const after = await snapshot(app);
  const diff = difference(before, after);
  if (diff) assert.fail(`${what} changed the database or the media folder:\n${diff}`);
  return result;
}

/** Where two snapshots differ (null: they do not), with APPEND_ONLY's tables allowed new rows. */
export function difference(a: string, b: string): string | null {
  const x = JSON.parse(a) as Record<string, unknown[]>;
  const y = JSON.parse(b) as Record<string, unknown[]>;
  for (const k of Object.keys(x)) {
    if (APPEND_ONLY.has(k)) {
      const kept = new Set((y[k] ?? []).map((r) => JSON.stringify(r)));
      const lost = x[k].filter((r) => !kept.has(JSON.stringify(r)));
      if (lost.length) return `${k}: rows ended or rewritten ${JSON.stringify(lost).slice(0, 600)}`;
    } else if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) {
      return `${k}:\n  before ${JSON.stringify(x[k]).slice(0, 600)}\n  after  ${JSON.stringify(y[k]).slice(0, 600)}`;
    }
  }
  return null;
}

/** How to aim a route at a's objects: the concrete URL and the form a browser would send. */
export interface Aim {
  url: string;
  form?: Record<string, string>;
  /** multipart upload routes: a file goes with the request. */
  upload?: { field: string };
}

/** The URL and form for each route that takes an id, aimed at a's objects in `w`. */
export function aimAt(w: World): Record<string, Aim> {
  const o = w.owned;
  return {
    "GET /notes/:id/edit": { url: `/notes/${o.noteId}/edit` },
    "POST /notes/:id/edit": { url: `/notes/${o.noteId}/edit`, form: { data: "overwritten by someone else" } },
    "GET /notes/:id/delete": { url: `/notes/${o.noteId}/delete` },
    "POST /notes/:id/delete": { url: `/notes/${o.noteId}/delete` },
    "GET /chats/:id": { url: `/chats/${o.groupId}` },
    "GET /chats/:id/messages": { url: `/chats/${o.groupId}/messages?before=2147483647` },
    "POST /chats/:id/messages": { url: `/chats/${o.groupId}/messages`, form: { text: "let me in" } },
    "GET /chats/:id/settings": { url: `/chats/${o.groupId}/settings` },
    "POST /chats/:id/rename": { url: `/chats/${o.groupId}/rename`, form: { name: "hijacked" } },
    "POST /chats/:id/members": { url: `/chats/${o.groupId}/members`, form: { members: w.b.username } },
    "GET /chats/:id/members/:userId/remove": { url: `/chats/${o.groupId}/members/${w.c.userId}/remove` },
    "POST /chats/:id/members/:userId/remove": { url: `/chats/${o.groupId}/members/${w.c.userId}/remove` },
    "GET /chats/:id/leave": { url: `/chats/${o.groupId}/leave` },
    "POST /chats/:id/leave": { url: `/chats/${o.groupId}/leave` },
    "GET /chats/:id/avatar": { url: `/chats/${o.groupId}/avatar` },
    "POST /chats/:id/avatar": { url: `/chats/${o.groupId}/avatar`, upload: { field: "image" } },
    "POST /chats/:id/avatar/remove": { url: `/chats/${o.groupId}/avatar/remove` },
    "GET /chats/:id/photos/new": { url: `/chats/${o.groupId}/photos/new` },
    "POST /chats/:id/photos": { url: `/chats/${o.groupId}/photos`, upload: { field: "photos" } },
    "GET /chats/:id/photos/:imageId": { url: `/chats/${o.groupId}/photos/${o.chatPhotoId}` },
    "GET /gallery/:id": { url: `/gallery/${o.imageId}` },
    "POST /gallery/:id/caption": { url: `/gallery/${o.imageId}/caption`, form: { caption: "written by someone else" } },
    "GET /gallery/:id/delete": { url: `/gallery/${o.imageId}/delete` },
    "POST /gallery/:id/delete": { url: `/gallery/${o.imageId}/delete` },
    "POST /gallery/:id/avatar": { url: `/gallery/${o.imageId}/avatar` },
    "GET /admin/users/:id": { url: `/admin/users/${w.a.userId}` },
    "GET /chats/:id/messages/:messageId": { url: `/chats/${o.groupId}/messages/${o.messageId}` },
    "POST /chats/:id/messages/:messageId/edit": { url: `/chats/${o.groupId}/messages/${o.messageId}/edit`, form: { text: "edited by someone else" } },
    "POST /chats/:id/messages/:messageId/delete": { url: `/chats/${o.groupId}/messages/${o.messageId}/delete` },
    "POST /chats/:id/messages/:messageId/reactions": { url: `/chats/${o.groupId}/messages/${o.messageId}/reactions`, form: { emoji: "👍", on: "1" } },
    "GET /chats/:id/mute": { url: `/chats/${o.groupId}/mute` },
    "POST /chats/:id/mute": { url: `/chats/${o.groupId}/mute`, form: { for: "8h" } },
    "POST /admin/users/:id/active": { url: `/admin/users/${w.a.userId}/active`, form: { active: "0" } },
    "POST /admin/users/:id/staff": { url: `/admin/users/${w.a.userId}/staff`, form: { staff: "1" } },
    "POST /admin/users/:id/delete": { url: `/admin/users/${w.a.userId}/delete`, form: { confirm: w.a.username } },
    "POST /admin/notes/:id/delete": { url: `/admin/notes/${o.noteId}/delete` },
    "POST /admin/messages/:id/delete": { url: `/admin/messages/${o.messageId}/delete` },
    "POST /admin/images/:id/delete": { url: `/admin/images/${o.imageId}/delete` },
    "POST /account/sessions/:handle/logout": { url: `/account/sessions/${o.sessionHandle}/logout` },
    "GET /account/export/:id": { url: `/account/export/${o.exportId}` },
  };
}

/**
 * The URL and form of every state-changing route that takes no id (it acts on the requester's own account or
 * creates something new), with valid input, so that only the refusal under test can stop it.
 */
export function ownRoutes(w: World): Record<string, Aim> {
  return {
    "POST /signup": { url: "/signup", form: { username: `csrf_${crypto.randomBytes(3).toString("hex")}`, email: `csrf${crypto.randomBytes(3).toString("hex")}@example.test`, password: "correct horse battery", password_confirm: "correct horse battery" } },
    "POST /login": { url: "/login", form: { login: w.a.username, password: w.a.password } },
    "POST /logout": { url: "/logout" },
    "POST /language": { url: "/language", form: { lang: "uk", next: "/" } },
    "POST /theme": { url: "/theme", form: { theme: "dark", next: "/" } },
    "POST /profile/preferences": { url: "/profile/preferences", form: { locale: "uk", time_zone: "Europe/Kiev" } },
    "POST /profile": { url: "/profile", form: { username: `${w.a.username}x`, email: `x${w.a.email}` } },
    "POST /profile/password": { url: "/profile/password", form: { current_password: w.a.password, new_password: "another long password", new_password_confirm: "another long password" } },
    "POST /notes": { url: "/notes", form: { data: "a new note" } },
    "POST /chats": { url: "/chats", form: { name: "a new group", members: w.c.username } },
    "POST /chats/direct": { url: "/chats/direct", form: { user_id: String(w.b.userId) } },
    "POST /gallery": { url: "/gallery", upload: { field: "images" } },
    "POST /profile/avatar": { url: "/profile/avatar", upload: { field: "image" } },
    "POST /profile/avatar/remove": { url: "/profile/avatar/remove" },
    "POST /password/reset": { url: "/password/reset", form: { email: w.resetUser.email } },
    // The token in the path is the credential (anyone holding the link may use it): it goes with the anonymous routes.
    "POST /password/reset/:token": { url: `/password/reset/${w.resetToken}`, form: { new_password: "lantern copper meadow", new_password_confirm: "lantern copper meadow" } },
    // Without confirm=yes this only shows what would go: the request is complete, nothing is lost.
    "POST /gallery/bulk-delete": { url: "/gallery/bulk-delete", form: { ids: String(w.owned.imageId) } },
    "POST /email/verify/:token": { url: "/email/verify/1-abc-forgedforgedforgedforgedforgedfo" },
    "POST /account/email/resend": { url: "/account/email/resend" },
    "POST /account/sessions/others/logout": { url: "/account/sessions/others/logout" },
    "POST /account/export": { url: "/account/export" },
    // A wrong code: only the refusal under test (a missing token, a GET) is meant to stop these; a right one is spent.
    "POST /login/two-factor": { url: "/login/two-factor", form: { code: "123456" } },
    "POST /account/two-factor/setup": { url: "/account/two-factor/setup" },
    "POST /account/two-factor/enable": { url: "/account/two-factor/enable", form: { code: "123456" } },
    "POST /account/two-factor/recovery-codes": { url: "/account/two-factor/recovery-codes", form: { code: "123456" } },
    "POST /account/two-factor/disable": { url: "/account/two-factor/disable", form: { current_password: w.a.password, code: "123456" } },
    // Sent with a valid token only by the tests of extra fields (as a person made for it, not a): see mass-assignment.
    "POST /account/delete": { url: "/account/delete", form: { current_password: w.a.password } },
  };
}

/** The concrete URL of each GET route, as the person who may see it (a for pages, staff for /admin). */
export function pagesOf(w: World): Record<string, string> {
  const o = w.owned;
  return {
    "GET /healthz": "/healthz",
    "GET /readyz": "/readyz",
    "GET /signup": "/signup",
    "GET /login": "/login",
    "GET /profile": "/profile",
    "GET /": "/",
    "GET /notes": "/notes",
    "GET /notes/search": "/notes/search?q=private",
    "GET /notes/:id/edit": `/notes/${o.noteId}/edit`,
    "GET /notes/:id/delete": `/notes/${o.noteId}/delete`,
    "GET /people": "/people",
    "GET /people.json": "/people.json?q=w",
    "GET /people/:username": `/people/${w.c.username}`,
    "GET /chats": "/chats",
    "GET /chats/new": "/chats/new",
    "GET /chats/:id": `/chats/${o.groupId}`,
    "GET /chats/:id/messages": `/chats/${o.groupId}/messages?before=2147483647`,
    "GET /chats/:id/settings": `/chats/${o.groupId}/settings`,
    "GET /chats/:id/members/:userId/remove": `/chats/${o.groupId}/members/${w.c.userId}/remove`,
    "GET /chats/:id/leave": `/chats/${o.groupId}/leave`,
    "GET /chats/:id/avatar": `/chats/${o.groupId}/avatar`,
    "GET /chats/:id/photos/new": `/chats/${o.groupId}/photos/new`,
    "GET /chats/:id/photos/:imageId": `/chats/${o.groupId}/photos/${o.chatPhotoId}`,
    "GET /chats/search": `/chats/search?q=${encodeURIComponent(o.messageText.split(" ").pop()!)}`,
    "GET /chats/:id/messages/:messageId": `/chats/${o.groupId}/messages/${o.messageId}`,
    "GET /chats/:id/mute": `/chats/${o.groupId}/mute`,
    "GET /password/reset": "/password/reset",
    "GET /password/reset/:token": `/password/reset/${w.resetToken}`,
    "GET /dev/outbox": "/dev/outbox",
    "GET /dev/outbox/:name": `/dev/outbox/${w.outboxMail}`,
    "GET /dev/outbox/:name/html": `/dev/outbox/${w.outboxMail}/html`,
    "GET /dev/outbox/:name/raw": `/dev/outbox/${w.outboxMail}/raw`,
    "GET /gallery": "/gallery",
    "GET /gallery/:id": `/gallery/${o.imageId}`,
    "GET /gallery/:id/delete": `/gallery/${o.imageId}/delete`,
    "GET /admin": "/admin/",
    "GET /admin/users": "/admin/users?q=w",
    "GET /admin/users/:id": `/admin/users/${w.a.userId}`,
    "GET /admin/notes": `/admin/notes?user=${w.a.userId}`,
    "GET /admin/messages": "/admin/messages",
    "GET /admin/images": "/admin/images",
    "GET /admin/audit": "/admin/audit",
    // A real link (a's address is not confirmed yet): the page with its button, not the invalid-link page.
    "GET /email/verify/:token": `/email/verify/${w.verifyToken}`,
    "GET /account/sessions": "/account/sessions",
    "GET /account/export": "/account/export",
    "GET /account/delete": "/account/delete",
    "GET /account/export/:id": `/account/export/${o.exportId}`,
    "GET /account/two-factor": "/account/two-factor",
    // Without codes just made (or a password just accepted) these redirect: nothing to show.
    "GET /account/two-factor/recovery-codes": "/account/two-factor/recovery-codes",
    "GET /login/two-factor": "/login/two-factor",
  };
}

/** Sends a route's request as `p` (or anonymously): its form with the given token, or a small PNG for upload routes. */
export async function send(app: TestApp, who: Agent, method: string, aim: Aim, token: string | null, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
  if (method === "GET") return who.get(aim.url).set(headers);
  if (aim.upload) {
    const data = await png(24, 24);
    return upload(who, aim.url, token, [{ filename: "x.png", data, contentType: "image/png", field: aim.upload.field }], { field: aim.upload.field, fields: extra }).set(headers);
  }
  const form: Record<string, string> = { ...aim.form, ...extra };
  if (token !== null) form._csrf = token;
  return who.post(aim.url).set(headers).type("form").send(form);
}

export const anonymous = (app: TestApp) => agent(app);

/** A raw HTTP request: headers and path exactly as written (no client-side normalisation). */
export function raw(app: TestApp, method: string, rawPath: string, headers: Record<string, string> = {}, body?: Buffer | string) {
  const { hostname, port } = new URL(app.url);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path: rawPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
