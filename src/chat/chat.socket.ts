// Chat over socket.io. The handshake already proved who the socket is (src/realtime.ts); here every event is
// checked against chat membership in the database, and messages are stored through the same
// MessageService.postMessage as the HTML form. Sender, chat and time always come from the server.
// The events and their payloads are declared in chat.events.ts.
import type { IncomingMessage } from "node:http";
import { RateLimiterMemory } from "rate-limiter-flexible";
import type { z } from "zod";
import { readOnly, unverifiedRefusal } from "../auth/email-verification.routes";
import { User } from "../auth/user.entity";
import type { AppDeps } from "../deps";
import { HttpError, notFound } from "../http/errors";
import { translateMessage, translator, type Translate } from "../i18n";
import { vetRecoveredSessions, type RecoveredSession } from "./session-recovery";
import { ChatMember } from "./chat-member.entity";
import {
  type AppServer, type AppSocket, chatRoom, type ClientToServerEvents, type Refusal, type ServerToClientEvents,
} from "./chat.events";
import {
  deletePayload, editPayload, joinPayload, messagePayload, reactPayload, readPayload, syncPayload, typingPayload,
} from "./chat.schemas";
import { TooFast } from "./message-budget";
import { type ChatServices, chatServicesFor } from "./services";

/** Any socket event beyond this per connection and window is refused and the socket dropped: the database's guard. */
const EVENTS_PER_10S_MIN = 200;

const CHAT_ROOM = /^chat:(\d+)$/;
const chatIdOf = (room: string) => Number(CHAT_ROOM.exec(room)?.[1] ?? NaN);
const chatIdsIn = (rooms: Iterable<string>) => [...rooms].filter((r) => CHAT_ROOM.test(r)).map(chatIdOf);

/** The chats among `rooms` that `userId` is no longer a member of (one query, however many rooms). */
async function lostChats(userId: number | undefined, rooms: Iterable<string>): Promise<number[]> {
  const chatIds = chatIdsIn(rooms);
  if (!chatIds.length) return [];
  const kept = typeof userId === "number" ? await ChatMember.memberChatIds(userId, chatIds) : new Set<number>();
  return chatIds.filter((id) => !kept.has(id));
}

const REMOVED: keyof ServerToClientEvents = "chat:removed";

/**
 * A recovered session gets back only the chat rooms its user is still a member of, and of the other chats none of
 * the events sent while it was away, only the notice that it lost them (added when the removal's own notice is
 * not among them). Removal, leaving, a deleted chat or user: whatever ended the membership while this socket was
 * disconnected, the database says so now.
 */
async function vetRecovered(session: RecoveredSession): Promise<void> {
  const lost = new Set(await lostChats((session.data as { userId?: number }).userId, session.rooms));
  if (!lost.size) return;
  session.rooms = session.rooms.filter((room) => !lost.has(chatIdOf(room)));
  const told = new Set<number>();
  session.missedPackets = session.missedPackets.filter((packet) => {
    const [event, payload] = packet as [string, { chatId?: unknown } | undefined];
    const chatId = Number(payload?.chatId);
    if (!lost.has(chatId)) return true;
    if (event === REMOVED) told.add(chatId);
    return event === REMOVED;
  });
  for (const chatId of lost) if (!told.has(chatId)) session.missedPackets.push([REMOVED, { chatId }]);
}

/**
 * An error ack: `code` is what the page acts on and shows in its reader's language (chat.errors.<code>, embedded
 * with the page); `error` is the same in the account's saved language, for other clients and logs.
 */
function refusal(err: unknown, t: Translate): Refusal | null {
  if (!(err instanceof HttpError) || err.status >= 500) return null;
  if (err.status === 404 && err.message === "chat.errors.no_such_message") return { ok: false, error: err.text(t), code: "no_message" };
  if (err.status === 404 && err.message === "chat.errors.photo_gone") return { ok: false, error: err.text(t), code: "photo_gone" };
  if (err.status === 404) return { ok: false, error: t("chat.errors.not_found"), code: "not_found" };
  if (err.status === 429) return { ok: false, error: err.text(t), code: "rate_limited" };
  const code = CHANGE_REFUSALS[err.message] ?? "invalid";
  return { ok: false, error: err.text(t), code };
}

/** Refusals of a change the page says in its own words. */
const CHANGE_REFUSALS: Record<string, Refusal["code"]> = {
  "auth.verify.required": "unverified",
  "chat.errors.message_deleted": "deleted",
  "chat.errors.edit_window_over": "too_late",
};

