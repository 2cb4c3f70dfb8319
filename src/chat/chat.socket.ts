// Chat over socket.io. The handshake already proved who the socket is (src/realtime.ts); here every join,
// sync and message is checked against chat membership in the database, and messages are stored through
// the same ChatService.postMessage as the HTML form. Sender, chat and time always come from the server.
import type { IncomingMessage } from "node:http";
import type { Server, Socket } from "socket.io";
import type { z } from "zod";
import type { User } from "../auth/user.entity";
import type { AppDeps } from "../deps";
import { HttpError, notFound } from "../http/errors";
import { joinPayload, messagePayload, readPayload, syncPayload, typingPayload } from "./chat.schemas";
import { chatRoom, chatServiceFor } from "./chat.service";

const WINDOW_MS = 10_000;

export type Ack = (answer: { ok: boolean; error?: string; code?: string; [k: string]: unknown }) => void;

/**
 * A fixed ten-second window per socket. Up to `perWindow` messages pass; more get an error ack; a client
 * that keeps going to twice the limit is flooding and is disconnected. Other events (typing, sync, join)
 * share a generous budget of their own, so they cannot be used to hammer the database either.
 */
export class FloodBudget {
  private windowStart = 0;
  private messages = 0;
  private events = 0;
  constructor(
    private perWindow: number,
    private eventsPerWindow = Math.max(200, perWindow * 10),
  ) {}

  private roll(now: number) {
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.messages = 0;
      this.events = 0;
    }
  }

  message(now = Date.now()): "ok" | "limited" | "flooding" {
    this.roll(now);
    this.messages += 1;
    if (this.messages <= this.perWindow) return "ok";
    return this.messages > 2 * this.perWindow ? "flooding" : "limited";
  }

  event(now = Date.now()): boolean {
    this.roll(now);
    this.events += 1;
    return this.events <= this.eventsPerWindow;
  }
}

function refusal(err: unknown): { ok: false; error: string; code: string } | null {
  if (!(err instanceof HttpError) || err.status >= 500) return null;
  if (err.status === 404) return { ok: false, error: "Chat not found.", code: "not_found" };
  return { ok: false, error: err.message, code: "invalid" };
}

export function registerChatSocket(io: Server, deps: AppDeps): void {
  const chats = chatServiceFor(deps.pool, io);
  const perWindow = deps.config.rateLimits.chatPer10s;

  io.on("connection", (socket: Socket) => {
    const user = (socket.request as IncomingMessage & { user?: User }).user;
    if (!user) return; // src/realtime.ts has already disconnected it
    const userId = user.id;
    socket.data.username = user.username;
    const budget = new FloodBudget(perWindow);

    // The handshake loaded the user row with its unread total, so the badge is fresh after every (re)connect
    // without a query of its own.
    socket.emit("chat:unread", { total: user.unreadTotal ?? 0 });

    /** Validates the payload, runs the handler, and turns refusals into error acks (never an unhandled rejection). */
    function on<S extends z.ZodType>(event: string, schema: S, handler: (data: z.output<S>, reply: Ack) => Promise<void>, counts?: "message") {
      socket.on(event, (payload: unknown, ack?: unknown) => {
        const reply: Ack = typeof ack === "function" ? (ack as Ack) : () => {};
        if (!budget.event()) {
          reply({ ok: false, error: "Too many requests.", code: "rate_limited" });
          socket.disconnect(true);
          return;
        }
        if (counts === "message") {
          const verdict = budget.message();
          if (verdict !== "ok") {
            reply({ ok: false, error: "You are sending messages too fast. Wait a few seconds.", code: "rate_limited" });
            if (verdict === "flooding") {
              deps.logger.warn({ userId }, "chat socket disconnected for flooding");
              socket.disconnect(true);
            }
            return;
          }
        }
        const parsed = schema.safeParse(payload);
        if (!parsed.success) {
          reply({ ok: false, error: parsed.error.issues[0]?.message ?? "Bad request.", code: "invalid" });
          return;
        }
        handler(parsed.data, reply).catch((err: unknown) => {
          const refused = refusal(err);
          if (refused) return reply(refused);
          deps.logger.error({ err, event, userId }, "chat socket handler failed");
          reply({ ok: false, error: "Something went wrong. Please try again.", code: "server" });
        });
      });
    }

    on("chat:join", joinPayload, async ({ chatId }, reply) => {
      if (!(await chats.isMember(userId, chatId))) throw notFound();
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
    on(
      "chat:message",
      messagePayload,
      ({ chatId, text, clientId }, reply) => {
        const next = queue.then(() =>
          chats.postMessage(userId, chatId, text, clientId, { onStored: (message) => reply({ ok: true, message }) }),
        );
        queue = next.catch(() => {});
        return next.then(() => {});
      },
      "message",
    );

    on("chat:sync", syncPayload, async ({ chatId, afterId }, reply) => {
      reply({ ok: true, ...(await chats.messagesAfter(userId, chatId, afterId)) });
    });

    on("chat:read", readPayload, async ({ chatId, messageId }, reply) => {
      reply({ ok: true, total: await chats.markRead(userId, chatId, messageId) });
    });

    // Typing goes only to a chat this socket joined (membership was checked then; removal leaves the room).
    on("chat:typing", typingPayload, async ({ chatId, typing }, reply) => {
      if (!socket.rooms.has(chatRoom(chatId))) throw notFound();
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
