// The admin site's rules: counts, user management and moderation. Every change commits together with its audit-log
// entry; sessions, sockets and files are dealt with only after the commit. Each feature's entity owns the SQL:
// the admin site asks it for counts, pages and deletes.
import { removeAccount, ownedBy, type Actor } from "../account/delete.service";
import { Session } from "../auth/session.entity";
import { User, type UserListing } from "../auth/user.entity";
import { Chat } from "../chat/chat.entity";
import { Message, type MessageExcerpt } from "../chat/message.entity";
import type { MessageService } from "../chat/messages.service";
import { selectCounts } from "../db/sql";
import type { AppDeps } from "../deps";
import { Image, type ImageListing } from "../gallery/image.entity";
import { ImagesService } from "../gallery/images.service";
import { FieldError, notFound } from "../http/errors";
import { paged, pageWindow, type Paged } from "../http/pagination";
import { Note, type NoteExcerpt } from "../notes/note.entity";
import { AuditLog } from "./audit-log.entity";

export const PAGE_SIZE = 25;

/** The staff member acting: kept by name too, so the log survives their account. */
export type { Actor };

export interface DashboardCounts {
  users: number;
  notes: number;
  chats: number;
  messages: number;
  images: number;
  activeSessions: number;
}

export interface UserDetail extends UserListing {
  counts: { notes: number; messages: number; images: number; chats: number; sessions: number };
}


export class AdminService {
  private images: ImagesService;

  constructor(
    private deps: Pick<AppDeps, "ds" | "realtime" | "config" | "logger">,
    /** The chat's message service: staff delete messages through it, so the chat sees it live. */
    private messages?: MessageService,
  ) {
    this.images = new ImagesService(deps);
  }

  /** Two statements: every count in one round trip, then the latest sign-ups. */
  async dashboard(): Promise<{ counts: DashboardCounts; recentUsers: UserListing[] }> {
    const counts = await selectCounts(this.deps.ds.manager, {
      users: User.COUNT,
      notes: Note.COUNT,
      chats: Chat.COUNT,
      messages: Message.COUNT,
      images: Image.COUNT,
      activeSessions: Session.ACTIVE_COUNT,
    });
    return { counts, recentUsers: await User.recent(8) };
  }

  async listUsers(q: string, page: number): Promise<Paged<UserListing> & { total: number }> {
    const { rows, total } = await User.searchPage(q, pageWindow(page, PAGE_SIZE));
    return { ...paged(rows, page, PAGE_SIZE), total };
  }

  /** One user with what they own, in one statement; 404 when there is no such user. */
  async userDetail(id: number): Promise<UserDetail> {
    const user = await User.withCounts(id, { ...ownedBy("u.id"), images: Image.countOf("u.id"), sessions: Session.countActiveOf("u.id") });
    if (!user) throw notFound();
    return user;
  }

  /** Activates or deactivates an account; a deactivated user's sessions and sockets end at once. */
  async setActive(actor: Actor, id: number, active: boolean): Promise<{ username: string; changed: boolean }> {
    if (actor.id === id && !active) {
      throw new FieldError("active", "admin.errors.self_deactivate");
    }
    const result = await this.changeFlag(actor, id, "isActive", active, active ? "user.activate" : "user.deactivate");
    if (result.changed && !active) await this.endSessions(id);
    return result;
  }

  async setStaff(actor: Actor, id: number, staff: boolean): Promise<{ username: string; changed: boolean }> {
    if (actor.id === id && !staff) {
      throw new FieldError("staff", "admin.errors.self_unstaff");
    }
    return this.changeFlag(actor, id, "isStaff", staff, staff ? "user.grant_staff" : "user.revoke_staff");
  }

  private async changeFlag(actor: Actor, id: number, flag: "isActive" | "isStaff", value: boolean, action: string) {
    return this.deps.ds.transaction(async (em) => {
      const user = await User.lockForChange(em, id);
      if (!user) throw notFound();
      if (user[flag] === value) return { username: user.username, changed: false };
      await em.update(User, { id }, { [flag]: value });
      await AuditLog.record(em, { actor, action, targetType: "user", targetId: id, details: { username: user.username } });
      return { username: user.username, changed: true };
    });
  }

