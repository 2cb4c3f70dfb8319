// Chats: direct and group conversations, membership, history, read positions, and the one path every
// message takes (ChatService.postMessage), whether it came from the HTML form or from a socket.
import type { Pool, PoolClient } from "pg";
import type { Server } from "socket.io";
import { FieldError } from "../auth/auth.service";
import type { AppDeps } from "../deps";
import { notFound } from "../http/errors";
import { userRoom } from "../realtime";
import { ChatMember } from "./chat-member.entity";
import { Chat, type ChatListRow, type ChatMemberView } from "./chat.entity";
import { messageBudget, type MessageBudget } from "./message-budget";
import { Message, MESSAGE_COLUMNS, MESSAGE_JOINS, type MessageRow } from "./message.entity";
import { UNREAD_CAP, unreadTotalSql } from "./unread";

export const chatRoom = (chatId: number) => `chat:${chatId}`;

/** Messages per page of history (the first view and each "load older"). */
export const HISTORY_PAGE = 50;
/** Messages per chat:sync answer; the client asks again while hasMore is true. */
export const SYNC_LIMIT = 200;
export const CHATS_PER_PAGE = 50;
const PREVIEW_CHARS = 120;
const PRESENCE_LIST_MAX = 50;
const PRESENCE_COALESCE_MS = 200;

export interface MessageDto {
  id: number;
  chatId: number;
  userId: number;
  username: string;
  /** Thumbnail path under /media, or null for the initials placeholder. */
  avatar: string | null;
  text: string;
  clientId: string | null;
  createdAt: string;
  /** "14:05" and "3 Mar 2026" in UTC, for pages rendered without JavaScript (chat.js shows local time). */
  time: string;
  day: string;
}

/** A message as broadcast live: with the id of the chat's message before it (0 for the first). */
export type LiveMessage = MessageDto & { prevId?: number };

export interface Picture {
  profilePicture: { thumbPath: string } | null;
}

export interface ChatListItem {
  id: number;
  isGroup: boolean;
  title: string;
  picture: Picture;
  memberCount: number;
  activityAt: string;
  activityLabel: string;
  last: { text: string; username: string | null; mine: boolean } | null;
  unread: number;
  unreadLabel: string;
}

export interface MemberView {
  id: number;
  username: string;
  picture: Picture;
  isCreator: boolean;
  isMe: boolean;
}

export interface ChatView {
  id: number;
  isGroup: boolean;
  title: string;
  picture: Picture;
  creatorId: number | null;
  isCreator: boolean;
  members: MemberView[];
  /** The other person of a direct chat (null once their account is gone). */
  other: MemberView | null;
  lastReadMessageId: number;
  unread: number;
}

const timeFmt = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });
const dayFmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const shortDayFmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });

const picture = (thumbPath: string | null): Picture => ({ profilePicture: thumbPath ? { thumbPath } : null });

export function toDto(r: MessageRow): MessageDto {
  const at = new Date(r.created_at);
  return {
    id: r.id,
    chatId: r.chat_id,
    userId: r.user_id,
    username: r.username,
    avatar: r.avatar,
    text: r.message,
    clientId: r.client_id,
    createdAt: at.toISOString(),
    time: timeFmt.format(at),
    day: dayFmt.format(at),
  };
}

/** "14:05" today, "3 Mar" this year, "3 Mar 2024" before: as chat lists show activity. */
function activityLabel(at: Date, now = new Date()): string {
  if (dayFmt.format(at) === dayFmt.format(now)) return timeFmt.format(at);
  if (at.getUTCFullYear() === now.getUTCFullYear()) return shortDayFmt.format(at);
  return dayFmt.format(at);
}

export const unreadLabel = (n: number) => (n >= UNREAD_CAP ? `${UNREAD_CAP - 1}+` : String(n));

async function inTransaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

export interface PostOptions {
  /** Runs after the message is stored and before it is broadcast: the socket handler acks here. */
  onStored?: (message: LiveMessage, created: boolean) => void;
}

const services = new WeakMap<Server, ChatService>();

/**
 * The one ChatService of an app: routes and sockets share it, and with it the per-chat storing order and (without
 * Redis) the in-memory message budget.
 */
export function chatServiceFor(deps: AppDeps, io: Server): ChatService {
  let service = services.get(io);
  if (!service) {
    service = new ChatService(deps.pool, io, messageBudget(deps.config, deps.redis));
    services.set(io, service);
  }
  return service;
}

/** Why a member's sockets are told they lost a chat: the creator removed them, or they left (in another tab). */
export type Removal = "removed" | "left";