type Event = keyof ClientToServerEvents;
/** The acknowledgement of an event, typed by its declaration in chat.events.ts. */
type AckOf<E extends Event> = Parameters<ClientToServerEvents[E]>[1];
type Reply = (answer: Refusal) => void;
type On = <E extends Event, S extends z.ZodType>(event: E, schema: S, handler: (data: z.output<S>, reply: AckOf<E>) => Promise<void>) => void;

interface Context {
  deps: AppDeps;
  chats: ChatServices;
  /** Per connection: every event counts, whatever it is. */
  events: RateLimiterMemory;
}

export function registerChatSocket(io: AppServer, deps: AppDeps): void {
  const ctx: Context = {
    deps,
    chats: chatServicesFor(deps, io),
    events: new RateLimiterMemory({ points: Math.max(EVENTS_PER_10S_MIN, deps.config.rateLimits.chatPer10s * 10), duration: 10 }),
  };
  vetRecoveredSessions(io, vetRecovered);
  io.on("connection", (socket) => {
    const user = (socket.request as IncomingMessage & { user?: User }).user;
    if (!user) return; // src/realtime.ts has already disconnected it
    connected(socket, user, ctx);
  });
}

function connected(socket: AppSocket, user: User, ctx: Context): void {
  socket.data.username = user.username;
  // The rooms were vetted when the session was restored; a removal that committed in between (its eviction
  // found no socket to reach yet) is caught here, once the socket is connected and reachable.
  if (socket.recovered) {
    lostChats(user.id, socket.rooms)
      .then((lost) => lost.forEach((chatId) => dropChat(socket, chatId)))
      .catch((err: unknown) => {
        ctx.deps.logger.error({ err, userId: user.id }, "could not check a recovered socket's chats");
        socket.disconnect(true);
      });
  }
  // The handshake loaded the user row with its unread total, so the badge is fresh after every (re)connect
  // without a query of its own.
  socket.emit("chat:unread", { total: user.unreadTotal ?? 0, mentionChats: user.unreadMentionChats ?? [] });
  handleEvents(socket, user, ctx.chats, guarded(socket, user.id, translator(user.locale ?? ""), ctx), changeGuard(ctx.deps, user.id));
  socket.on("disconnecting", () => {
    const chatIds = chatIdsIn(socket.rooms);
    if (chatIds.length) socket.once("disconnect", () => chatIds.forEach((id) => ctx.chats.presence.changed(id)));
  });
}

/** This socket is in a chat's room though its user is no longer a member: out, and the page is told. */
function dropChat(socket: AppSocket, chatId: number): void {
  void socket.leave(chatRoom(chatId));
  socket.emit("chat:removed", { chatId });
}

/**
 * The `on` of one socket: counts the event against the connection's budget, validates the payload, runs the
 * handler, and turns refusals into error acks (never an unhandled rejection).
 */
function guarded(socket: AppSocket, userId: number, t: Translate, { deps, events }: Context): On {
  const inflight = new Set<Promise<void>>();
  return (event, schema, handler) => {
    // Payloads are whatever a client sent: typed `unknown` here, and only the zod schema's output reaches the handler.
    const listen = socket.on.bind(socket) as (event: Event, listener: (payload: unknown, ack?: unknown) => void) => void;
    listen(event, async (payload, ack) => {
      const reply: Reply = typeof ack === "function" ? (ack as Reply) : () => {};
      if (!(await events.consume(socket.id).then(() => true, () => false))) {
        reply({ ok: false, error: t("chat.errors.rate_limited"), code: "rate_limited" });
        // What was accepted within the budget is still answered; then the connection ends.
        void Promise.allSettled([...inflight]).then(() => socket.disconnect(true));
        return;
      }
      const parsed = schema.safeParse(payload);
      if (!parsed.success) return reply({ ok: false, error: translateMessage(t, parsed.error.issues[0]?.message ?? "chat.errors.invalid"), code: "invalid" });
      const done = handler(parsed.data, reply as AckOf<typeof event>).catch((err: unknown) => {
        const refused = refusal(err, t);
        if (err instanceof TooFast && err.flooding) {
          deps.logger.warn({ userId }, "chat socket disconnected for flooding");
          reply(refused!);
          socket.disconnect(true);
          return;
        }
        // Every chat event checks membership: a socket still in a room it has no right to leaves it.
        const { chatId } = parsed.data as { chatId?: number };
        if (refused?.code === "not_found" && chatId && socket.rooms.has(chatRoom(chatId))) dropChat(socket, chatId);
        if (refused) return reply(refused);
        deps.logger.error({ err, event, userId }, "chat socket handler failed");
        reply({ ok: false, error: t("chat.errors.server"), code: "server" });
      });
      inflight.add(done);
      void done.finally(() => inflight.delete(done));
    });
  };
}