  /** Deletes a user with everything they own, as "Delete my account" does (removeAccount); staff cannot delete themselves. */
  async deleteUser(actor: Actor, id: number, confirm: string): Promise<{ username: string }> {
    if (actor.id === id) throw new FieldError("confirm", "admin.errors.self_delete");
    return removeAccount(this.deps, id, {
      actor,
      action: "user.delete",
      check: (user) => {
        if (confirm !== user.username) throw new FieldError("confirm", "admin.errors.confirm_mismatch", { username: user.username });
      },
    });
  }

  async listNotes(page: number, userId?: number): Promise<Paged<NoteExcerpt>> {
    return paged(await Note.moderationPage(pageWindow(page, PAGE_SIZE), userId), page, PAGE_SIZE);
  }

  async listMessages(page: number, userId?: number): Promise<Paged<MessageExcerpt>> {
    return paged(await Message.moderationPage(pageWindow(page, PAGE_SIZE), userId), page, PAGE_SIZE);
  }

  async listImages(page: number, userId?: number): Promise<Paged<ImageListing>> {
    return paged(await Image.moderationPage(pageWindow(page, PAGE_SIZE), userId), page, PAGE_SIZE);
  }

  /** The user a moderation list is filtered by, or a 404. */
  async userSummary(id: number): Promise<{ id: number; username: string }> {
    const user = await User.summary(id);
    if (!user) throw notFound();
    return user;
  }

  async deleteNote(actor: Actor, id: number): Promise<void> {
    await this.deps.ds.transaction(async (em) => {
      const note = await Note.deleteReturning(em, id);
      if (!note) throw notFound();
      await AuditLog.record(em, {
        actor, action: "note.delete", targetType: "note", targetId: id,
        details: { ownerId: note.userId, owner: await User.usernameOf(em, note.userId), excerpt: note.excerpt },
      });
    });
  }

  /**
   * Deletes one chat message as its author would (MessageService.deleteMessage): the chat's members see the
   * "message deleted" placeholder live, and its text, earlier versions and reactions are erased. The audit log
   * keeps who wrote it and its first 200 characters (the moderation record the README describes). A message
   * already deleted is gone: 404.
   */
  async deleteMessage(actor: Actor, id: number): Promise<void> {
    const chatId = await Message.chatIdOf(id);
    if (chatId === null || !this.messages) throw notFound();
    await this.messages.deleteMessage(null, chatId, id, async (em, msg) => {
      await AuditLog.record(em, {
        actor, action: "message.delete", targetType: "message", targetId: id,
        details: { ownerId: msg.userId, owner: await User.usernameOf(em, msg.userId), chatId, excerpt: Message.excerptOf(msg.text) },
      });
    });
  }

  /** Deletes an image row (an avatar pointing at it becomes null by its FK), then its files after the commit. */
  async deleteImage(actor: Actor, id: number): Promise<void> {
    const files = await this.deps.ds.transaction(async (em) => {
      const img = await Image.deleteReturning(em, id);
      if (!img) throw notFound();
      await AuditLog.record(em, {
        actor, action: "image.delete", targetType: "image", targetId: id,
        details: { ownerId: img.ownerId, owner: await User.usernameOf(em, img.ownerId), originalName: img.originalName, path: img.path },
      });
      return [img.path, img.thumbPath];
    });
    await this.images.removeFiles(files);
  }

  async auditPage(page: number): Promise<Paged<AuditLog>> {
    return paged(await AuditLog.newest(pageWindow(page, PAGE_SIZE)), page, PAGE_SIZE);
  }

  auditFor(targetType: string, id: number): Promise<AuditLog[]> {
    return AuditLog.forTarget(targetType, id);
  }

  private async endSessions(userId: number): Promise<void> {
    // Sockets first, by the user's room (every socket of theirs, whatever became of its session row): they need no
    // database, so a failure to delete the sessions below cannot leave a deactivated user chatting live.
    this.deps.realtime.disconnectUser(userId);
    const sids = await Session.destroyForUser(userId);
    this.deps.realtime.disconnectSessions(sids);
  }
}