export class ChatService {
  constructor(
    private pool: Pool,
    private io: Server,
    private budget: MessageBudget,
  ) {}

  async listChats(userId: number, page = 1): Promise<{ items: ChatListItem[]; hasMore: boolean }> {
    const rows = await Chat.listFor(userId, CHATS_PER_PAGE + 1, (page - 1) * CHATS_PER_PAGE);
    const now = new Date();
    const items = rows.slice(0, CHATS_PER_PAGE).map((r: ChatListRow): ChatListItem => {
      const title = r.is_group ? r.chat_name ?? "Group" : r.other_username ?? "Deleted account";
      const at = new Date(r.activity_at);
      return {
        id: r.id,
        isGroup: r.is_group,
        title,
        picture: picture(r.is_group ? r.avatar : r.other_avatar),
        memberCount: r.member_count,
        activityAt: at.toISOString(),
        activityLabel: activityLabel(at, now),
        last: r.last_id === null ? null : { text: r.last_text ?? "", username: r.last_username, mine: r.last_user_id === userId },
        unread: r.unread,
        unreadLabel: unreadLabel(r.unread),
      };
    });
    return { items, hasMore: rows.length > CHATS_PER_PAGE };
  }

  /** The chat as a member sees it; 404 for anyone else, so a chat's existence is not revealed. */
  async getChat(userId: number, chatId: number): Promise<ChatView> {
    const row = await Chat.forMember(chatId, userId);
    if (!row) throw notFound();
    return this.view(row, userId);
  }

  private view(row: ChatMemberView, userId: number): ChatView {
    const members: MemberView[] = (row.members ?? []).map((m) => ({
      id: m.id,
      username: m.username,
      picture: picture(m.avatar),
      isCreator: m.id === row.creator_id,
      isMe: m.id === userId,
    }));
    const other = row.is_group ? null : members.find((m) => !m.isMe) ?? null;
    return {
      id: row.id,
      isGroup: row.is_group,
      title: row.is_group ? row.chat_name ?? "Group" : other?.username ?? "Deleted account",
      picture: row.is_group ? picture(row.avatar) : other?.picture ?? picture(null),
      creatorId: row.creator_id,
      isCreator: row.is_group && row.creator_id === userId,
      members,
      other,
      lastReadMessageId: row.last_read_message_id,
      unread: row.unread,
    };
  }

  /**
   * The chat page: the newest page of history (or the page before `beforeId`). Opening the newest page marks
   * the chat read; the user's other tabs get the new badge total, worked out from the total their user row
   * carried (no extra query).
   */
  async openChat(user: { id: number; unreadTotal?: number }, chatId: number, beforeId: number | null) {
    const chat = await this.getChat(user.id, chatId);
    const rows = await Message.pageBefore(chatId, beforeId ?? 2147483647, HISTORY_PAGE + 1);
    const hasOlder = rows.length > HISTORY_PAGE;
    const messages = (hasOlder ? rows.slice(1) : rows).map(toDto);
    let unreadTotal = user.unreadTotal ?? 0;
    const newest = messages.at(-1);
    if (beforeId === null && newest && newest.id > chat.lastReadMessageId) {
      await this.pool.query(
        `UPDATE chat_members SET last_read_message_id = $3 WHERE chat_id = $1 AND user_id = $2 AND last_read_message_id < $3`,
        [chatId, user.id, newest.id],
      );
      unreadTotal = Math.max(0, unreadTotal - chat.unread);
      this.io.to(userRoom(user.id)).emit("chat:unread", { chatId, unread: 0, total: unreadTotal });
    }
    return { chat, messages, hasOlder, unreadTotal };
  }

  async assertMember(userId: number, chatId: number): Promise<void> {
    if (!(await ChatMember.isMember(userId, chatId))) throw notFound();
  }

  /** "Load older": the page of history before a message id (keyset, so new messages never shift it). */
  async olderMessages(userId: number, chatId: number, beforeId: number): Promise<{ messages: MessageDto[]; hasMore: boolean }> {
    await this.assertMember(userId, chatId);
    const rows = await Message.pageBefore(chatId, beforeId, HISTORY_PAGE + 1);
    const hasMore = rows.length > HISTORY_PAGE;
    return { messages: (hasMore ? rows.slice(1) : rows).map(toDto), hasMore };
  }

