// Chat over socket.io. The handshake already proved who the socket is (src/realtime.ts); here every join,
// sync and message is checked against chat membership in the database, and messages are stored through
// the same ChatService.postMessage as the HTML form. Sender, chat and time always come from the server.
import type { IncomingMessage } from "node:http";
import type { Server, Socket } from "socket.io";
import type { z } from "zod";
import type { User } from "../auth/user.entity";
import type { AppDeps } from "../deps";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { HttpError, notFound } from "../http/errors";
import { vetRecoveredSessions, type RecoveredSession } from "../realtime";
import { ChatMember } from "./chat-member.entity";
import { joinPayload, messagePayload, readPayload, syncPayload, typingPayload } from "./chat.schemas";
import { chatRoom, chatServiceFor } from "./chat.service";
import { TooFast } from "./message-budget";

export type Ack = (answer: { ok: boolean; error?: string; code?: string; [k: string]: unknown }) => void;

const CHAT_ROOM = /^chat:(\d+)$/;
const chatIdOf = (room: string) => Number(CHAT_ROOM.exec(room)?.[1] ?? NaN);
const chatRoomsOf = (rooms: Iterable<string>) => [...rooms].filter((r) => CHAT_ROOM.test(r));

/** The chats among `rooms` that `userId` is no longer a member of (one query, however many rooms). */
async function lostChats(userId: number | undefined, rooms: Iterable<string>): Promise<number[]> {
  const chatIds = chatRoomsOf(rooms).map(chatIdOf);
  if (!chatIds.length) return [];
  const kept = typeof userId === "number" ? await ChatMember.memberChatIds(userId, chatIds) : new Set<number>();
  return chatIds.filter((id) => !kept.has(id));
}

/**
 * A recovered session gets back only the chat rooms its user is still a member of, and of the other chats none of
 * the events sent while it was away, only the notice that it lost them (added when the removal's own notice is
 * not among them). Removal, leaving, a deleted chat or user: whatever ended the membership while this socket was
 * disconnected, the database says so now.
 */
async function vetRecovered(session: RecoveredSession): Promise<void> {
  const lost = new Set(await lostChats((session.data as SocketData).userId, session.rooms));
  if (!lost.size) return;
  session.rooms = session.rooms.filter((room) => !lost.has(chatIdOf(room)));
  const told = new Set<number>();
  session.missedPackets = session.missedPackets.filter((packet) => {
    const [event, payload] = packet as [string, { chatId?: unknown } | undefined];
    const chatId = Number(payload?.chatId);
    if (!lost.has(chatId)) return true;
    if (event === "chat:removed") told.add(chatId);
    return event === "chat:removed";
  });
  for (const chatId of lost) if (!told.has(chatId)) session.missedPackets.push(["chat:removed", { chatId }]);
}

interface SocketData {
  userId?: number;
  username?: string;
}

/** Any socket event beyond this per connection and window is refused and the socket dropped: the database's guard. */
const EVENTS_PER_10S_MIN = 200;

function refusal(err: unknown): { ok: false; error: string; code: string } | null {
  if (!(err instanceof HttpError) || err.status >= 500) return null;
  if (err.status === 404) return { ok: false, error: "Chat not found.", code: "not_found" };
  if (err.status === 429) return { ok: false, error: err.message, code: "rate_limited" };
  return { ok: false, error: err.message, code: "invalid" };
}

