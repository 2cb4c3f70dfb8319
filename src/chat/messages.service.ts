// Messages: the chat page's history, "load older", what a reconnecting client missed, reading, and the one path
// every message takes (postMessage), whether it came from the HTML form or from a socket.
import fs from "node:fs/promises";
import type { EntityManager } from "typeorm";
import { Image } from "../gallery/image.entity";
import type { ImagesService, StagedPhotos, UploadFile } from "../gallery/images.service";
import { INT4_MAX } from "../db/sql";
import type { Translate } from "../i18n";
import { FieldError, HttpError, notFound } from "../http/errors";
import { PHOTOS_MAX } from "./chat.schemas";
import { ChatMember } from "./chat-member.entity";
import { Chat } from "./chat.entity";
import { type AppServer, chatRoom, type PreviewEvent, userRoom } from "./chat.events";
import { chatView, type LiveMessage, type MessageDto, type ReactionChange, type Reader, toDto } from "./chat.presenter";
import { excerpt, highlight, planSearch } from "../search/query";
import type { MessageBudget } from "./message-budget";
import { MessageReaction, type Reaction } from "./message-reaction.entity";
import { mentionedNames } from "./message-text";
import { type ChangedMessageRow, Message, type MessageRow, type StoredMessageRow } from "./message.entity";

/** Messages per page of history (the first view and each "load older"). */
export const HISTORY_PAGE = 50;
/** Messages per chat:sync answer; the client asks again while hasMore is true. */
export const SYNC_LIMIT = 200;
/** Search results per page. */
export const SEARCH_PAGE = 20;
const EXCERPT_CHARS = 240;

/** Messages each side of the one a link points at (a search result, a reply's quote): its context. */
export const AROUND = 25;
const PREVIEW_CHARS = 120;

/** No such message in this chat for you (someone else's, to edit or delete, looks the same): the chat itself stays open. */
const noSuchMessage = () => new HttpError(404, "chat.errors.no_such_message");