  /** What a reconnecting client missed: messages after the last id it saw, oldest first. */
  async messagesAfter(userId: number, chatId: number, afterId: number): Promise<{ messages: MessageDto[]; hasMore: boolean }> {
    await this.assertMember(userId, chatId);
    const rows = await Message.pageAfter(chatId, afterId, SYNC_LIMIT + 1);
    const hasMore = rows.length > SYNC_LIMIT;
    return { messages: (hasMore ? rows.slice(0, SYNC_LIMIT) : rows).map(toDto), hasMore };
  }

  /** Per chat, the tail of the messages being stored by this process (see postMessage). */
  private storing = new Map<number, Promise<unknown>>();

  /**
   * Stores a message from a member, then (after onStored) broadcasts it to the chat's room and raises the
   * unread badges of the other members' sockets that are not in that room. Non-members get a 404 and nothing
   * is stored; a sender past their message budget (every socket, form and process together) gets TooFast.
   *
   * One statement checks membership, locks the chat row, inserts, and moves the chat's activity, newest
   * message and the sender's read position:
   * - the chat row is locked before the INSERT takes its id and stays locked until commit, so within a chat
   *   ids are handed out in commit order, and the locked row's last_message_id is exactly the previous
   *   message: live messages carry it as prevId, so a client can tell a gap from a reordering, and a
   *   chat:sync "after N" never skips a late commit;
   * - a retried clientId hits the (user_id, client_id) unique index and inserts nothing (ON CONFLICT DO NOTHING);
   *   the stored message is then returned, and not broadcast again.
   * Within this process one chat's messages are stored one at a time (they would queue on the row lock
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
    const { rows } = await this.pool.query<
      MessageRow & { allowed: boolean; is_group: boolean | null; prev_id: number | null; others: number[] | null }
    >(
      `WITH chat AS (
         SELECT c.id, c.is_group, c.last_message_id FROM chats c
          WHERE c.id = $1 AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2)
          FOR UPDATE OF c
       ), ins AS (
         INSERT INTO messages (chat_id, user_id, message, client_id)
         SELECT id, $2, $3, $4 FROM chat
         ON CONFLICT (user_id, client_id) DO NOTHING
         RETURNING id, chat_id, user_id, message, client_id, created_at
       ), bump AS (
         UPDATE chats c SET last_message_id = ins.id, last_message_at = GREATEST(c.last_message_at, ins.created_at)
           FROM ins WHERE c.id = ins.chat_id
       ), seen AS (
         UPDATE chat_members cm SET last_read_message_id = ins.id FROM ins
          WHERE cm.chat_id = ins.chat_id AND cm.user_id = ins.user_id AND cm.last_read_message_id < ins.id
       )
       SELECT EXISTS (SELECT 1 FROM chat) AS allowed, (SELECT is_group FROM chat) AS is_group,
              (SELECT last_message_id FROM chat) AS prev_id,
              m.id, m.chat_id, m.user_id, m.message, m.client_id, m.created_at, u.username, i.thumb_path AS avatar,
              (SELECT array_agg(user_id) FROM chat_members WHERE chat_id = $1 AND user_id <> $2) AS others
         FROM (SELECT 1) one
         LEFT JOIN ins m ON true
         LEFT JOIN users u ON u.id = m.user_id
         LEFT JOIN images i ON i.id = u.profile_picture_id`,
      [chatId, senderId, text, clientId],
    );
    const row = rows[0];
    if (!row.allowed) throw notFound();
    if (row.id === null) {
      // A retry of a message already stored: same answer as the first time, nothing broadcast.
      const { rows: stored } = await this.pool.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages m ${MESSAGE_JOINS} WHERE m.user_id = $1 AND m.client_id = $2`,
        [senderId, clientId],
      );
      // The same client id reused for another chat is a client bug, never a reason to reveal that message.
      if (!stored[0] || stored[0].chat_id !== chatId) throw new FieldError("clientId", "That client id was already used for another message.");
      const message = toDto(stored[0]);
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
    const { rowCount } = await this.pool.query(
      `UPDATE chat_members SET last_read_message_id = LEAST($3, (SELECT coalesce(max(id), 0) FROM messages WHERE chat_id = $1))
        WHERE chat_id = $1 AND user_id = $2 AND last_read_message_id < LEAST($3, (SELECT coalesce(max(id), 0) FROM messages WHERE chat_id = $1))`,
      [chatId, userId, messageId],
    );
    if (!rowCount) return null;
    const total = await this.unreadTotal(userId);
    this.io.to(userRoom(userId)).emit("chat:unread", { chatId, unread: 0, total });
    return total;
  }

  async unreadTotal(userId: number): Promise<number> {
    const { rows } = await this.pool.query<{ total: number }>(`SELECT ${unreadTotalSql("$1::int")} AS total`, [userId]);
    return rows[0].total;
  }

  /**
   * The direct chat between two people, created on first use. The unique direct_key ("<min>:<max>") settles a
   * race: of two simultaneous first messages, one INSERT wins and the other waits for it, does nothing and
   * reads the winner's chat.
   */
  async openDirect(userId: number, otherId: number): Promise<number> {
    if (userId === otherId) throw new FieldError("_form", "You can't start a chat with yourself.");
    const key = `${Math.min(userId, otherId)}:${Math.max(userId, otherId)}`;
    const { rows } = await this.pool.query<{ created_id: number | null; other_ok: boolean }>(
      `WITH other AS (SELECT id FROM users WHERE id = $2 AND is_active),
            c AS (
              INSERT INTO chats (is_group, direct_key, creator_id) SELECT false, $3, $1 FROM other
              ON CONFLICT (direct_key) DO NOTHING RETURNING id
            ),
            m AS (INSERT INTO chat_members (chat_id, user_id) SELECT c.id, u FROM c, unnest(ARRAY[$1::int, $2::int]) u)
       SELECT (SELECT id FROM c) AS created_id, EXISTS (SELECT 1 FROM other) AS other_ok`,
      [userId, otherId, key],
    );
    if (!rows[0].other_ok) throw notFound();
    if (rows[0].created_id) return rows[0].created_id;
    const { rows: existing } = await this.pool.query<{ id: number }>(`SELECT id FROM chats WHERE direct_key = $1`, [key]);
    return existing[0].id;
  }

