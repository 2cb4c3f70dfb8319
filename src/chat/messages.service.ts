// Messages: the chat page's history, "load older", what a reconnecting client missed and reading, in this file;
// sending (message-posting.service.ts), edits, deletions and reactions (message-changes.service.ts) and search
// (message-search.service.ts) are parts of their own that MessageService hands its callers as its own methods.
import type { ImagesService } from "../gallery/images.service";
import { INT4_MAX } from "../db/sql";
import type { Translate } from "../i18n";
import { notFound } from "../http/errors";
import { ChatMember } from "./chat-member.entity";
import { Chat } from "./chat.entity";
import { type AppServer, chatRoom, userRoom } from "./chat.events";
import { chatView, type MessageDto, toDto } from "./chat.presenter";
import type { MessageBudget } from "./message-budget";
import { MessageChanges, noSuchMessage } from "./message-changes.service";
import { MessagePosting } from "./message-posting.service";
import { searchMessages } from "./message-search.service";
import { Message, type MessageRow } from "./message.entity";

/** Messages per page of history (the first view and each "load older"). */
export const HISTORY_PAGE = 50;
/** Messages per chat:sync answer; the client asks again while hasMore is true. */
export const SYNC_LIMIT = 200;

/** Messages each side of the one a link points at (a search result, a reply's quote): its context. */
export const AROUND = 25;

export type { PostOptions } from "./message-posting.service";
export { SEARCH_PAGE } from "./message-search.service";

/** Up to `limit` rows and whether there were more (the query asked for one extra). */
function page(rows: MessageRow[], limit: number, extraAt: "start" | "end") {
  const hasMore = rows.length > limit;
  const kept = !hasMore ? rows : extraAt === "start" ? rows.slice(1) : rows.slice(0, limit);
  return { messages: kept.map(toDto), hasMore };
}

export class MessageService {
  /** Sending (message-posting.service.ts): the one path every message takes. */
  readonly postMessage: MessagePosting["postMessage"];
  // Edits, deletions and reactions (message-changes.service.ts).
  readonly editMessage: MessageChanges["editMessage"];
  readonly deleteMessage: MessageChanges["deleteMessage"];
  readonly react: MessageChanges["react"];
  /** Search across the user's chats (message-search.service.ts). */
  readonly search = searchMessages;

  constructor(
    private io: AppServer,
    budget: MessageBudget,
    /** How long after sending a message its author may edit it (CHAT_EDIT_WINDOW_HOURS). */
    readonly editWindowMs: number,
    /** Stores a message's photos through the gallery's pipeline, and removes them with it. */
    images: ImagesService,
  ) {
    // One of each per service: the per-chat storing order lives in this process's MessagePosting.
    const posting = new MessagePosting(io, budget, images);
    const changes = new MessageChanges(io, editWindowMs, images);
    this.postMessage = posting.postMessage.bind(posting);
    this.editMessage = changes.editMessage.bind(changes);
    this.deleteMessage = changes.deleteMessage.bind(changes);
    this.react = changes.react.bind(changes);
  }

  async assertMember(userId: number, chatId: number): Promise<void> {
    if (!(await ChatMember.isMember(userId, chatId))) throw notFound();
  }

