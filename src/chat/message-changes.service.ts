// Changing messages already sent: the author's edit, a deletion (the author's, or staff's from the admin site) and
// reactions. A real change is broadcast to the chat's room, the chat lists elsewhere follow it, and a deletion
// gives the members who had not read the message their counts anew.
import type { EntityManager } from "typeorm";
import { Image } from "../gallery/image.entity";
import type { ImagesService } from "../gallery/images.service";
import { FieldError, HttpError, notFound } from "../http/errors";
import { ChatMember } from "./chat-member.entity";
import { type AppServer, chatRoom, type PreviewEvent, userRoom } from "./chat.events";
import { type MessageDto, type ReactionChange, toDto } from "./chat.presenter";
import { PREVIEW_CHARS } from "./message-posting.service";
import { MessageReaction, type Reaction } from "./message-reaction.entity";
import { mentionedNames } from "./message-text";
import { type ChangedMessageRow, Message } from "./message.entity";

/** No such message in this chat for you (someone else's, to edit or delete, looks the same): the chat itself stays open. */
export const noSuchMessage = () => new HttpError(404, "chat.errors.no_such_message");

export class MessageChanges {
  constructor(
    private io: AppServer,
    /** How long after sending a message its author may edit it (CHAT_EDIT_WINDOW_HOURS). */
    private editWindowMs: number,
    /** Removes a deleted message's photos. */
    private images: ImagesService,
  ) {}

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
