// /media: every stored file is authorized before it is sent (issue #18, "private means private"). Mounted before
// the session middleware: the session id is read from the signed cookie and checked inside the one statement
// that finds the image (Image.mediaAccess), so a media request costs one indexed lookup and never writes a session.
import type { RequestHandler } from "express";
import { unsign } from "cookie-signature";
import type { Config } from "../config";
import { notFound } from "../http/errors";
import { SESSION_COOKIE } from "../http/session";
import { mediaPath } from "./media-files";

// Only names this feature writes: two hex shard directories, a 128-bit random hex name, .webp. Anything else
// (dotfiles such as .tmp, "..", encoded variants, other extensions) is a 404 before the database is asked.
const MEDIA_FILE = /^\/([0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}(\.thumb)?\.webp)$/;

/**
 * Browsers may keep a file this long (seconds), shared caches never (private): a deleted photo, or one whose
 * viewer lost access (left the chat, logged out), is gone from everyone else within a minute, while a gallery
 * page revisited at once does not ask again for its thumbnails.
 */
export const MEDIA_MAX_AGE = 60;

export type MediaAccess = (rel: string, sid: string | null) => Promise<unknown>;

/** The session id in a request's signed session cookie, or null (no cookie, or a signature that does not match). */
export function sessionIdOf(cookieHeader: string | undefined, secret: string): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null;
    }
    if (!value.startsWith("s:")) return null;
    return unsign(value.slice(2), secret) || null;
  }
  return null;
}

/**
 * Sends a stored file to whoever `access` allows, else 404 (the same answer for a file that does not exist, so
 * nobody learns which names are real). With MEDIA_ACCEL_REDIRECT set (nginx in front, docker-compose.yml) the
 * app only answers yes with an internal redirect and nginx sends the bytes.
 */
export function mediaHandler(config: Config, secret: string, access: MediaAccess): RequestHandler {
  const headers = {
    "Cache-Control": `private, max-age=${MEDIA_MAX_AGE}`,
    "Content-Type": "image/webp",
    "X-Content-Type-Options": "nosniff",
  };
  return async (req, res, next) => {
    const m = MEDIA_FILE.exec(req.path);
    if ((req.method !== "GET" && req.method !== "HEAD") || !m) return next(notFound());
    const rel = m[1];
    if (!(await access(rel, sessionIdOf(req.headers.cookie, secret)))) return next(notFound());
    if (config.mediaAccelRedirect) {
      res.set(headers).set("X-Accel-Redirect", `${config.mediaAccelRedirect}${rel}`).end();
      return;
    }
    const full = mediaPath(config.mediaRoot, rel);
    if (!full) return next(notFound());
    res.sendFile(full, { headers, cacheControl: false, dotfiles: "deny" }, (err) => {
      if (err && !res.headersSent) next(notFound());
    });
  };
}