  /** Active users by (case-insensitive) username; names nobody has become one clear field error. */
  private async resolveUsernames(db: Pool | PoolClient, names: string[], field = "members"): Promise<{ id: number; username: string }[]> {
    const { rows } = await db.query<{ id: number; username: string }>(
      `SELECT id, username FROM users WHERE lower(username) = ANY($1::text[]) AND is_active`,
      [names.map((n) => n.toLowerCase())],
    );
    const found = new Set(rows.map((r) => r.username.toLowerCase()));
    const unknown = names.filter((n) => !found.has(n.toLowerCase()));
    if (unknown.length) {
      const list = unknown.map((n) => `"${n}"`).join(", ");
      throw new FieldError(field, unknown.length === 1 ? `There is no user called ${list}.` : `There are no users called ${list}.`);
    }
    return rows;
  }

  /** A group with its creator and the named people, all in one transaction. */
  async createGroup(userId: number, name: string, usernames: string[]): Promise<number> {
    return inTransaction(this.pool, async (db) => {
      const people = (await this.resolveUsernames(db, usernames)).filter((p) => p.id !== userId);
      if (!people.length) throw new FieldError("members", "Add at least one other person.");
      const { rows } = await db.query<{ id: number }>(
        `INSERT INTO chats (chat_name, is_group, creator_id) VALUES ($1, true, $2) RETURNING id`,
        [name, userId],
      );
      const chatId = rows[0].id;
      await db.query(`INSERT INTO chat_members (chat_id, user_id) SELECT $1, unnest($2::int[])`, [
        chatId,
        [userId, ...people.map((p) => p.id)],
      ]);
      return chatId;
    });
  }

  /** Only the creator may rename; for anyone else (member or not) the action does not exist: 404. */
  async rename(userId: number, chatId: number, name: string): Promise<void> {
    const { rowCount } = await this.pool.query(
      `UPDATE chats SET chat_name = $3 WHERE id = $1 AND is_group AND creator_id = $2`,
      [chatId, userId, name],
    );
    if (!rowCount) throw notFound();
    this.io.to(chatRoom(chatId)).emit("chat:renamed", { chatId, name });
  }

  /** Locks a group row for its creator, or 404. */
  private async lockAsCreator(db: PoolClient, userId: number, chatId: number): Promise<void> {
    const { rowCount } = await db.query(`SELECT 1 FROM chats WHERE id = $1 AND is_group AND creator_id = $2 FOR UPDATE`, [chatId, userId]);
    if (!rowCount) throw notFound();
  }

