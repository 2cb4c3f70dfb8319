// The admin site's logic: counts, user management and moderation. Every change commits together
// with its audit-log entry; sessions, sockets and files are dealt with only after the commit.
import type { EntityManager } from "typeorm";
import type { AppDeps } from "../deps";
import { removeMediaFiles } from "../gallery/media-files";
import { HttpError, notFound } from "../http/errors";
import { Session } from "../auth/session.entity";
import { AuditLog } from "./audit-log.entity";

export const PAGE_SIZE = 25;

/** The staff member acting: kept by name too, so the log survives their account. */
export interface Actor {
  id: number;
  username: string;
}

/** A refused admin action, shown on the page it came from (422). `field` ties it to one form. */
export class AdminError extends HttpError {
  constructor(message: string, public field = "_form") {
    super(422, message);
  }
}

export interface Paged<T> {
  items: T[];
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
}

export interface DashboardCounts {
  users: number;
  notes: number;
  chats: number;
  messages: number;
  images: number;
  activeSessions: number;
}

export interface UserRow {
  id: number;
  username: string;
  email: string;
  isActive: boolean;
  isStaff: boolean;
  createdAt: Date;
  lastLogin: Date | null;
}

export interface UserDetail extends UserRow {
  counts: { notes: number; messages: number; images: number; chats: number; sessions: number };
}

export interface NoteRow { id: number; excerpt: string; truncated: boolean; date: Date; userId: number; username: string }
export interface MessageRow { id: number; excerpt: string; truncated: boolean; createdAt: Date; chatId: number; chatName: string | null; isGroup: boolean; userId: number; username: string }
export interface ImageRow { id: number; path: string; thumbPath: string; originalName: string; width: number; height: number; bytes: number; createdAt: Date; userId: number; username: string }

const EXCERPT = 200;

/** Rows of any statement, DELETE ... RETURNING included (TypeORM's plain query() pairs those with a count). */
async function rows<T>(em: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = await em.queryRunner!.query(sql, params, true);
  return result.records as T[];
}