/**
 * UNVERIFIED_ACCOUNTS=read-only holds over the socket as over forms (restrictUnverified, the same rule): no message,
 * edit, deletion, reaction or typing until the address is confirmed; joining, reading and syncing stay open. The
 * row is read at each change, as each HTTP request reads its user: the address may be confirmed, or changed, while
 * the socket stays open. Under the other settings this costs nothing.
 */
function changeGuard({ config }: AppDeps, userId: number): () => Promise<void> {
  return async () => {
    if (config.unverifiedAccounts !== "read-only") return;
    if (readOnly(config, (await User.verificationOf(userId)) ?? undefined)) throw unverifiedRefusal();
  };
}

function handleEvents(socket: AppSocket, user: User, { messages, presence }: ChatServices, on: On, mayChange: () => Promise<void>): void {
  const userId = user.id;
  on("chat:join", joinPayload, async ({ chatId }, reply) => {
    await messages.assertMember(userId, chatId);
    await socket.join(chatRoom(chatId));
    // A removal that committed between the check and the join found no socket here to evict (its eviction may
    // come from another process): look once more now that the socket is in the room (a 404 takes it out again).
    await messages.assertMember(userId, chatId);
    reply({ ok: true });
    presence.changed(chatId);
  });

  on("chat:leave", joinPayload, async ({ chatId }, reply) => {
    await socket.leave(chatRoom(chatId));
    reply({ ok: true });
    presence.changed(chatId);
  });

  // One socket's messages are stored one after another, so a fast sender's messages keep their order.
  let queue: Promise<unknown> = Promise.resolve();
  on("chat:message", messagePayload, ({ chatId, text, clientId, replyToId, photoIds }, reply) => {
    // Photos from the sender's gallery are copied in (uploads come over HTTP: POST /chats/:id/photos).
    const photos = photoIds ? { galleryIds: photoIds } : undefined;
    const next = queue.then(mayChange).then(() =>
      messages.postMessage(userId, chatId, text, clientId, { replyToId, photos, onStored: (message) => reply({ ok: true, message }) }),
    );
    queue = next.catch(() => {});
    return next.then(() => {});
  });

  on("chat:sync", syncPayload, async ({ chatId, afterId, sinceVersion }, reply) => {
    reply({ ok: true, ...(await messages.messagesAfter(userId, chatId, afterId, sinceVersion ?? null)) });
  });

  // Changes go through the same service methods as the forms; each checks membership (and authorship) itself.
  on("chat:edit", editPayload, async ({ chatId, messageId, text, clientId }, reply) => {
    await mayChange();
    reply({ ok: true, message: await messages.editMessage(userId, chatId, messageId, text, clientId) });
  });

  on("chat:delete", deletePayload, async ({ chatId, messageId }, reply) => {
    await mayChange();
    reply({ ok: true, message: await messages.deleteMessage(userId, chatId, messageId) });
  });

  on("chat:react", reactPayload, async ({ chatId, messageId, emoji, on: add, clientId }, reply) => {
    await mayChange();
    reply({ ok: true, ...(await messages.react(userId, chatId, messageId, emoji, add, clientId ?? null)) });
  });

  on("chat:read", readPayload, async ({ chatId, messageId }, reply) => {
    reply({ ok: true, total: await messages.markRead(userId, chatId, messageId) });
  });

  // Typing goes only to a chat this socket joined, from a member: the room alone is not proof, as a removal
  // cannot reach a socket that is reconnecting at that moment.
  on("chat:typing", typingPayload, async ({ chatId, typing }, reply) => {
    if (!socket.rooms.has(chatRoom(chatId))) throw notFound();
    await mayChange();
    await messages.assertMember(userId, chatId);
    socket.to(chatRoom(chatId)).emit("chat:typing", { chatId, userId, username: user.username, typing });
    reply({ ok: true });
  });
}