export interface PostOptions {
  /** The message this one answers (kept only when it is in the same chat). */
  replyToId?: number | null;
  /** Runs after the message is stored and before it is broadcast: the socket handler acks here. */
  onStored?: (message: LiveMessage, created: boolean) => void;
  /** Photos sent with it (the text is then an optional caption): uploads, and the sender's gallery photos to copy. */
  photos?: { files?: UploadFile[]; galleryIds?: number[] };
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
    /** How long after sending a message its author may edit it (CHAT_EDIT_WINDOW_HOURS). */
    readonly editWindowMs: number,
    /** Stores a message's photos through the gallery's pipeline, and removes them with it. */
    private images: ImagesService,
  ) {}

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

  /**
   * Messages in all the user's chats matching a search (the notes search's query language: words, "phrases",
   * -exclusions, or; short queries are substring searches), newest first, a page at a time.
   */
  async search(userId: number, q: string, page: number, { t, fmt }: Reader) {
    const plan = planSearch(q);
    const rows = await Message.search(userId, plan, SEARCH_PAGE + 1, (page - 1) * SEARCH_PAGE);
    return {
      hasMore: rows.length > SEARCH_PAGE,
      page,
      items: rows.slice(0, SEARCH_PAGE).map((r) => ({
        id: r.id,
        chatId: r.chatId,
        chatTitle: r.isGroup ? r.chatName ?? t("chat.group") : r.otherUsername ?? t("chat.deleted_account"),
        isGroup: r.isGroup,
        username: r.username,
        createdAt: new Date(r.createdAt).toISOString(),
        when: fmt.dateTime(new Date(r.createdAt)),
        segments: highlight(excerpt(r.text, plan.terms, EXCERPT_CHARS), plan),
      })),
    };
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
    const staged = options.photos ? await this.stagePhotos(senderId, chatId, clientId, options.photos) : null;
    if (staged && "retry" in staged) return this.retried(senderId, chatId, clientId!, options);
    const run = (this.storing.get(chatId) ?? Promise.resolve()).then(() => this.store(senderId, chatId, text, clientId, options, staged));
    const tail = run.catch(() => {});
    this.storing.set(chatId, tail);
    void tail.then(() => {
      if (this.storing.get(chatId) === tail) this.storing.delete(chatId);
    });
    return run;
  }

  /**
   * A message's photos, checked and re-encoded before the chat's storing queue is entered (encoding takes seconds;
   * the chat's other messages do not wait for it). A retry of a message already stored is answered without
   * touching its files again.
   */
  private async stagePhotos(
    senderId: number,
    chatId: number,
    clientId: string | null,
    { files = [], galleryIds = [] }: NonNullable<PostOptions["photos"]>,
  ): Promise<StagedPhotos | { retry: true }> {
    const drop = () => Promise.all(files.map((f) => fs.rm(f.path, { force: true }).catch(() => {})));
    try {
      // Nobody but a member gets their files processed.
      await this.assertMember(senderId, chatId);
      if (clientId && (await Message.byClientId(senderId, clientId))) {
        await drop();
        return { retry: true };
      }
      if (!files.length && !galleryIds.length) throw new FieldError("photos", "chat.photos.errors.choose");
      if (files.length + galleryIds.length > PHOTOS_MAX) {
        throw new FieldError("photos", "chat.photos.errors.over_limit", { max: PHOTOS_MAX });
      }
    } catch (err) {
      await drop();
      throw err;
    }
    return this.images.stagePhotos(senderId, files, galleryIds);
  }

  /** A retry of a message already stored: the same answer as the first time, nothing broadcast. */
  private async retried(senderId: number, chatId: number, clientId: string, { onStored }: PostOptions) {
    const stored = await Message.byClientId(senderId, clientId);
    // The same client id reused for another chat is a client bug, never a reason to reveal that message.
    if (!stored || stored.chat_id !== chatId) throw new FieldError("clientId", "chat.errors.client_id_used");
    const message = toDto(stored);
    onStored?.(message, false);
    return { message, created: false };
  }

  private async store(
    senderId: number,
    chatId: number,
    text: string,
    clientId: string | null,
    options: PostOptions,
    staged: StagedPhotos | null = null,
  ): Promise<{ message: LiveMessage; created: boolean }> {
    const { onStored, replyToId = null } = options;
    const mentions = mentionedNames(text);
    let row: StoredMessageRow;
    if (staged) {
      // The message and its photos commit together: nobody ever sees one without the other.
      let stored: StoredMessageRow | undefined;
      const photos = await this.images.commitPhotos(staged, async (em) => {
        stored = await Message.store(chatId, senderId, text, clientId, replyToId, mentions, em);
        if (!stored.allowed) throw notFound();
        return stored.id;
      });
      row = stored!;
      if (photos) row.photos = photos.map((p) => ({ id: p.id, path: p.path, thumb: p.thumbPath, width: p.width, height: p.height }));
    } else {
      row = await Message.store(chatId, senderId, text, clientId, replyToId, mentions);
      if (!row.allowed) throw notFound();
    }
    if (row.id === null) {
      if (!clientId) throw new FieldError("clientId", "chat.errors.client_id_used");
      return this.retried(senderId, chatId, clientId, options);
    }
    const message: LiveMessage = { ...toDto(row), prevId: row.prev_id ?? 0 };
    onStored?.(message, true);
    this.io.to(chatRoom(chatId)).emit("chat:message", message);
    const preview = {
      chatId,
      messageId: message.id,
      group: row.is_group === true,
      chatName: row.is_group ? row.chat_name : null,
      from: message.username,
      // A photo says so in any language: the camera, then the caption if there is one.
      text: (message.photos.length ? `📷 ${message.text}`.trim() : message.text).slice(0, PREVIEW_CHARS),
      at: message.createdAt,
    };
    // A socket in the chat room already has the message, and chat.js counts it as unread there (when the tab
    // is hidden): sending it chat:unread too would double the packets of every message to a big chat. The
    // exception is per socket, so the same person's tabs on other pages still get it. Members who muted the
    // chat get it marked muted: their chat list moves, but no badge total, notification or sound.
    const others = row.others ?? [];
    const muted = row.muted_others ?? [];
    const mentioned = new Set(row.mentioned ?? []);
    const send = (ids: number[], extra: { mention?: true; muted?: true }) => {
      if (ids.length) this.io.to(ids.map(userRoom)).except(chatRoom(chatId)).emit("chat:unread", { ...preview, delta: 1, ...extra });
    };
    // The people it mentions get the "@" marker in their chat list (and may be on the chat's page: it shows there).
    send(others.filter((id) => !mentioned.has(id)), {});
    send(others.filter((id) => mentioned.has(id)), { mention: true });
    send(muted.filter((id) => !mentioned.has(id)), { muted: true });
    send(muted.filter((id) => mentioned.has(id)), { muted: true, mention: true });
    // The sender's other pages: their lists show the message as their own ("You: ..."), with nothing unread.
    this.io.to(userRoom(senderId)).except(chatRoom(chatId)).emit("chat:unread", { ...preview, mine: true });
    return { message, created: true };
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

  /**
   * After a change to a message (Message.edit, Message.erase): refusals become errors (not a member: 404; no such
   * message in the chat, or someone else's: no_such_message); a real change is broadcast to the chat's room, and
   * the chat lists elsewhere follow it (chat:preview to the members' other pages: the preview when it was the
   * chat's newest message, the "@" when a mention came or went).
   */
  private changed(chatId: number, row: ChangedMessageRow, authorId: number | null): MessageDto {
    if (!row.allowed) throw notFound();
    if (!row.found || (authorId !== null && row.author !== authorId)) throw noSuchMessage();
    const message = toDto(row);
    if (!row.changed) return message;
    this.io.to(chatRoom(chatId)).emit("chat:changed", message);
    const elsewhere = (ids: number[] | null | undefined, event: PreviewEvent) => {
      if (ids?.length) this.io.to(ids.map(userRoom)).except(chatRoom(chatId)).emit("chat:preview", event);
    };
    const base = { chatId, messageId: message.id };
    elsewhere(row.members, {
      ...base, text: message.text.slice(0, PREVIEW_CHARS), deleted: message.deleted, userId: message.userId, from: message.username,
      group: row.is_group === true,
    });
    elsewhere(row.mentioned, { ...base, mention: true });
    // A muted chat's row shows the "@" too, but not the navbar or the title (as for a new message).
    elsewhere(row.muted_mentioned, { ...base, mention: true, muted: true });
    elsewhere(row.unmentioned, { ...base, mention: false });
    return message;
  }

  /**
   * Its author changes a message's text, within the edit window; the text before is kept in message_edits. The
   * same text, or a retry of an edit already stored (the same client id), changes nothing. One statement.
   */
  async editMessage(userId: number, chatId: number, messageId: number, text: string, clientId: string | null): Promise<MessageDto> {
    const row = await Message.edit(chatId, userId, messageId, text, clientId, this.editWindowMs, mentionedNames(text));
    // Someone else's message looks like a missing one (changed() says so); a retry is answered before anything else.
    if (row.found && row.author === userId && !row.repeated) {
      if (row.was_deleted) throw new FieldError("text", "chat.errors.message_deleted");
      if (!row.in_window) throw new FieldError("text", "chat.errors.edit_window_over");
    }
    return this.changed(chatId, row, userId);
  }

  /**
   * Deletes a message: its author (a member), or staff (memberId null: the admin site). Everyone then sees the
   * placeholder; its author deleting it again changes nothing, for staff a deleted message is simply gone (404).
   */
  async deleteMessage(
    userId: number | null,
    chatId: number,
    messageId: number,
    /** Staff: records the deletion (the audit log) in the same transaction, with the text and author it had. */
    record?: (em: EntityManager, msg: { userId: number; text: string }) => Promise<void>,
  ): Promise<MessageDto> {
    const row = !record
      ? await Message.erase(Message.getRepository().manager, chatId, userId, messageId)
      : await Message.getRepository().manager.transaction(async (em) => {
        const removed = await Message.erase(em, chatId, userId, messageId);
        if (removed.changed) await record(em, { userId: removed.author!, text: removed.previous_text ?? "" });
        return removed;
      });
    if (userId === null && row.was_deleted) throw notFound();
    // Its photos go with it: the media check refuses them from the deletion's commit on (a deleted message's photos
    // are nobody's), and their rows and files go now.
    if (row.changed && row.photos?.length) {
      await this.images.removeFiles(await Image.deleteOfMessage(Message.getRepository().manager, messageId));
    }
    const message = this.changed(chatId, row, userId);
    if (row.changed) await this.recount(chatId, messageId);
    return message;
  }

  /**
   * A deleted message is no longer unread, nor its mention: every member who had not read it gets their counts
   * worked out anew (the chat's, the total, the chats of the navbar's "@"), on every page, the chat's own too (a
   * hidden tab counted it). Totals, not a -1: a page may not have counted it at all, or shows "99+".
   */
  private async recount(chatId: number, messageId: number): Promise<void> {
    for (const r of await ChatMember.readersBehind(chatId, messageId)) {
      this.io.to(userRoom(r.userId)).emit("chat:unread", {
        chatId, unread: r.unread, mention: r.mention, total: r.total, mentionChats: r.mentionChats,
      });
    }
  }

  /**
   * A member adds (on) or takes back (off) a reaction; the same again, or a retry of the same client id, changes
   * nothing. The room is told only the change (chat:reacted), not the whole message: nothing is read back. When
   * nothing changed the answer is the message as it is now, so the asking page can catch up.
   */
  async react(
    userId: number,
    chatId: number,
    messageId: number,
    emoji: Reaction,
    on: boolean,
    clientId: string | null = null,
  ): Promise<{ reaction: ReactionChange } | { message: MessageDto }> {
    const result = await MessageReaction.toggle(chatId, messageId, userId, emoji, on, clientId);
    if (!result.allowed) throw notFound();
    if (!result.found) throw noSuchMessage();
    if (result.deleted) throw new HttpError(422, "chat.errors.message_deleted");
    if (result.version === null) {
      const row = await Message.view(messageId);
      if (!row) throw noSuchMessage();
      return { message: toDto(row) };
    }
    const reaction: ReactionChange = {
      chatId, id: messageId, version: result.version, prevVersion: result.prevVersion ?? 0, emoji, on, userId, username: result.username ?? "",
    };
    this.io.to(chatRoom(chatId)).emit("chat:reacted", reaction);
    return { reaction };
  }
}
