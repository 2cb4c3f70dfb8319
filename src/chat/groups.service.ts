// Chats as a person has them: their list, one chat as its member sees it, the direct chat with someone, and
// groups: create, rename, add and remove members, leave.
import type { DataSource } from "typeorm";
import { User } from "../auth/user.entity";
import { Image } from "../gallery/image.entity";
import { FieldError, notFound } from "../http/errors";
import { ChatMember } from "./chat-member.entity";
import { Chat } from "./chat.entity";
import { type AppServer, chatRoom, userRoom } from "./chat.events";
import type { Translate } from "../i18n";
import { type ChatListItem, type ChatView, chatView, listItem, type Reader } from "./chat.presenter";
import type { Presence } from "./presence";

export const CHATS_PER_PAGE = 50;

/** Why a member's sockets are told they lost a chat: the creator removed them, or they left (in another tab). */
export type Removal = "removed" | "left";

/** Leaving would delete the group (no one else is left), and the person leaving was not told so. */
export class LastMember extends Error {}

export class GroupService {
  constructor(
    private ds: DataSource,
    private io: AppServer,
    private presence: Presence,
    /** Removes stored media files (after the rows naming them are gone). */
    private removeFiles: (relPaths: string[]) => Promise<void> = async () => {},
  ) {}

  async listChats(userId: number, reader: Reader, page = 1): Promise<{ items: ChatListItem[]; hasMore: boolean }> {
    const rows = await Chat.listFor(userId, CHATS_PER_PAGE + 1, (page - 1) * CHATS_PER_PAGE);
    const now = new Date();
    return { items: rows.slice(0, CHATS_PER_PAGE).map((r) => listItem(r, userId, reader, now)), hasMore: rows.length > CHATS_PER_PAGE };
  }

  /** The chat as a member sees it; 404 for anyone else, so a chat's existence is not revealed. */
  async getChat(userId: number, chatId: number, t: Translate): Promise<ChatView> {
    const row = await Chat.forMember(chatId, userId);
    if (!row) throw notFound();
    return chatView(row, userId, t);
  }

  /** The direct chat between two people, created on first use; 404 if the other is not an active user. */
  async openDirect(userId: number, otherId: number): Promise<number> {
    if (userId === otherId) throw new FieldError("_form", "chat.errors.self_chat");
    const chatId = await Chat.openDirect(userId, otherId);
    if (chatId === null) throw notFound();
    return chatId;
  }

  /** Active users by (case-insensitive) username; names nobody has become one clear field error. */
  private async resolveUsernames(names: string[], em = this.ds.manager): Promise<Pick<User, "id" | "username">[]> {
    const people = await User.activeByUsernames(names, em);
    const found = new Set(people.map((p) => p.username.toLowerCase()));
    const unknown = names.filter((n) => !found.has(n.toLowerCase()));
    if (unknown.length) {
      const names = unknown.map((n) => `"${n}"`).join(", ");
      throw new FieldError("members", "chat.errors.no_such_user", { names, count: unknown.length });
    }
    return people;
  }

  /** A group with its creator and the named people, all in one transaction. */
  async createGroup(userId: number, name: string, usernames: string[]): Promise<number> {
    return this.ds.transaction(async (em) => {
      const people = (await this.resolveUsernames(usernames, em)).filter((p) => p.id !== userId);
      if (!people.length) throw new FieldError("members", "chat.errors.need_someone");
      const chatId = await Chat.createGroup(em, name, userId);
      await ChatMember.addAll(em, chatId, [userId, ...people.map((p) => p.id)]);
      return chatId;
    });
  }

  /** Only the creator may rename; for anyone else (member or not) the action does not exist: 404. */
  async rename(userId: number, chatId: number, name: string): Promise<void> {
    if (!(await Chat.renameAsCreator(chatId, userId, name))) throw notFound();
    this.io.to(chatRoom(chatId)).emit("chat:renamed", { chatId, name });
  }

  /** Adds people to a group (creator only); they start with the history before them read. */
  async addMembers(userId: number, chatId: number, usernames: string[]): Promise<{ added: string[]; already: string[] }> {
    return this.ds.transaction(async (em) => {
      if (!(await Chat.lockAsCreator(em, chatId, userId))) throw notFound();
      const people = await this.resolveUsernames(usernames, em);
      const added = await ChatMember.addAll(em, chatId, people.map((p) => p.id));
      return {
        added: people.filter((p) => added.has(p.id)).map((p) => p.username),
        already: people.filter((p) => !added.has(p.id)).map((p) => p.username),
      };
    });
  }

  /** The creator removes someone else (they leave with "Leave"). Their open sockets leave the room at once. */
  async removeMember(userId: number, chatId: number, memberId: number): Promise<string> {
    if (memberId === userId) throw notFound();
    const username = await this.ds.transaction(async (em) => {
      if (!(await Chat.lockAsCreator(em, chatId, userId))) throw notFound();
      const removed = await ChatMember.removeOne(em, chatId, memberId);
      if (removed === null) throw notFound();
      return removed;
    });
    this.evict(memberId, chatId, "removed");
    return username;
  }

  /**
   * Leaving a group. If the creator leaves, the longest-standing member becomes the creator, so the group
   * can still be managed; when the last member leaves, the group and its history are deleted (nobody could
   * ever see them again), but only when the person was warned of that (`deleteIfLast`); otherwise nothing changes
   * and LastMember is thrown, so they can be asked again. Direct chats cannot be left: 404.
   */
  async leave(userId: number, chatId: number, { deleteIfLast }: { deleteIfLast: boolean }): Promise<{ title: string | null; deleted: boolean }> {
    let files: string[] = [];
    const result = await this.ds.transaction(async (em) => {
      const chat = await Chat.lockForMember(em, chatId, userId);
      if (!chat) throw notFound();
      const title = chat.chatName;
      await ChatMember.removeOne(em, chatId, userId);
      const next = await ChatMember.longestStanding(em, chatId);
      if (next === null) {
        // The others left after this person was asked: they agreed to leave, not to delete the history.
        if (!deleteIfLast) throw new LastMember();
        // Its photos' rows go with its messages; their files once that has committed.
        files = await Image.filesOfChat(em, chatId);
        await em.delete(Chat, { id: chatId });
        return { title, deleted: true };
      }
      if (chat.creatorId === userId || chat.creatorId === null) await em.update(Chat, { id: chatId }, { creatorId: next });
      return { title, deleted: false };
    });
    this.evict(userId, chatId, "left");
    if (files.length) await this.removeFiles(files);
    return result;
  }

  /**
   * Someone is no longer a member: their connected sockets (on every process) leave the room and are told, so an
   * open chat page disables its composer; the others see them go. Sockets that are disconnected right now are not
   * reached here: when they come back, their recovered rooms are checked against the database (chat.socket.ts).
   */
  private evict(userId: number, chatId: number, reason: Removal): void {
    this.io.in(userRoom(userId)).socketsLeave(chatRoom(chatId));
    this.io.to(userRoom(userId)).emit("chat:removed", { chatId, reason });
    this.presence.changed(chatId);
  }
}
