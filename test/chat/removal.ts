// Helpers for the removal tests: a socket that can be recovered, a dropped transport, and the full list of
// events a non-member must be refused.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { io as connectIo, type Socket } from "socket.io-client";
import { postForm, type Agent } from "../helpers/agent";
import { ask, cookieOf, next, type Ack } from "./helpers";

export const send = (s: Socket, chatId: number, text: string): Promise<Ack> =>
  ask(s, "chat:message", { chatId, text, clientId: crypto.randomUUID() });

/**
 * A socket (at `url`: an app or a balancer in front of several) that has joined the chat and received a broadcast:
 * recovery resumes from the offset of the last broadcast a client got, so before one there is nothing to recover.
 */
export async function joinedWithOffset(url: string, a: Agent, chatId: number): Promise<Socket> {
  const s = connectIo(url, { transports: ["websocket"], extraHeaders: { cookie: cookieOf(a), origin: url }, reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    s.once("connect", resolve);
    s.once("connect_error", reject);
  });
  const present = next(s, "chat:presence", (p: { chatId: number }) => p.chatId === chatId);
  assert.deepEqual(await ask(s, "chat:join", { chatId }), { ok: true });
  await present;
  return s;
}

/** Every event that arrives for the chat, in order, as [event, payload]. */
export function chatEventsOf(s: Socket, chatId: number): [string, unknown][] {
  const seen: [string, unknown][] = [];
  s.onAny((event: string, payload: { chatId?: number } | undefined) => {
    if (payload?.chatId === chatId) seen.push([event, payload]);
  });
  return seen;
}

/** The network goes away under the client (as on a phone): the server sees a transport close, which is recoverable. */
export async function dropTransport(s: Socket, cut: () => void = () => s.io.engine.close()): Promise<void> {
  const gone = new Promise((resolve) => s.once("disconnect", resolve));
  cut();
  await gone;
}

/** Reconnects with the socket's pid and offset, as socket.io-client does by itself after a drop. */
export async function reconnect(s: Socket): Promise<void> {
  const back = new Promise<void>((resolve, reject) => {
    s.once("connect", resolve);
    s.once("connect_error", reject);
  });
  s.connect();
  await back;
}

export async function removeMember(creator: Agent, chatId: number, memberId: number): Promise<void> {
  const res = await postForm(creator, `/chats/${chatId}/members/${memberId}/remove`, {}, `/chats/${chatId}/settings`);
  assert.equal(res.status, 303);
}

/** Every client->server event about the chat is refused as if the chat did not exist (reading it moves nothing). */
export async function refusesEverything(s: Socket, chatId: number): Promise<void> {
  const refused = { ok: false, error: "Chat not found.", code: "not_found" };
  assert.deepEqual(await ask(s, "chat:join", { chatId }), refused, "chat:join");
  assert.deepEqual(await ask(s, "chat:typing", { chatId, typing: true }), refused, "chat:typing");
  assert.deepEqual(await send(s, chatId, "am I still in?"), refused, "chat:message");
  assert.deepEqual(await ask(s, "chat:sync", { chatId, afterId: 0 }), refused, "chat:sync");
  assert.deepEqual(await ask(s, "chat:read", { chatId, messageId: 2147483000 }), { ok: true, total: null }, "chat:read");
  // Changes to the chat's messages: refused before any message is looked at (any id is the same answer).
  assert.deepEqual(await ask(s, "chat:sync", { chatId, afterId: 0, sinceVersion: 0 }), refused, "chat:sync with changes");
  assert.deepEqual(await ask(s, "chat:edit", { chatId, messageId: 1, text: "edited?", clientId: crypto.randomUUID() }), refused, "chat:edit");
  assert.deepEqual(await ask(s, "chat:delete", { chatId, messageId: 1 }), refused, "chat:delete");
  assert.deepEqual(await ask(s, "chat:react", { chatId, messageId: 1, emoji: "👍", on: true }), refused, "chat:react");
}
