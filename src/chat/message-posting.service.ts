// Sending: the one path every message takes (postMessage), whether it came from the HTML form, the photo form or a
// socket: the sender's budget, photos staged outside the chat's queue, one statement to store, then the broadcast
// to the chat and the badges and lists of its members elsewhere.
import fs from "node:fs/promises";
import type { ImagesService, StagedPhotos, UploadFile } from "../gallery/images.service";
import { FieldError, notFound } from "../http/errors";
import { PHOTOS_MAX } from "./chat.schemas";
import { ChatMember } from "./chat-member.entity";
import { type AppServer, chatRoom, userRoom } from "./chat.events";
import { type LiveMessage, toDto } from "./chat.presenter";
import type { MessageBudget } from "./message-budget";
import { mentionedNames } from "./message-text";
import { Message, type StoredMessageRow } from "./message.entity";

/** How much of a message the chat lists' previews carry. */
export const PREVIEW_CHARS = 120;

export interface PostOptions {
  /** The message this one answers (kept only when it is in the same chat). */
  replyToId?: number | null;
  /** Runs after the message is stored and before it is broadcast: the socket handler acks here. */
  onStored?: (message: LiveMessage, created: boolean) => void;
  /** Photos sent with it (the text is then an optional caption): uploads, and the sender's gallery photos to copy. */
  photos?: { files?: UploadFile[]; galleryIds?: number[] };
}

export class MessagePosting {
  /** Per chat, the tail of the messages being stored by this process (see postMessage). */
  private storing = new Map<number, Promise<unknown>>();

  constructor(
    private io: AppServer,
    private budget: MessageBudget,
    /** Stores a message's photos through the gallery's pipeline. */
    private images: ImagesService,
  ) {}

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
      if (!(await ChatMember.isMember(senderId, chatId))) throw notFound();
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
}
