// Deleting an account: one function for both doors, the admin site's "Delete user" and "Delete my account". The
// account and everything it owns go in ONE transaction with the audit entry and the end of every session; its
// photos' and exports' files go after the commit (a rollback never leaves rows without files), and its live
// sockets are cut at once. What becomes of its chat messages is in README.md ("Deleting an account").
import { AuditLog } from "../admin/audit-log.entity";
import { TooManyAttempts, type AuthService } from "../auth/auth.service";
import { hasTwoFactor, verifySecondFactor } from "../auth/two-factor.service";
import { Session } from "../auth/session.entity";
import { User } from "../auth/user.entity";
import { ChatMember } from "../chat/chat-member.entity";
import { Chat } from "../chat/chat.entity";
import { Message } from "../chat/message.entity";
import { selectCounts } from "../db/sql";
import type { AppDeps } from "../deps";
import { Image } from "../gallery/image.entity";
import { ImagesService } from "../gallery/images.service";
import { FieldError, notFound } from "../http/errors";
import type { FailureLimit } from "../http/rate-limit";
import { Note } from "../notes/note.entity";
import { DataExport } from "./data-export.entity";
import { removeExportFiles } from "./export.service";

/** A staff member acting in the admin site: kept by name too, so the log survives their account. */
export interface Actor {
  id: number;
  username: string;
}

/** What a user owns, counted as subqueries on `userId` (an SQL expression), each from its own feature. */
export const ownedBy = (userId: string) => ({
  notes: Note.countOf(userId),
  messages: Message.countOf(userId),
  chats: ChatMember.countOf(userId),
});

export interface RemoveOptions {
  /** Staff (admin site), or the owner by name only: the owner's id goes with the account. */
  actor: { id: number | null; username: string };
  /** "user.delete" from the admin site, "user.self_delete" by the owner. */
  action: "user.delete" | "user.self_delete";
  /** Checked under the user's lock before anything goes (the admin site's typed-username confirmation); throws to refuse. */
  check?: (user: User) => void;
}

type Deps = Pick<AppDeps, "ds" | "realtime" | "config" | "logger">;

/**
 * Deletes a user with everything they own (User.deleteWithGallery: notes, messages, memberships, images, exports by
 * ON DELETE CASCADE) and every session of theirs, audited, in one transaction; then removes the image and export
 * files and cuts the user's sockets. 404 when there is no such user.
 */
export async function removeAccount(deps: Deps, userId: number, opts: RemoveOptions): Promise<{ username: string }> {
  const { username, files, exportIds, sids } = await deps.ds.transaction(async (em) => {
    // Chats whose newest message is theirs are locked first, in the order a send takes its locks (the chat row,
    // then the sender's row through the FK check), and repointed after the cascade below.
    const lastIn = await Chat.lockWithLastMessageBy(em, userId);
    const user = await User.lockForChange(em, userId);
    if (!user) throw notFound();
    opts.check?.(user);
    const images = await Image.filesOfUser(em, userId, user.galleryId);
    const exportIds = await DataExport.idsOf(em, userId);
    const counts = await selectCounts(em, ownedBy("$1"), [userId]);
    await User.deleteWithGallery(em, user);
    await Chat.repointLastMessage(em, lastIn);
    const sids = await Session.destroyForUser(userId, undefined, em);
    await AuditLog.record(em, {
      actor: opts.actor,
      action: opts.action,
      targetType: "user",
      targetId: userId,
      // The name says who it was; the email address (personal data) goes with the account.
      details: { username: user.username, wasStaff: user.isStaff, ...counts, images: images.length, sessionsEnded: sids.length },
    });
    return { username: user.username, files: images.flatMap((i) => [i.path, i.thumbPath]), exportIds, sids };
  });
  // Sockets first, by the user's room (every socket of theirs, whatever became of its session row), then by the
  // sessions just ended: neither needs the database.
  deps.realtime.disconnectUser(userId);
  deps.realtime.disconnectSessions(sids);
  // File removal never throws (failures are logged).
  await new ImagesService(deps).removeFiles(files);
  await removeExportFiles(deps.config, exportIds);
  return { username };
}

/** "Delete my account": the owner's password (and second factor, when on) first, then removeAccount. */
export class AccountDeletion {
  constructor(
    private deps: Deps,
    private auth: AuthService,
    /** Wrong passwords here are password guesses: limited per account like the password-change form's. */
    private passwordLimit: FailureLimit,
  ) {}

  /** What would go, for the confirmation page. */
  async summary(userId: number): Promise<{ notes: number; messages: number; chats: number; images: number }> {
    return selectCounts(this.deps.ds.manager, { ...ownedBy("$1"), images: Image.countOf("$1") }, [userId]);
  }

  /**
   * Checks the password (FieldError "current_password", TooManyAttempts) and, when two-factor authentication is
   * on, the code (FieldError "code"); then deletes the account.
   */
  async deleteOwn(user: User, password: string, code: string | undefined): Promise<void> {
    await this.auth.checkPassword(user.id, password, this.passwordLimit);
    if (hasTwoFactor(user)) {
      if (!code) throw new FieldError("code", "profile.delete.errors.code_required");
      // A wrong code counts against the same per-account limit as a wrong password: both guess at one door.
      const key = `user:${user.id}`;
      if (await this.passwordLimit.reached(key)) throw new TooManyAttempts();
      if (!(await verifySecondFactor(user.id, code))) {
        if (await this.passwordLimit.fail(key)) throw new TooManyAttempts();
        throw new FieldError("code", "profile.delete.errors.code_wrong");
      }
    }
    // The actor is named, not linked: the account it would point at is the one going.
    await removeAccount(this.deps, user.id, { actor: { id: null, username: user.username }, action: "user.self_delete" });
  }
}