  /**
   * Adds people to a group (creator only). New members start with everything before them already read:
   * they can scroll through the history, but it does not light up their badge.
   */
  async addMembers(userId: number, chatId: number, usernames: string[]): Promise<{ added: string[]; already: string[] }> {
    return inTransaction(this.pool, async (db) => {
      await this.lockAsCreator(db, userId, chatId);
      const people = await this.resolveUsernames(db, usernames);
      const { rows } = await db.query<{ user_id: number }>(
        `INSERT INTO chat_members (chat_id, user_id, last_read_message_id)
         SELECT $1, unnest($2::int[]), (SELECT coalesce(max(id), 0) FROM messages WHERE chat_id = $1)
         ON CONFLICT (chat_id, user_id) DO NOTHING RETURNING user_id`,
        [chatId, people.map((p) => p.id)],
      );
      const added = new Set(rows.map((r) => r.user_id));
      return {
        added: people.filter((p) => added.has(p.id)).map((p) => p.username),
        already: people.filter((p) => !added.has(p.id)).map((p) => p.username),
      };
    });
  }

  /** The creator removes someone else (they leave with "Leave"). Their open sockets leave the room at once. */
  async removeMember(userId: number, chatId: number, memberId: number): Promise<string> {
    if (memberId === userId) throw notFound();
    const username = await inTransaction(this.pool, async (db) => {
      await this.lockAsCreator(db, userId, chatId);
      const { rows } = await db.query<{ username: string }>(
        `DELETE FROM chat_members cm USING users u WHERE cm.chat_id = $1 AND cm.user_id = $2 AND u.id = cm.user_id RETURNING u.username`,
        [chatId, memberId],
      );
      if (!rows[0]) throw notFound();
      return rows[0].username;
    });
    this.evict(memberId, chatId, "removed");
    return username;
  }

  /**
   * Leaving a group. If the creator leaves, the longest-standing member becomes the creator, so the group
   * can still be managed; when the last member leaves, the group and its history are deleted (nobody could
   * ever see them again). Direct chats cannot be left: 404.
   */
  async leave(userId: number, chatId: number): Promise<{ title: string; deleted: boolean }> {
    const result = await inTransaction(this.pool, async (db) => {
      const { rows } = await db.query<{ chat_name: string; creator_id: number | null }>(
        `SELECT c.chat_name, c.creator_id FROM chats c
          WHERE c.id = $1 AND c.is_group AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2)
          FOR UPDATE`,
        [chatId, userId],
      );
      const chat = rows[0];
      if (!chat) throw notFound();
      await db.query(`DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2`, [chatId, userId]);
      const { rows: next } = await db.query<{ user_id: number }>(
        `SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY joined_at, id LIMIT 1`,
        [chatId],
      );
      if (!next[0]) {
        await db.query(`DELETE FROM chats WHERE id = $1`, [chatId]);
        return { title: chat.chat_name, deleted: true };
      }
      if (chat.creator_id === userId || chat.creator_id === null) {
        await db.query(`UPDATE chats SET creator_id = $2 WHERE id = $1`, [chatId, next[0].user_id]);
      }
      return { title: chat.chat_name, deleted: false };
    });
    this.evict(userId, chatId, "left");
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
    this.broadcastPresence(chatId);
  }

  /**
   * Who has the chat open right now, from the room itself (so it works across processes): how many people,
   * and the first PRESENCE_LIST_MAX of them by name. One entry per person, however many tabs they have.
   */
  async presence(chatId: number): Promise<{ chatId: number; count: number; users: { id: number; username: string }[] }> {
    const sockets = await this.io.in(chatRoom(chatId)).fetchSockets();
    const users = new Map<number, string>();
    for (const s of sockets) if (typeof s.data.userId === "number") users.set(s.data.userId, String(s.data.username ?? ""));
    const list = [...users].map(([id, username]) => ({ id, username })).sort((a, b) => a.username.localeCompare(b.username));
    return { chatId, count: list.length, users: list.slice(0, PRESENCE_LIST_MAX) };
  }

  private presenceDue = new Map<number, NodeJS.Timeout>();

  /**
   * Tells the room who is there, shortly after a join or leave. Changes within PRESENCE_COALESCE_MS share one
   * broadcast: a thousand sockets joining a big group at once cost a few broadcasts, not a thousand.
   */
  broadcastPresence(chatId: number): void {
    if (this.presenceDue.has(chatId)) return;
    const timer = setTimeout(() => {
      this.presenceDue.delete(chatId);
      this.presence(chatId)
        .then((p) => this.io.to(chatRoom(chatId)).emit("chat:presence", p))
        .catch(() => {}); // the server is closing; nobody is left to tell
    }, PRESENCE_COALESCE_MS);
    timer.unref();
    this.presenceDue.set(chatId, timer);
  }
}
