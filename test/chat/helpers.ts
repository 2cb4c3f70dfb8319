// Helpers for the chat tests: session cookies for sockets, socket clients, chats made through the pages,
// and the SQL spy (test/helpers/sql-spy.ts), re-exported for the chat tests.
import assert from "node:assert/strict";
import { io as connectIo, type Socket } from "socket.io-client";
import type { TestApp } from "../helpers/app";
import { postForm, tokenFor, type Agent } from "../helpers/agent";

export function cookieOf(a: Agent): string {
  const jar = (a as unknown as { jar: { getCookie(n: string, o: object): { toValueString(): string } | undefined } }).jar;
  const c = jar.getCookie("hromada.sid", { domain: "127.0.0.1", path: "/", secure: false, script: false });
  assert.ok(c, "the agent has a session cookie");
  return c.toValueString();
}

export interface SocketOptions {
  cookie?: string;
  origin?: string | null;
}

/** A socket.io client as a browser on this site would open it (websocket, the session cookie, our Origin). */
export function socketFor(app: TestApp, { cookie, origin = app.url }: SocketOptions = {}): Socket {
  const headers: Record<string, string> = {};
  if (cookie) headers.cookie = cookie;
  if (origin) headers.origin = origin;
  return connectIo(app.url, { transports: ["websocket"], extraHeaders: headers, reconnection: false, forceNew: true, autoConnect: true });
}

/** Resolves once connected; rejects with the connect_error. */
export function connected(s: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (s.connected) return resolve(s);
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

export async function connect(app: TestApp, a: Agent): Promise<Socket> {
  return connected(socketFor(app, { cookie: cookieOf(a) }));
}

/** The next `event` whose payload passes `match`. */
export function next<T = Record<string, unknown>>(s: Socket, event: string, match: (p: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const handler = (p: T) => {
      if (!match(p)) return;
      s.off(event, handler);
      resolve(p);
    };
    s.on(event, handler);
  });
}

/** Records every payload of `event` from now on. */
export function collect<T = Record<string, unknown>>(s: Socket, event: string): T[] {
  const seen: T[] = [];
  s.on(event, (p: T) => seen.push(p));
  return seen;
}

export type Ack = { ok: boolean; error?: string; code?: string; message?: MessageLike; messages?: MessageLike[]; hasMore?: boolean; total?: number | null };
export interface MessageLike {
  id: number;
  chatId: number;
  userId: number;
  username: string;
  text: string;
  clientId: string | null;
  createdAt: string;
}

export function ask(s: Socket, event: string, payload: unknown): Promise<Ack> {
  return s.emitWithAck(event, payload) as Promise<Ack>;
}

export function closeAll(...sockets: (Socket | undefined)[]) {
  for (const s of sockets) s?.disconnect();
}

/** The chat id a chat form redirected to. */
export function chatIdFrom(res: { status: number; headers: Record<string, string>; text: string }): number {
  assert.equal(res.status, 303, `expected a redirect, got ${res.status}: ${res.text.slice(0, 500)}`);
  const m = /^\/chats\/(\d+)$/.exec(res.headers.location);
  assert.ok(m, `redirect to a chat, got ${res.headers.location}`);
  return Number(m[1]);
}

export async function openDirect(a: Agent, otherId: number): Promise<number> {
  return chatIdFrom(await postForm(a, "/chats/direct", { user_id: String(otherId) }, "/chats"));
}

export async function createGroup(a: Agent, name: string, members: string[]): Promise<number> {
  return chatIdFrom(await postForm(a, "/chats", { name, members: members.join(", ") }, "/chats/new"));
}

/** Sends a message through the plain HTML form (as with JavaScript off). */
export async function postMessage(a: Agent, chatId: number, text: string, extra: Record<string, string> = {}) {
  const token = await tokenFor(a, "/chats");
  return a.post(`/chats/${chatId}/messages`).type("form").send({ text, _csrf: token, ...extra });
}

export { recordStatements } from "../helpers/sql-spy";
