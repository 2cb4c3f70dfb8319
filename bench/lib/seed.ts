// Seeds the benchmark database: users, 20 notes for the S1 user, chats with members, and sessions.
// Rows go in through SQL (fast); the users the scenarios act as log in through the real login form, so
// their cookies are the app's own. The 1,000+ chat members cannot all log in over HTTP (1,000 bcrypt
// hashes at cost 12 take minutes), so their sessions are copies of a real logged-in session row (same
// JSON shape as connect-pg-simple wrote it) under new ids, with cookies signed like express-session's.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import bcrypt from "bcrypt";
import sharp from "sharp";
import type { Pool } from "pg";
import { Browser, logIn } from "./http";

export const PASSWORD = "bench password 123";
export const SESSION_COOKIE = "hromada.sid";

export interface SeedUser {
  id: number;
  username: string;
}

export interface LoggedIn extends SeedUser {
  browser: Browser;
  cookie: string;
}

export interface Seed {
  s1: SeedUser;
  s2: SeedUser;
  s3: SeedUser;
  s5: SeedUser;
  sender: SeedUser;
  /** The S6 user: a gallery of GALLERY_PHOTOS photos (seedGallery). */
  g: SeedUser;
  /** 1,000 members for the fan-out chat; also grouped five by five into the 200 small chats. */
  members: SeedUser[];
  fanoutChatId: number;
  smallChats: { id: number; memberIds: number[] }[];
  noteTexts: string[];
  passwordHash: string;
}

/** The 20 notes of the S1 user: ordinary prose, a few with line breaks, markup to escape and non-ASCII. */
export function noteTexts(): string[] {
  const lines = [
    "Buy bread, milk and coffee on the way home.",
    "Call the plumber about the kitchen tap: it drips again.\nAsk about the bathroom too.",
    "Ideas for the community garden: herbs near the gate, tomatoes along the south wall, a bench under the old pear tree.",
    "<script>alert('not a script')</script> stays text & shows as typed.",
    "Meeting notes — Tuesday:\n- budget approved\n- next meeting in two weeks\n- Olena brings the projector",
    "Книжки для клубу: «Тіні забутих предків», «Intermezzo».",
    "Reminder: renew the library card before Friday.",
    "Recipe: borscht with beetroot, cabbage, potatoes, carrots, onion, garlic, dill and a spoon of sour cream on top.",
    "Quote I liked: \"The best way out is always through.\" — Robert Frost",
    "Bike: pump the tyres, oil the chain, fix the rear light.",
  ];
  return Array.from({ length: 20 }, (_, i) => `${lines[i % lines.length]}${i >= lines.length ? ` (again, #${i + 1})` : ""}`);
}

async function insertUsers(pool: Pool, prefix: string, count: number, hash: string): Promise<SeedUser[]> {
  const { rows } = await pool.query<SeedUser>(
    `WITH g AS (INSERT INTO galleries (created_at) SELECT now() FROM generate_series(1, $1::int) RETURNING id),
          n AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM g)
     INSERT INTO users (username, email, password_hash, gallery_id, email_verified_at)
     SELECT $2 || lpad(rn::text, 4, '0'), $2 || lpad(rn::text, 4, '0') || '@bench.example', $3, id, now() FROM n
     RETURNING id, username`,
    [count, prefix, hash],
  );
  return rows.sort((a, b) => a.username.localeCompare(b.username));
}

async function insertChat(pool: Pool, name: string, creatorId: number, memberIds: number[]): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    "INSERT INTO chats (chat_name, is_group, creator_id) VALUES ($1, true, $2) RETURNING id",
    [name, creatorId],
  );
  const id = rows[0].id;
  await pool.query(
    "INSERT INTO chat_members (chat_id, user_id) SELECT $1, u FROM unnest($2::int[]) AS u",
    [id, memberIds],
  );
  return id;
}

export async function seedRows(pool: Pool, memberCount: number): Promise<Seed> {
  // One hash at the production cost for everyone: the S3 logins compare against a real cost-12 hash.
  const passwordHash = await bcrypt.hash(PASSWORD, 12);
  const [s1, s2, s3, s5, sender, g] = await insertUsers(pool, "bench_", 6, passwordHash);
  const members = await insertUsers(pool, "bench_m", memberCount, passwordHash);

  const texts = noteTexts();
  // Oldest first, an hour apart, every third one edited: dates, "edited" stamps and ids all vary.
  await pool.query(
    `INSERT INTO notes (data, user_id, date, updated_at)
     SELECT t, $2, now() - make_interval(hours => (21 - i)::int), CASE WHEN i % 3 = 0 THEN now() - make_interval(mins => (21 - i)::int) END
     FROM unnest($1::text[]) WITH ORDINALITY AS x(t, i)`,
    [texts, s1.id],
  );

  const fanoutChatId = await insertChat(pool, "Bench fan-out", sender.id, [sender.id, ...members.map((m) => m.id)]);
  const smallChats: Seed["smallChats"] = [];
  for (let i = 0; i + 5 <= members.length; i += 5) {
    const memberIds = members.slice(i, i + 5).map((m) => m.id);
    smallChats.push({ id: await insertChat(pool, `Bench small ${i / 5 + 1}`, memberIds[0], memberIds), memberIds });
  }
  return { s1, s2, s3, s5, sender, g, members, fanoutChatId, smallChats, noteTexts: texts, passwordHash };
}

