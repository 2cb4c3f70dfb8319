// Messages: the chat page's history, "load older", what a reconnecting client missed, reading, and the one path
// every message takes (postMessage), whether it came from the HTML form or from a socket.
import { INT4_MAX } from "../db/sql";
import type { Translate } from "../i18n";
import { FieldError, notFound } from "../http/errors";
import { ChatMember } from "./chat-member.entity";
import { Chat } from "./chat.entity";
import { type AppServer, chatRoom, userRoom } from "./chat.events";
import { chatView, type LiveMessage, type MessageDto, toDto } from "./chat.presenter";
import type { MessageBudget } from "./message-budget";
import { Message, type MessageRow } from "./message.entity";

/** Messages per page of history (the first view and each "load older"). */
export const HISTORY_PAGE = 50;
/** Messages per chat:sync answer; the client asks again while hasMore is true. */
export const SYNC_LIMIT = 200;
const PREVIEW_CHARS = 120;

export interface PostOptions {
  /** Runs after the message is stored and before it is broadcast: the socket handler acks here. */
  onStored?: (message: LiveMessage, created: boolean) => void;
}

/** Up to `limit` rows and whether there were more (the query asked for one extra). */
function page(rows: MessageRow[], limit: number, extraAt: "start" | "end") {
  const hasMore = rows.length > limit;
  const kept = !hasMore ? rows : extraAt === "start" ? rows.slice(1) : rows.slice(0, limit);
  return { messages: kept.map(toDto), hasMore };
}

export class MessageService {
  /** Per chat, the tail of the messages being stored by this process (see postMessage). */
  private storing = new Map<number, Promise<unknown>>();

  constructor(
    private io: AppServer,
    private budget: MessageBudget,
  ) {}

  async assertMember(userId: number, chatId: number): Promise<void> {
    if (!(await ChatMember.isMember(userId, chatId))) throw notFound();
  }

  /**
   * The chat page: the newest page of history (or the page before `beforeId`); 404 for a non-member. Opening the
   * newest page marks the chat read; the user's other tabs get the new badge total, worked out from the total
   * their user row carried (no extra query).
   */
  async openChat(user: { id: number; unreadTotal?: number }, chatId: number, beforeId: number | null, t: Translate) {
    const row = await Chat.forMember(chatId, user.id);
    if (!row) throw notFound();
    const chat = chatView(row, user.id, t);
    const { messages, hasMore: hasOlder } = page(await Message.pageBefore(chatId, beforeId ?? INT4_MAX, HISTORY_PAGE + 1), HISTORY_PAGE, "start");
    let unreadTotal = user.unreadTotal ?? 0;
    const newest = messages.at(-1);
    if (beforeId === null && newest && newest.id > chat.lastReadMessageId) {
      await ChatMember.readThrough(chatId, user.id, newest.id);
      unreadTotal = Math.max(0, unreadTotal - chat.unread);
      this.io.to(userRoom(user.id)).emit("chat:unread", { chatId, unread: 0, total: unreadTotal });
    }
    return { chat, messages, hasOlder, unreadTotal };
  }

  /** "Load older": the page of history before a message id (keyset, so new messages never shift it). */
  async olderMessages(userId: number, chatId: number, beforeId: number): Promise<{ messages: MessageDto[]; hasMore: boolean }> {
    await this.assertMember(userId, chatId);
    return page(await Message.pageBefore(chatId, beforeId, HISTORY_PAGE + 1), HISTORY_PAGE, "start");
  }

  /** What a reconnecting client missed: messages after the last id it saw, oldest first. */
  async messagesAfter(userId: number, chatId: number, afterId: number): Promise<{ messages: MessageDto[]; hasMore: boolean }> {
    await this.assertMember(userId, chatId);
    return page(await Message.pageAfter(chatId, afterId, SYNC_LIMIT + 1), SYNC_LIMIT, "end");
  }

  /**
   * Stores a message from a member (Message.store), then (after onStored) broadcasts it to the chat's room and
   * raises the unread badges of the other members' sockets that are not in that room. Non-members get a 404 and
   * nothing is stored; a sender past their message budget (every socket, form and process together) gets TooFast.
   * Within this process one chat's messages are stored one at a time (they would queue on the chat row's lock
   * anyway), so this process broadcasts them in id order.
   */
  async postMessage(
    senderId: number,
    chatId: number,
    text: string,
    clientId: string | null,
    options: PostOptions = {},
  ): Promise<{ message: LiveMessage; created: boolean }> {
    await this.budget.spend(senderId);
    const run = (this.storing.get(chatId) ?? Promise.resolve()).then(() => this.store(senderId, chatId, text, clientId, options));
    const tail = run.catch(() => {});
    this.storing.set(chatId, tail);
    void tail.then(() => {
      if (this.storing.get(chatId) === tail) this.storing.delete(chatId);
    });
    return run;
  }

  private async store(
    senderId: number,
    chatId: number,
    text: string,
    clientId: string | null,
    { onStored }: PostOptions,
  ): Promise<{ message: LiveMessage; created: boolean }> {
    const row = await Message.store(chatId, senderId, text, clientId);
    if (!row.allowed) throw notFound();
    if (row.id === null) {
      // A retry of a message already stored: same answer as the first time, nothing broadcast.
      const stored = clientId ? await Message.byClientId(senderId, clientId) : null;
      // The same client id reused for another chat is a client bug, never a reason to reveal that message.
      if (!stored || stored.chat_id !== chatId) throw new FieldError("clientId", "chat.errors.client_id_used");
      const message = toDto(stored);
      onStored?.(message, false);
      return { message, created: false };
    }
    const message: LiveMessage = { ...toDto(row), prevId: row.prev_id ?? 0 };
    onStored?.(message, true);
    this.io.to(chatRoom(chatId)).emit("chat:message", message);
    const others = row.others ?? [];
    if (others.length) {
      // A socket in the chat room already has the message, and chat.js counts it as unread there (when the tab
      // is hidden): sending it chat:unread too would double the packets of every message to a big chat. The
      // exception is per socket, so the same person's tabs on other pages still get it.
      this.io.to(others.map(userRoom)).except(chatRoom(chatId)).emit("chat:unread", {
        chatId,
        messageId: message.id,
        delta: 1,
        group: row.is_group === true,
        from: message.username,
        text: message.text.slice(0, PREVIEW_CHARS),
      });
    }
    return { message, created: true };
  }

  /**
   * Moves the reader's position forward (never back, never past the chat's newest message) and, if it moved,
   * tells the user's tabs their new badge total.
   */
  async markRead(userId: number, chatId: number, messageId: number): Promise<number | null> {
    if (!(await ChatMember.markRead(chatId, userId, messageId))) return null;
    const total = await ChatMember.unreadTotal(userId);
    this.io.to(userRoom(userId)).emit("chat:unread", { chatId, unread: 0, total });
    return total;
  }
}