export function registerChatSocket(io: Server, deps: AppDeps): void {
  const chats = chatServiceFor(deps, io);
  const events = new RateLimiterMemory({ points: Math.max(EVENTS_PER_10S_MIN, deps.config.rateLimits.chatPer10s * 10), duration: 10 });
  vetRecoveredSessions(io, vetRecovered);

  io.on("connection", (socket: Socket) => {
    const user = (socket.request as IncomingMessage & { user?: User }).user;
    if (!user) return; // src/realtime.ts has already disconnected it
    const userId = user.id;
    socket.data.username = user.username;

    /** This socket is in a chat's room though its user is no longer a member: out, and the page is told. */
    const drop = (chatId: number) => {
      socket.leave(chatRoom(chatId));
      socket.emit("chat:removed", { chatId });
    };

    // The rooms were vetted when the session was restored; a removal that committed in between (its eviction
    // found no socket to reach yet) is caught here, once the socket is connected and reachable.
    if (socket.recovered) {
      lostChats(userId, socket.rooms)
        .then((lost) => lost.forEach(drop))
        .catch((err: unknown) => {
          deps.logger.error({ err, userId }, "could not check a recovered socket's chats");
          socket.disconnect(true);
        });
    }

    // The handshake loaded the user row with its unread total, so the badge is fresh after every (re)connect
    // without a query of its own.
    socket.emit("chat:unread", { total: user.unreadTotal ?? 0 });

    const inflight = new Set<Promise<void>>();

    /** Validates the payload, runs the handler, and turns refusals into error acks (never an unhandled rejection). */
    function on<S extends z.ZodType>(event: string, schema: S, handler: (data: z.output<S>, reply: Ack) => Promise<void>) {
      socket.on(event, async (payload: unknown, ack?: unknown) => {
        const reply: Ack = typeof ack === "function" ? (ack as Ack) : () => {};
        if (!(await events.consume(socket.id).then(() => true, () => false))) {
          reply({ ok: false, error: "Too many requests.", code: "rate_limited" });
          // What was accepted within the budget is still answered; then the connection ends.
          void Promise.allSettled([...inflight]).then(() => socket.disconnect(true));
          return;
        }
        const parsed = schema.safeParse(payload);
        if (!parsed.success) {
          reply({ ok: false, error: parsed.error.issues[0]?.message ?? "Bad request.", code: "invalid" });
          return;
        }
        const done = handler(parsed.data, reply).catch((err: unknown) => {
          const refused = refusal(err);
          if (err instanceof TooFast && err.flooding) {
            deps.logger.warn({ userId }, "chat socket disconnected for flooding");
            reply(refused!);
            socket.disconnect(true);
            return;
          }
          // Every chat event checks membership: a socket still in a room it has no right to leaves it.
          const { chatId } = parsed.data as { chatId?: number };
          if (err instanceof HttpError && err.status === 404 && chatId && socket.rooms.has(chatRoom(chatId))) drop(chatId);
          if (refused) return reply(refused);
          deps.logger.error({ err, event, userId }, "chat socket handler failed");
          reply({ ok: false, error: "Something went wrong. Please try again.", code: "server" });
        });
        inflight.add(done);
        void done.finally(() => inflight.delete(done));
      });
    }

    on("chat:join", joinPayload, async ({ chatId }, reply) => {
      await chats.assertMember(userId, chatId);
      await socket.join(chatRoom(chatId));
      reply({ ok: true });
      chats.broadcastPresence(chatId);
    });

    on("chat:leave", joinPayload, async ({ chatId }, reply) => {
      await socket.leave(chatRoom(chatId));
      reply({ ok: true });
      chats.broadcastPresence(chatId);
    });

    // One socket's messages are stored one after another, so a fast sender's messages keep their order.
    let queue: Promise<unknown> = Promise.resolve();
    on("chat:message", messagePayload, ({ chatId, text, clientId }, reply) => {
      const next = queue.then(() =>
        chats.postMessage(userId, chatId, text, clientId, { onStored: (message) => reply({ ok: true, message }) }),
      );
      queue = next.catch(() => {});
      return next.then(() => {});
    });

    on("chat:sync", syncPayload, async ({ chatId, afterId }, reply) => {
      reply({ ok: true, ...(await chats.messagesAfter(userId, chatId, afterId)) });
    });

    on("chat:read", readPayload, async ({ chatId, messageId }, reply) => {
      reply({ ok: true, total: await chats.markRead(userId, chatId, messageId) });
    });

    // Typing goes only to a chat this socket joined, from a member: the room alone is not proof, as a removal
    // cannot reach a socket that is reconnecting at that moment.
    on("chat:typing", typingPayload, async ({ chatId, typing }, reply) => {
      if (!socket.rooms.has(chatRoom(chatId))) throw notFound();
      await chats.assertMember(userId, chatId);
      socket.to(chatRoom(chatId)).emit("chat:typing", { chatId, userId, username: user.username, typing });
      reply({ ok: true });
    });

    socket.on("disconnecting", () => {
      const rooms = [...socket.rooms].filter((r) => r.startsWith("chat:"));
      if (!rooms.length) return;
      socket.once("disconnect", () => {
        for (const room of rooms) chats.broadcastPresence(Number(room.slice("chat:".length)));
      });
    });
  });
}