/** `%` and `_` typed into the search box are searched for literally, not as wildcards. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, "\\$&")}%`;
}

function paged<T>(items: T[], page: number): Paged<T> {
  return { items: items.slice(0, PAGE_SIZE), page, hasPrev: page > 1, hasNext: items.length > PAGE_SIZE };
}

const USER_COLUMNS = `u.id, u.username, u.email, u.is_active AS "isActive", u.is_staff AS "isStaff",
  u.created_at AS "createdAt", u.last_login AS "lastLogin"`;

export class AdminService {
  constructor(private deps: Pick<AppDeps, "ds" | "pool" | "realtime" | "config" | "logger">) {}

  /** Two queries: every count in one round trip, then the latest sign-ups. */
  async dashboard(): Promise<{ counts: DashboardCounts; recentUsers: UserRow[] }> {
    const [c] = await this.deps.ds.query(`SELECT
      (SELECT count(*) FROM users)::int AS users,
      (SELECT count(*) FROM notes)::int AS notes,
      (SELECT count(*) FROM chats)::int AS chats,
      (SELECT count(*) FROM messages)::int AS messages,
      (SELECT count(*) FROM images)::int AS images,
      (SELECT count(*) FROM session WHERE expire > now())::int AS "activeSessions"`);
    const recentUsers: UserRow[] = await this.deps.ds.query(
      `SELECT ${USER_COLUMNS} FROM users u ORDER BY u.created_at DESC, u.id DESC LIMIT 8`,
    );
    return { counts: c as DashboardCounts, recentUsers };
  }

  async listUsers(q: string, page: number): Promise<Paged<UserRow> & { total: number }> {
    const pattern = q ? likePattern(q) : null;
    const where = `WHERE $1::text IS NULL OR u.username ILIKE $1 ESCAPE '\\' OR u.email ILIKE $1 ESCAPE '\\'`;
    const found: (UserRow & { total: number })[] = await this.deps.ds.query(
      `SELECT ${USER_COLUMNS}, count(*) OVER ()::int AS total FROM users u ${where}
       ORDER BY u.id DESC LIMIT $2 OFFSET $3`,
      [pattern, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE],
    );
    // Past the last page there is no row to carry the window count: count separately in that rare case.
    let total = found[0]?.total ?? 0;
    if (!found.length && page > 1) {
      const [r] = await this.deps.ds.query(`SELECT count(*)::int AS n FROM users u ${where}`, [pattern]);
      total = r.n;
    }
    return { ...paged(found.map(({ total: _t, ...u }) => u), page), total };
  }

  /** One user with what they own, in one query; 404 when there is no such user. */
  async userDetail(id: number): Promise<UserDetail> {
    const [row] = await this.deps.ds.query(
      `SELECT ${USER_COLUMNS},
        (SELECT count(*) FROM notes WHERE user_id = u.id)::int AS notes,
        (SELECT count(*) FROM messages WHERE user_id = u.id)::int AS messages,
        (SELECT count(*) FROM images WHERE owner_id = u.id)::int AS images,
        (SELECT count(*) FROM chat_members WHERE user_id = u.id)::int AS chats,
        (SELECT count(*) FROM session WHERE (sess -> 'passport' ->> 'user') = u.id::text AND expire > now())::int AS sessions
       FROM users u WHERE u.id = $1`,
      [id],
    );
    if (!row) throw notFound();
    const { notes, messages, images, chats, sessions, ...user } = row;
    return { ...user, counts: { notes, messages, images, chats, sessions } };
  }

  /** Activates or deactivates an account; a deactivated user's sessions and sockets end at once. */
  async setActive(actor: Actor, id: number, active: boolean): Promise<{ username: string; changed: boolean }> {
    if (actor.id === id && !active) {
      throw new AdminError("You cannot deactivate your own account. Ask another staff member if it really should be.", "active");
    }
    const result = await this.changeFlag(actor, id, "is_active", active, active ? "user.activate" : "user.deactivate");
    if (result.changed && !active) await this.endSessions(id);
    return result;
  }

  async setStaff(actor: Actor, id: number, staff: boolean): Promise<{ username: string; changed: boolean }> {
    if (actor.id === id && !staff) {
      throw new AdminError("You cannot remove your own staff access: ask another staff member, so nobody locks themselves out.", "staff");
    }
    return this.changeFlag(actor, id, "is_staff", staff, staff ? "user.grant_staff" : "user.revoke_staff");
  }

  private async changeFlag(actor: Actor, id: number, column: "is_active" | "is_staff", value: boolean, action: string) {
    return this.deps.ds.transaction(async (em) => {
      const [user] = await rows<{ username: string; current: boolean }>(
        em,
        `SELECT username, ${column} AS current FROM users WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!user) throw notFound();
      if (user.current === value) return { username: user.username, changed: false };
      await em.query(`UPDATE users SET ${column} = $2 WHERE id = $1`, [id, value]);
      await AuditLog.record(em, { actor, action, targetType: "user", targetId: id, details: { username: user.username } });
      return { username: user.username, changed: true };
    });
  }

  /**
   * Deletes a user with everything they own, in one transaction: notes, messages, chat memberships and
   * images go by ON DELETE CASCADE; the gallery is RESTRICTed by users.gallery_id, so it goes right after
   * the user. Image files are removed only after the commit, so a rollback never leaves rows without files.
   */
  async deleteUser(actor: Actor, id: number, confirm: string): Promise<{ username: string }> {
    if (actor.id === id) throw new AdminError("You cannot delete your own account from the admin site.", "confirm");
    const { username, files } = await this.deps.ds.transaction(async (em) => {
      // Chats whose newest message is theirs are locked first, in the order a send takes its locks (the chat
      // row, then the sender's row through the FK check), and repointed after the cascade below.
      const lastIn = await rows<{ id: number }>(
        em,
        `SELECT c.id FROM chats c WHERE c.last_message_id IN (SELECT id FROM messages WHERE user_id = $1) ORDER BY c.id FOR UPDATE OF c`,
        [id],
      );
      // FOR UPDATE also holds off a concurrent upload or note for this user (their FK checks wait on this row).
      const [user] = await rows<{ username: string; galleryId: number; isStaff: boolean }>(
        em,
        `SELECT username, gallery_id AS "galleryId", is_staff AS "isStaff" FROM users WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!user) throw notFound();
      if (confirm !== user.username) throw new AdminError(`Type the username "${user.username}" exactly to confirm.`, "confirm");
      const images = await rows<{ path: string; thumbPath: string }>(
        em,
        `SELECT path, thumb_path AS "thumbPath" FROM images WHERE owner_id = $1 OR gallery_id = $2`,
        [id, user.galleryId],
      );
      const [counts] = await rows<{ notes: number; messages: number; chats: number }>(
        em,
        `SELECT (SELECT count(*) FROM notes WHERE user_id = $1)::int AS notes,
                (SELECT count(*) FROM messages WHERE user_id = $1)::int AS messages,
                (SELECT count(*) FROM chat_members WHERE user_id = $1)::int AS chats`,
        [id],
      );
      await em.query(`DELETE FROM users WHERE id = $1`, [id]);
      await em.query(`DELETE FROM galleries WHERE id = $1`, [user.galleryId]);
      await this.repointLastMessage(em, lastIn.map((c) => c.id));
      await AuditLog.record(em, {
        actor,
        action: "user.delete",
        targetType: "user",
        targetId: id,
        // The name says who it was; the email address (personal data) goes with the account.
        details: { username: user.username, wasStaff: user.isStaff, ...counts, images: images.length },
      });
      return { username: user.username, files: images.flatMap((i) => [i.path, i.thumbPath]) };
    });
    // File removal never throws (failures are logged), so the sessions are ended whatever happens to the files.
    await this.removeFiles(files);
    await this.endSessions(id);
    return { username };
  }

  async listNotes(page: number, userId?: number): Promise<Paged<NoteRow>> {
    const found: NoteRow[] = await this.deps.ds.query(
      `SELECT n.id, left(n.data, ${EXCERPT}) AS excerpt, length(n.data) > ${EXCERPT} AS truncated, n.date,
              u.id AS "userId", u.username
       FROM notes n JOIN users u ON u.id = n.user_id
       WHERE $3::int IS NULL OR n.user_id = $3
       ORDER BY n.id DESC LIMIT $1 OFFSET $2`,
      [PAGE_SIZE + 1, (page - 1) * PAGE_SIZE, userId ?? null],
    );
    return paged(found, page);
  }

  async listMessages(page: number, userId?: number): Promise<Paged<MessageRow>> {
    const found: MessageRow[] = await this.deps.ds.query(
      `SELECT m.id, left(m.message, ${EXCERPT}) AS excerpt, length(m.message) > ${EXCERPT} AS truncated,
              m.created_at AS "createdAt", m.chat_id AS "chatId", c.chat_name AS "chatName", c.is_group AS "isGroup",
              u.id AS "userId", u.username
       FROM messages m JOIN users u ON u.id = m.user_id JOIN chats c ON c.id = m.chat_id
       WHERE $3::int IS NULL OR m.user_id = $3
       ORDER BY m.id DESC LIMIT $1 OFFSET $2`,
      [PAGE_SIZE + 1, (page - 1) * PAGE_SIZE, userId ?? null],
    );
    return paged(found, page);
  }

  async listImages(page: number, userId?: number): Promise<Paged<ImageRow>> {
    const found: ImageRow[] = await this.deps.ds.query(
      `SELECT i.id, i.path, i.thumb_path AS "thumbPath", i.original_name AS "originalName", i.width, i.height, i.bytes,
              i.created_at AS "createdAt", u.id AS "userId", u.username
       FROM images i JOIN users u ON u.id = i.owner_id
       WHERE $3::int IS NULL OR i.owner_id = $3
       ORDER BY i.id DESC LIMIT $1 OFFSET $2`,
      [PAGE_SIZE + 1, (page - 1) * PAGE_SIZE, userId ?? null],
    );
    return paged(found, page);
  }

  /** The user a moderation list is filtered by, or a 404. */
  async userSummary(id: number): Promise<{ id: number; username: string }> {
    const [u] = await this.deps.ds.query(`SELECT id, username FROM users WHERE id = $1`, [id]);
    if (!u) throw notFound();
    return u;
  }

  async deleteNote(actor: Actor, id: number): Promise<void> {
    await this.deps.ds.transaction(async (em) => {
      const [note] = await rows<{ userId: number; excerpt: string }>(
        em,
        `DELETE FROM notes WHERE id = $1 RETURNING user_id AS "userId", left(data, ${EXCERPT}) AS excerpt`,
        [id],
      );
      if (!note) throw notFound();
      await AuditLog.record(em, {
        actor, action: "note.delete", targetType: "note", targetId: id,
        details: { ownerId: note.userId, owner: await this.usernameOf(em, note.userId), excerpt: note.excerpt },
      });
    });
  }

  /**
   * Deletes one chat message. chats.last_message_id names each chat's newest message (live messages carry it
   * as their predecessor, see ChatService.store): if this was the newest, it is moved back to the one before,
   * under the chat row's lock, which is also what a concurrent send takes first.
   */
  async deleteMessage(actor: Actor, id: number): Promise<void> {
    await this.deps.ds.transaction(async (em) => {
      const [chat] = await rows<{ id: number; lastMessageId: number }>(
        em,
        `SELECT c.id, c.last_message_id AS "lastMessageId" FROM chats c
          WHERE c.id = (SELECT chat_id FROM messages WHERE id = $1) FOR UPDATE OF c`,
        [id],
      );
      if (!chat) throw notFound();
      const [msg] = await rows<{ userId: number; excerpt: string }>(
        em,
        `DELETE FROM messages WHERE id = $1 RETURNING user_id AS "userId", left(message, ${EXCERPT}) AS excerpt`,
        [id],
      );
      if (!msg) throw notFound();
      if (chat.lastMessageId === id) await this.repointLastMessage(em, [chat.id]);
      await AuditLog.record(em, {
        actor, action: "message.delete", targetType: "message", targetId: id,
        details: { ownerId: msg.userId, owner: await this.usernameOf(em, msg.userId), chatId: chat.id, excerpt: msg.excerpt },
      });
    });
  }

  /** Deletes an image row (an avatar pointing at it becomes null by its FK), then its files after the commit. */
  async deleteImage(actor: Actor, id: number): Promise<void> {
    const files = await this.deps.ds.transaction(async (em) => {
      const [img] = await rows<{ ownerId: number; path: string; thumbPath: string; originalName: string }>(
        em,
        `DELETE FROM images WHERE id = $1
         RETURNING owner_id AS "ownerId", path, thumb_path AS "thumbPath", original_name AS "originalName"`,
        [id],
      );
      if (!img) throw notFound();
      await AuditLog.record(em, {
        actor, action: "image.delete", targetType: "image", targetId: id,
        details: { ownerId: img.ownerId, owner: await this.usernameOf(em, img.ownerId), originalName: img.originalName, path: img.path },
      });
      return [img.path, img.thumbPath];
    });
    await this.removeFiles(files);
  }

  auditPage(page: number): Promise<Paged<AuditLog>> {
    return AuditLog.page(page, PAGE_SIZE).then(({ items, hasNext }) => ({ items, page, hasPrev: page > 1, hasNext }));
  }

  auditFor(targetType: string, id: number): Promise<AuditLog[]> {
    return AuditLog.forTarget(targetType, id);
  }

  /** Points chats.last_message_id back at each chat's newest remaining message (0 when none is left). */
  private async repointLastMessage(em: EntityManager, chatIds: number[]): Promise<void> {
    if (!chatIds.length) return;
    await em.query(
      `UPDATE chats c SET last_message_id = COALESCE((SELECT max(m.id) FROM messages m WHERE m.chat_id = c.id), 0) WHERE c.id = ANY($1)`,
      [chatIds],
    );
  }

  private async usernameOf(em: EntityManager, id: number): Promise<string | null> {
    const [u] = await rows<{ username: string }>(em, `SELECT username FROM users WHERE id = $1`, [id]);
    return u?.username ?? null;
  }

  private async endSessions(userId: number): Promise<void> {
    // Sockets first, by the user's room (every socket of theirs, whatever became of its session row): they need no
    // database, so a failure to delete the sessions below cannot leave a deactivated user chatting live.
    this.deps.realtime.disconnectUser(userId);
    const sids = await Session.destroyForUser(userId);
    this.deps.realtime.disconnectSessions(sids);
  }

  private async removeFiles(files: string[]): Promise<void> {
    const failed = await removeMediaFiles(this.deps.config.mediaRoot, files);
    if (failed.length) this.deps.logger.warn({ failed }, "admin: could not remove some media files");
  }
}