  /**
   * The chat page: the newest page of history (or the page before `beforeId`); 404 for a non-member. Opening the
   * newest page marks the chat read; the user's other tabs get the new badge total, worked out from the total
   * their user row carried (no extra query).
   */
  async openChat(
    user: { id: number; unreadTotal?: number; unreadMentionChats?: number[] },
    chatId: number,
    at: { beforeId: number | null; aroundId?: number | null },
    t: Translate,
  ) {
    const row = await Chat.forMember(chatId, user.id);
    if (!row) throw notFound();
    const chat = chatView(row, user.id, t);
    const aroundId = at.aroundId ?? null;
    let { messages, hasMore: hasOlder } = page(
      await Message.pageBefore(chatId, aroundId !== null ? aroundId + 1 : at.beforeId ?? INT4_MAX, (aroundId !== null ? AROUND : HISTORY_PAGE) + 1),
      aroundId !== null ? AROUND : HISTORY_PAGE,
      "start",
    );
    let hasNewer = false;
    if (aroundId !== null) {
      // A message and its context: the messages before it (above) and after it (here).
      const after = page(await Message.pageAfter(chatId, aroundId, AROUND + 1), AROUND, "end");
      messages = [...messages, ...after.messages];
      hasNewer = after.hasMore;
    }
    let unreadTotal = user.unreadTotal ?? 0;
    let mentionChats = user.unreadMentionChats ?? [];
    const newest = messages.at(-1);
    if (at.beforeId === null && aroundId === null && newest && newest.id > chat.lastReadMessageId) {
      await ChatMember.readThrough(chatId, user.id, newest.id);
      // A muted chat's unread was never part of the total; read to its newest, no mention in it is unread.
      if (!chat.muted) unreadTotal = Math.max(0, unreadTotal - chat.unread);
      mentionChats = mentionChats.filter((id) => id !== chatId);
      this.io.to(userRoom(user.id)).emit("chat:unread", { chatId, unread: 0, total: unreadTotal, mentionChats });
      this.io.to(chatRoom(chatId)).emit("chat:seen", { chatId, userId: user.id, messageId: newest.id });
    }
    return { chat, messages, hasOlder, hasNewer, unreadTotal, mentionChats };
  }

  /** A message of the chat as its member sees it (a reply's quote), or 404. */
  async quoteOf(userId: number, chatId: number, messageId: number): Promise<MessageDto> {
    await this.assertMember(userId, chatId);
    const row = await Message.view(messageId);
    if (!row || row.chat_id !== chatId) throw noSuchMessage();
    return toDto(row);
  }

  /** "Load older": the page of history before a message id (keyset, so new messages never shift it). */
  async olderMessages(userId: number, chatId: number, beforeId: number): Promise<{ messages: MessageDto[]; hasMore: boolean }> {
    await this.assertMember(userId, chatId);
    return page(await Message.pageBefore(chatId, beforeId, HISTORY_PAGE + 1), HISTORY_PAGE, "start");
  }

  /**
   * What a reconnecting client missed: messages after the last id it saw, oldest first, and (given the chat's
   * change number it last synced to) the changes to the messages it has, in the server's order, with the change
   * number to ask from next time. Each change carries its message whole (as it is now, with its version), so
   * applying one twice or late changes nothing.
   */
  async messagesAfter(
    userId: number,
    chatId: number,
    afterId: number,
    sinceVersion: number | null = null,
  ): Promise<{ messages: MessageDto[]; hasMore: boolean; changes?: MessageDto[]; version?: number }> {
    await this.assertMember(userId, chatId);
    const fresh = page(await Message.pageAfter(chatId, afterId, SYNC_LIMIT + 1), SYNC_LIMIT, "end");
    if (sinceVersion === null) return fresh;
    const changed = page(await Message.changedSince(chatId, sinceVersion, afterId, SYNC_LIMIT + 1), SYNC_LIMIT, "end");
    return {
      messages: fresh.messages,
      hasMore: fresh.hasMore || changed.hasMore,
      changes: changed.messages,
      version: Math.max(sinceVersion, ...changed.messages.map((m) => m.version)),
    };
  }

  /**
   * Moves the reader's position forward (never back, never past the chat's newest message) and, if it moved,
   * tells the user's tabs their new badge total.
   */
  async markRead(userId: number, chatId: number, messageId: number): Promise<number | null> {
    const readTo = await ChatMember.markRead(chatId, userId, messageId);
    if (readTo === null) return null;
    const { total, mentionChats } = await ChatMember.unreadState(userId);
    this.io.to(userRoom(userId)).emit("chat:unread", { chatId, unread: 0, total, mentionChats });
    // "Seen" for the others with the chat open: who read how far.
    this.io.to(chatRoom(chatId)).emit("chat:seen", { chatId, userId, messageId: readTo });
    return total;
  }
}
