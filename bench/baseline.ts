// The raw baseline for S1: the floor of what Node and Postgres can do for the home page on this machine.
// node:http + pg + template literals, no framework. It does the same work the app must do for GET /:
// - reads the express-session cookie (s:<sid>.<signature>), checks the HMAC-SHA256 signature as
//   cookie-signature does, and loads the row from the same `session` table together with the user it points at
//   (the same columns and unread-count subselect as User.activeLookup), in one statement as the app does;
// - one notes query (the same as Note.pageFor: 20 newest with count(*) OVER ());
// - renders the same HTML as views/notes/index.njk in layout.njk (checked by test/bench/bench-smoke.test.ts
//   and at the start of every S1 run), with the same security headers.
// Statements are sent as named (prepared) statements, as the app sends these three (src/db/prepared.ts), so the
// database does the same work for both: the ratio measures what the app spends in Node.
// It only renders page 1 (no pager) and ignores flash messages: the S1 user has 20 notes and no flashes.
import crypto from "node:crypto";
import http from "node:http";
import type { Pool } from "pg";
import { serveFromEnv } from "./lib/serve";
import { dateFormatter } from "../src/i18n/format";

const COOKIE = "hromada.sid";

export const HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'self';base-uri 'self';font-src 'self' data:;form-action 'self';frame-ancestors 'none';img-src 'self' data: blob:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self';connect-src 'self'",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Origin-Agent-Cluster": "?1",
  "Referrer-Policy": "same-origin",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
  "X-Content-Type-Options": "nosniff",
  "X-DNS-Prefetch-Control": "off",
  "X-Download-Options": "noopen",
  "X-Frame-Options": "SAMEORIGIN",
  "X-Permitted-Cross-Domain-Policies": "none",
  "X-XSS-Protection": "0",
  "Content-Type": "text/html; charset=utf-8",
};

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (v: unknown) => String(v ?? "").replace(/[&<>"']/g, (c) => ESC[c]);
/** The strings notes.js shows, embedded as the layout does (made once, like the rest of this page's constants). */
const NOTES_STRINGS = esc(JSON.stringify({ "notes.confirm_delete": "Delete this note? This cannot be undone.", "notes.show_more": "Show more", "notes.show_less": "Show less" }));

// The app's own date formatting: the floor must not pay for Intl where the app does not.
const datetime = (d: Date) => dateFormatter("en", "UTC", true).dateTime(d);
const recent = (d: Date) => dateFormatter("en", "UTC", true).recent(d);
const initials = (name: string) => {
  const parts = name.split(/[\s._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
};

/** cookie-signature's unsign: the value before the last dot, if its HMAC-SHA256 matches (constant-time). */
export function unsign(signed: string, secret: string): string | null {
  const dot = signed.lastIndexOf(".");
  if (dot < 0) return null;
  const value = signed.slice(0, dot);
  const expected = Buffer.from(value + "." + crypto.createHmac("sha256", secret).update(value).digest("base64").replace(/=+$/, ""));
  const given = Buffer.from(signed);
  return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? value : null;
}

function sessionId(cookieHeader: string | undefined, secret: string): string | null {
  if (!cookieHeader) return null;
  const start = cookieHeader.indexOf(COOKIE + "=");
  if (start < 0) return null;
  const end = cookieHeader.indexOf(";", start);
  let raw = cookieHeader.slice(start + COOKIE.length + 1, end < 0 ? undefined : end).trim();
  if (raw.includes("%")) {
    // As the cookie package does: a value that is not valid percent-encoding is taken as it is (and then
    // fails the signature check), never an exception.
    try {
      raw = decodeURIComponent(raw);
    } catch {
      return null;
    }
  }
  if (!raw.startsWith("s:")) return null;
  return unsign(raw.slice(2), secret);
}

export const SESSION_SQL = 'SELECT sess FROM "session" WHERE sid = $1 AND expire >= to_timestamp($2)';
const UNREAD_SQL =
  "(SELECT coalesce(sum((SELECT count(*)::int FROM (SELECT 1 FROM messages um WHERE um.chat_id = utm.chat_id AND um.id > utm.last_read_message_id AND um.deleted_at IS NULL LIMIT 100) unread_rows)), 0)::int FROM chat_members utm WHERE utm.user_id = u.id AND NOT (utm.muted_until IS NOT NULL AND utm.muted_until > now()))";
const MENTIONS_SQL =
  "(SELECT coalesce(array_agg(mc.chat_id ORDER BY mc.chat_id), '{}') FROM chat_members mc WHERE mc.user_id = u.id AND NOT (mc.muted_until IS NOT NULL AND mc.muted_until > now()) " +
  "AND EXISTS (SELECT 1 FROM message_mentions mm WHERE mm.user_id = mc.user_id AND mm.chat_id = mc.chat_id AND mm.message_id > mc.last_read_message_id))";
export const USER_SQL =
  "SELECT u.id, u.username, u.email, u.gallery_id, u.profile_picture_id, u.is_active, u.is_staff, u.created_at, u.last_login, u.locale, u.time_zone, u.theme, u.email_verified_at, " +
  "pp.id AS pp_id, pp.gallery_id AS pp_gallery_id, pp.owner_id AS pp_owner_id, pp.path AS pp_path, pp.thumb_path AS pp_thumb_path, " +
  "pp.width AS pp_width, pp.height AS pp_height, pp.bytes AS pp_bytes, pp.original_name AS pp_original_name, pp.created_at AS pp_created_at, " +
  `${UNREAD_SQL} AS unread_total, ${MENTIONS_SQL} AS unread_mention_chats ` +
  "FROM users u LEFT JOIN images pp ON pp.id = u.profile_picture_id WHERE u.id = $1 AND u.is_active = true";
/** The session and its user in one statement, as the app reads them (src/http/session.ts, joinUser). */
export const SESSION_USER_SQL =
  `SELECT s.sess, j.* FROM "session" s LEFT JOIN LATERAL (${USER_SQL.replace("$1", () => "(s.sess -> 'passport' ->> 'user')::int")}) j ON true ` +
  "WHERE s.sid = $1 AND s.expire >= to_timestamp($2)";
/** The colour-scheme switch (themeSwitch in views/partials/_nav.njk) for a user who chose none: "As the system" is pressed. */
const THEME_BUTTONS = [["light", "bi-sun", "Light"], ["dark", "bi-moon-stars", "Dark"], ["auto", "bi-circle-half", "As the system"]]
  .map(([value, icon, label]) =>
    `<button type="submit" name="theme" value="${value}" class="btn btn-outline-secondary${value === "auto" ? " active" : ""}"
            aria-pressed="${value === "auto"}" title="${label}">
      <i class="bi ${icon}" aria-hidden="true"></i><span class="visually-hidden">${label}</span>
    </button>`)
  .join("\n");

/** The order switch above the list (views/notes/index.njk), "Recently written" chosen. */
const SORT_NAV = `<nav class="mb-3" aria-label="Order of notes">
        <ul class="nav nav-pills nav-sm notes-sort">
          <li class="nav-item"><a class="nav-link active" href="/" aria-current="page"><i class="bi bi-pencil-square me-1" aria-hidden="true"></i>Recently written</a></li>
          <li class="nav-item"><a class="nav-link" href="/?sort=edited"><i class="bi bi-clock-history me-1" aria-hidden="true"></i>Recently edited</a></li>
        </ul>
      </nav>`;

export const NOTES_SQL =
  "SELECT n.id, n.data, n.date, n.updated_at, n.user_id, count(*) OVER () AS total FROM notes n WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT 20 OFFSET 0";

export interface UserRow {
  id: number;
  username: string;
  is_staff: boolean;
  pp_thumb_path: string | null;
  unread_total: number;
  unread_mention_chats: number[];
  email_verified_at: Date | null;
}

export interface NoteRow {
  id: number;
  data: string;
  date: Date;
  updated_at: Date | null;
  total: string;
}

function avatar(u: UserRow): string {
  const label = esc(`${u.username}'s avatar`);
  if (u.pp_thumb_path) {
    return `<img src="/media/${esc(u.pp_thumb_path)}" width="32" height="32" class="avatar avatar-32 rounded-circle object-fit-cover" alt="${label}">`;
  }
  return `<span class="avatar avatar-32 avatar-placeholder rounded-circle" role="img" aria-label="${label}"><span aria-hidden="true">${esc(initials(u.username))}</span></span>`;
}

/** The navbar's "@" beside the unread count (views/partials/_nav.njk). */
function mentionBadge(chats: number[]): string {
  return `<span class="badge rounded-pill text-bg-warning nav-mention${chats.length ? "" : " d-none"}" data-mention-badge data-chats="${JSON.stringify(chats)}" title="You were mentioned"><span aria-hidden="true">@</span><span class="visually-hidden">You were mentioned</span></span>`;
}

function nav(u: UserRow, token: string): string {
  return `<nav class="navbar navbar-expand-md bg-body border-bottom" aria-label="Main" data-me="${u.id}">
  <div class="container">
    <a class="navbar-brand fw-semibold" href="/">Hromada</a>
    <a class="nav-unread-phone d-md-none ms-auto me-2 text-decoration-none" href="/chats">Chats <span class="badge rounded-pill text-bg-danger${u.unread_total ? "" : " d-none"}" data-unread-badge>${u.unread_total || ""}<span class="visually-hidden"> unread</span></span>${mentionBadge(u.unread_mention_chats)}</a>
    <button class="navbar-toggler" type="button" data-bs-toggle="collapse" data-bs-target="#nav-main"
            aria-controls="nav-main" aria-expanded="false" aria-label="Toggle navigation">
      <span class="navbar-toggler-icon"></span>
    </button>
    <div class="collapse navbar-collapse" id="nav-main">
      <ul class="navbar-nav me-auto">
        <li class="nav-item"><a class="nav-link active" aria-current="page" href="/">Notes</a></li>
        <li class="nav-item"><a class="nav-link" href="/chats">Chats <span class="badge rounded-pill text-bg-danger${u.unread_total ? "" : " d-none"}" id="nav-unread" data-unread-badge aria-live="polite">${u.unread_total || ""}<span class="visually-hidden"> unread</span></span>${mentionBadge(u.unread_mention_chats)}</a></li>
        <li class="nav-item"><a class="nav-link" href="/people">People</a></li>
        <li class="nav-item"><a class="nav-link" href="/gallery">Gallery</a></li>
        ${u.is_staff ? `<li class="nav-item"><a class="nav-link" href="/admin">Admin</a></li>` : ""}
      </ul>
      <div class="d-flex flex-wrap align-items-center gap-2">
        <form method="post" action="/theme" class="m-0" aria-label="Colour scheme">
          <input type="hidden" name="_csrf" value="${token}">
          <input type="hidden" name="next" value="/">
          <div class="btn-group btn-group-sm theme-switch" role="group" aria-label="Colour scheme">
            ${THEME_BUTTONS}
          </div>
        </form>
        <form method="post" action="/language" class="m-0 d-flex align-items-center gap-1" aria-label="Language">
          <input type="hidden" name="_csrf" value="${token}">
          <input type="hidden" name="next" value="/">
          <button type="submit" name="lang" value="uk" lang="uk" class="btn btn-link btn-sm text-decoration-none">Українська</button>
        </form>
        <a class="nav-link d-flex align-items-center gap-2" href="/profile" id="nav-profile">
          ${avatar(u)}<span>${esc(u.username)}</span>
        </a>
        <form method="post" action="/logout" class="m-0">
          <input type="hidden" name="_csrf" value="${token}">
          <button type="submit" class="btn btn-outline-secondary btn-sm">Log out</button>
        </form>
      </div>
    </div>
  </div>
</nav>
<script type="module" src="/static/js/notify.js"></script>`;
}

function noteCard(n: NoteRow): string {
  const when = datetime(n.date);
  const edited = n.updated_at
    ? ` &middot; edited <time datetime="${n.updated_at.toISOString()}" title="${datetime(n.updated_at)}" data-recent>${recent(n.updated_at)}</time>`
    : "";
  return `<li>
<article class="card shadow-sm note-card" id="note-${n.id}">
  <div class="card-body">
    <div class="note-body" data-user-content>${esc(n.data)}</div>
  </div>
  <div class="card-footer bg-body d-flex flex-wrap align-items-center gap-2 small text-body-secondary">
    <span class="me-auto">
      <time datetime="${n.date.toISOString()}" title="${when}" data-recent>${recent(n.date)}</time>${edited}
    </span>
    <a class="btn btn-sm btn-outline-secondary" href="/notes/${n.id}/edit">Edit<span class="visually-hidden"> the note from ${when}</span></a>
    <a class="btn btn-sm btn-outline-danger" href="/notes/${n.id}/delete" data-note-delete="/notes/${n.id}/delete">Delete<span class="visually-hidden"> the note from ${when}</span></a>
  </div>
</article>
</li>`;
}

export function renderHome(u: UserRow, notes: NoteRow[], token: string): string {
  const total = notes.length ? Number(notes[0].total) : 0;
  const list = notes.length
    ? `<ol class="list-unstyled d-grid gap-3 mb-0">
        ${notes.map(noteCard).join("")}
      </ol>`
    : `<div class="card card-body text-center text-body-secondary py-5">
        <p class="mb-0">No notes yet. Write your first one in the form.</p>
      </div>`;
  return `<!doctype html>
<html lang="en" data-theme="auto">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content">
  <meta name="color-scheme" content="light dark">
  <script src="/static/js/theme.js"></script>
  <title>Your notes · Hromada</title>
  <link rel="stylesheet" href="/static/bootstrap/css/bootstrap.min.css">
  <link rel="stylesheet" href="/static/icons/bootstrap-icons.min.css">
  <link rel="stylesheet" href="/static/css/app.css">
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body class="d-flex flex-column min-vh-100 bg-body-tertiary ">
  <a class="visually-hidden-focusable btn btn-light position-absolute m-2" href="#main">Skip to content</a>
${nav(u, token)}
  <main id="main" class="container py-4 flex-grow-1" tabindex="-1">
<div class="d-flex flex-wrap align-items-center gap-3 mb-4">
  <div class="me-auto">
    <h1 class="h3 mb-0">Your notes</h1>
    <p class="text-body-secondary small mb-0">
      ${total === 1 ? "1 note" : `${total} notes`}
    </p>
  </div>
  <div class="notes-search-wrap">
<form class="d-flex gap-2 note-search" role="search" method="get" action="/notes/search">
  <label class="visually-hidden" for="q">Search your notes</label>
  <input class="form-control" type="search" id="q" name="q" value="" placeholder="Search your notes" maxlength="200">
  <button class="btn btn-outline-primary" type="submit">Search</button>
</form>
</div>
</div>
<div class="row g-4">
  <div class="col-lg-4">
    <section class="card shadow-sm notes-compose" aria-labelledby="new-note-heading">
      <div class="card-body">
        <h2 class="h5" id="new-note-heading">New note</h2>
        <form method="post" action="/notes" novalidate>
          <input type="hidden" name="_csrf" value="${token}">
<div class="mb-3">
  <label class="form-label" for="f-data">Your note</label>
  <textarea class="form-control" data-user-content id="f-data" name="data" rows="6" maxlength="10000" required placeholder="Write a note…"
    aria-describedby="f-data-help">
</textarea>
  <div class="form-text" id="f-data-help">Up to 10,000 characters. Line breaks are kept.</div>
</div>
          <button type="submit" class="btn btn-primary">Add note</button>
        </form>
      </div>
    </section>
  </div>
  <div class="col-lg-8">
    <section aria-labelledby="notes-heading">
      <h2 class="visually-hidden" id="notes-heading">Notes, newest first</h2>
      ${total > 1 ? SORT_NAV : ""}
      ${list}
    </section>
  </div>
</div>
  </main>
  <footer class="py-3 text-center text-body-secondary small border-top bg-body">
    Hromada · a small community app
  </footer>
  <template id="i18n-strings" data-strings="${NOTES_STRINGS}"></template>
  <script src="/static/bootstrap/js/bootstrap.bundle.min.js" defer></script>
  <script type="module" src="/static/js/notes.js"></script>
</body>
</html>`;
}

/** The request handler: GET / only; anything else, or no valid session, gets what the app would answer. */
export function createBaselineHandler(pool: Pool, secret: string): http.RequestListener {
  const toLogin = (res: http.ServerResponse) => {
    res.writeHead(303, { Location: "/login" });
    res.end();
  };
  const fail = (res: http.ServerResponse, err: unknown) => {
    console.error(err);
    if (!res.headersSent) res.writeHead(500);
    res.end("error");
  };
  return (req, res) => {
    // The benchmark's readiness check, answered without touching the database.
    if (req.url === "/healthz") {
      res.writeHead(200);
      return res.end("ok");
    }
    if (req.method !== "GET" || req.url !== "/") {
      res.writeHead(404);
      return res.end();
    }
    const sid = sessionId(req.headers.cookie, secret);
    if (!sid) return toLogin(res);
    (async () => {
      const s = await pool.query<UserRow & { sess: { passport?: { user?: number }; csrfToken?: string } }>({ name: "session_user_get", text: SESSION_USER_SQL, values: [sid, Math.ceil(Date.now() / 1000)] });
      const row = s.rows[0];
      const sess = row?.sess;
      const userId = sess?.passport?.user;
      if (typeof userId !== "number" || row.id !== userId) return toLogin(res);
      const notes = await pool.query<NoteRow>({ name: "notes_page", text: NOTES_SQL, values: [userId] });
      const html = renderHome(row, notes.rows, esc(sess.csrfToken ?? ""));
      res.writeHead(200, { ...HEADERS, "Content-Length": Buffer.byteLength(html) });
      res.end(html);
    })().catch((err) => fail(res, err));
  };
}

if (require.main === module) serveFromEnv("baseline", createBaselineHandler);
