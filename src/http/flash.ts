// Flash messages in a signed cookie of their own, as Django's cookie message storage keeps them: adding a note
// (or any form POST that flashes) then writes nothing to the session, where the flash used to cost a session
// upsert on the POST and another when the next page took it (issue #21). The cookie travels with the 303 itself,
// so the page the browser is redirected to always has it: no waiting for a store before the redirect leaves.
// A logged-in user's flash is signed together with their session id, so it shows in that session only: a cookie
// planted from elsewhere (a sibling subdomain, a plain-http hop) with text another account got signed, such as a
// file name in "uploaded x", is not shown as this site's message to someone else, nor moved to another browser.
import crypto from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { translateMessage, type TParams } from "../i18n";

export type FlashType = "success" | "danger" | "info" | "warning";

/** Keys (or text not converted yet) and their parameters, translated when shown: a language switch in between shows the new language. */
export interface FlashMessage {
  type: FlashType;
  message: string;
  params?: TParams;
}

export const FLASH_COOKIE = "hromada.flash";
const TYPES: ReadonlySet<string> = new Set<FlashType>(["success", "danger", "info", "warning"]);
/** More would be a loop flashing without ever showing a page; the oldest go. Keeps the cookie far below 4 kB. */
const MAX_MESSAGES = 8;

interface FlashState {
  /** What the request's cookie carried (parsed on first use), plus what this request flashed, until a page takes them. */
  messages: FlashMessage[] | undefined;
  /** The request came with a flash cookie (so taking its messages must clear it). */
  hadCookie: boolean;
  sign(payload: string, binding: string): string;
  secure: boolean;
}

const STATE = Symbol("flash");
type WithFlash = Request & { [STATE]?: FlashState };

function cookieValue(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const at = header.indexOf(FLASH_COOKIE + "=");
  if (at < 0 || (at > 0 && header[at - 1] !== " " && header[at - 1] !== ";")) return undefined;
  const start = at + FLASH_COOKIE.length + 1;
  const end = header.indexOf(";", start);
  return header.slice(start, end < 0 ? undefined : end).trim();
}

const isFlash = (m: unknown): m is FlashMessage =>
  typeof m === "object" && m !== null && TYPES.has((m as FlashMessage).type) && typeof (m as FlashMessage).message === "string" &&
  ((m as FlashMessage).params === undefined || (typeof (m as FlashMessage).params === "object" && (m as FlashMessage).params !== null));

/**
 * What a flash is bound to: the session of a logged-in user; nothing for a visitor (who may have no stored
 * session, and whose session id may change between the redirect and the page, as at logout).
 */
const bindingOf = (req: Request): string => (req.user ? req.sessionID : "");

/** The messages of a cookie value whose signature holds, or [] (a tampered, foreign or garbled cookie is ignored). */
function verify(value: string, sign: (payload: string) => string): FlashMessage[] {
  const dot = value.lastIndexOf(".");
  if (dot <= 0) return [];
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(sign(payload));
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return [];
  try {
    const list: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return Array.isArray(list) ? list.filter(isFlash).slice(-MAX_MESSAGES) : [];
  } catch {
    return [];
  }
}

function state(req: Request): FlashState {
  const s = (req as WithFlash)[STATE];
  if (!s) throw new Error("flash(): the flashes middleware is not installed");
  return s;
}

function messagesOf(req: Request, s: FlashState): FlashMessage[] {
  if (!s.messages) {
    const value = cookieValue(req);
    s.hadCookie = value !== undefined;
    const binding = bindingOf(req);
    s.messages = value ? verify(value, (payload) => s.sign(payload, binding)) : [];
  }
  return s.messages;
}

/** Sets (or, with no messages, deletes) the flash cookie, replacing any this response already set. */
function writeCookie(req: Request, res: Response, s: FlashState, messages: FlashMessage[]): void {
  const prefix = FLASH_COOKIE + "=";
  const existing = res.getHeader("Set-Cookie");
  const others = (Array.isArray(existing) ? existing : existing === undefined ? [] : [String(existing)]).filter((c) => !c.startsWith(prefix));
  if (others.length) res.setHeader("Set-Cookie", others);
  else res.removeHeader("Set-Cookie");
  const options = { httpOnly: true, sameSite: "lax", secure: s.secure, path: "/" } as const;
  if (!messages.length) {
    res.clearCookie(FLASH_COOKIE, options);
    return;
  }
  const payload = Buffer.from(JSON.stringify(messages)).toString("base64url");
  // Already URL-safe (base64url and "."), so no encoding on top.
  res.cookie(FLASH_COOKIE, `${payload}.${s.sign(payload, bindingOf(req))}`, { ...options, encode: String });
}

/**
 * Installs the per-request flash state. The signing key is derived from the session secret (so rotating it also
 * invalidates pending flashes) and used for nothing else.
 */
export function flashes({ secret, secure }: { secret: string; secure: boolean }): RequestHandler {
  const key = crypto.createHmac("sha256", secret).update("hromada flash cookie").digest();
  // The binding goes first, ended by a byte a base64url payload never holds.
  const sign = (payload: string, binding: string) => crypto.createHmac("sha256", key).update(`${binding}\n${payload}`).digest("base64url");
  return (req, _res, next) => {
    (req as WithFlash)[STATE] = { messages: undefined, hadCookie: false, sign, secure };
    next();
  };
}

/**
 * A message for the next page: a translation key and its parameters (`flash(req, "success", "notes.added")`),
 * stored untranslated and translated when shown, so a language switch in between shows the new language.
 */
export function flash(req: Request, type: FlashType, message: string, params?: TParams): void {
  const s = state(req);
  const messages = messagesOf(req, s);
  messages.push(params ? { type, message, params } : { type, message });
  if (messages.length > MAX_MESSAGES) messages.splice(0, messages.length - MAX_MESSAGES);
  writeCookie(req, req.res!, s, messages);
}

/** The pending messages in the request's language, taken: the page that shows them clears the cookie. */
export function takeFlashes(req: Request): { type: FlashType; text: string }[] {
  const s = (req as WithFlash)[STATE];
  if (!s) return [];
  const messages = messagesOf(req, s);
  if (!messages.length && !s.hadCookie) return [];
  s.messages = [];
  s.hadCookie = false;
  if (!req.res!.headersSent) writeCookie(req, req.res!, s, []);
  return messages.map((f) => ({ type: f.type, text: translateMessage(req.t, f.message, f.params) }));
}