/** S6's gallery: a page's worth of photos, fewer than the gallery's 48 per page, so one page shows them all. */
export const GALLERY_PHOTOS = 20;

/** A file name as the image pipeline makes them: two hex shard folders, 128 random bits, .webp. */
const mediaName = (suffix = "") => {
  const hex = crypto.randomBytes(16).toString("hex");
  return `${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}${suffix}.webp`;
};

/** Photo-like noise (it compresses like a picture, not like a flat colour), as WebP. */
function noisyWebp(width: number, height: number, seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let x = seed;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = ((i % (width * 3)) / 6 + ((x >> 16) & 31)) & 255;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).webp({ quality: 80 }).toBuffer();
}

/**
 * The S6 user's photos: rows as the gallery stores them and real files under MEDIA_ROOT (a 256x256 thumbnail and
 * a 1024x768 web file each, random names like the pipeline's), through SQL and the file system: the pipeline's
 * encoding is S5's subject, not S6's.
 */
export async function seedGallery(pool: Pool, user: SeedUser, mediaRoot: string): Promise<void> {
  const [thumb, web] = await Promise.all([noisyWebp(256, 256, 7), noisyWebp(1024, 768, 11)]);
  const { rows } = await pool.query<{ gallery_id: number }>("SELECT gallery_id FROM users WHERE id = $1", [user.id]);
  const paths: string[] = [];
  const thumbs: string[] = [];
  for (let i = 0; i < GALLERY_PHOTOS; i++) {
    const [p, t] = [mediaName(), mediaName(".thumb")];
    for (const [rel, data] of [[p, web], [t, thumb]] as const) {
      fs.mkdirSync(path.dirname(path.join(mediaRoot, rel)), { recursive: true });
      fs.writeFileSync(path.join(mediaRoot, rel), data);
    }
    paths.push(p);
    thumbs.push(t);
  }
  await pool.query(
    `INSERT INTO images (gallery_id, owner_id, path, thumb_path, width, height, bytes, original_name, created_at)
     SELECT $1, $2, p, t, 1024, 768, $5, 'photo-' || i || '.jpg', now() - make_interval(mins => (100 - i)::int)
     FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS x(p, t, i)`,
    [rows[0].gallery_id, user.id, paths, thumbs, web.length],
  );
}

export async function logInAs(base: string, user: SeedUser): Promise<LoggedIn> {
  const browser = new Browser(base);
  await logIn(browser, user.username, PASSWORD);
  const value = browser.cookies.get(SESSION_COOKIE);
  if (!value) throw new Error(`login as ${user.username} set no ${SESSION_COOKIE} cookie`);
  return { ...user, browser, cookie: `${SESSION_COOKIE}=${value}` };
}

/** express-session's cookie value for a session id: "s:" + sid + "." + base64 HMAC-SHA256, URI-encoded. */
export function signedCookieValue(sid: string, secret: string): string {
  const sig = crypto.createHmac("sha256", secret).update(sid).digest("base64").replace(/=+$/, "");
  return encodeURIComponent(`s:${sid}.${sig}`);
}

export function sidOf(cookieValue: string): string {
  const raw = decodeURIComponent(cookieValue);
  return raw.slice(2, raw.lastIndexOf("."));
}

/** Copies `template`'s session row for each user (new id, passport.user changed, no CSRF token). Returns cookies by user id. */
export async function mintSessions(pool: Pool, template: LoggedIn, users: SeedUser[], secret: string): Promise<Map<number, string>> {
  const sid = sidOf(template.cookie.slice(SESSION_COOKIE.length + 1));
  const { rows } = await pool.query<{ sess: Record<string, unknown>; expire: Date }>("SELECT sess, expire FROM session WHERE sid = $1", [sid]);
  if (!rows.length) throw new Error("template session row not found");
  const { sess, expire } = rows[0];
  const sids: string[] = [];
  const bodies: string[] = [];
  const cookies = new Map<number, string>();
  for (const u of users) {
    const newSid = crypto.randomBytes(24).toString("base64url");
    const copy: Record<string, unknown> = { ...sess, passport: { user: u.id } };
    delete copy.csrfToken;
    delete copy.flash;
    sids.push(newSid);
    bodies.push(JSON.stringify(copy));
    cookies.set(u.id, `${SESSION_COOKIE}=${signedCookieValue(newSid, secret)}`);
  }
  await pool.query(
    "INSERT INTO session (sid, sess, expire) SELECT s, b::json, $3 FROM unnest($1::text[], $2::text[]) AS x(s, b)",
    [sids, bodies, expire],
  );
  return cookies;
}
