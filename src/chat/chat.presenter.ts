// Shapes chat rows for pages and socket events: what a message, a chat list row and a chat look like to a user.
// Times go through the one date formatter in the reader's language and zone (as notes print them); a message
// broadcast live goes to readers of every language, so it carries only its instant and the browser formats it
// (public/js/format.js, the same options).
import type { Translate } from "../i18n";
import type { DateFormatter } from "../i18n/format";
import type { ChatListRow, ChatMemberView } from "./chat.entity";
import { REACTIONS } from "./message-reaction.entity";
import type { MessageRow } from "./message.entity";
import { messageSegments, type Segment } from "./message-text";
import { UNREAD_CAP } from "./unread";

export interface MessageDto {
  id: number;
  chatId: number;
  userId: number;
  username: string;
  /** Thumbnail path under /media, or null for the initials placeholder. */
  avatar: string | null;
  /** Empty once deleted. */
  text: string;
  clientId: string | null;
  createdAt: string;
  /** When its author last edited it, or null. */
  editedAt: string | null;
  deleted: boolean;
  /** The chat's change number of its last edit, deletion or reaction (0: never changed): newer wins on a client. */
  version: number;
  /** The message it answers: author and first line ("" and deleted once that message is deleted). */
  replyTo: { id: number; username: string; text: string; deleted: boolean } | null;
  /** Who reacted with what, in the order of REACTIONS. */
  reactions: ReactionDto[];
  /** Its photos in order (none once deleted): files under /media, seen by the chat's members only. */
  photos: PhotoDto[];
}

export interface PhotoDto {
  id: number;
  /** The web-size file and the square thumbnail, relative to /media. */
  src: string;
  thumb: string;
  width: number;
  height: number;
}

export interface ReactionDto {
  emoji: string;
  users: { id: number; username: string }[];
}

/**
 * One reaction added or taken back: what the chat's room is told instead of the whole message (chat:reacted).
 * A page showing the message at prevVersion applies it; one further behind has missed a change and syncs.
 */
export interface ReactionChange {
  chatId: number;
  /** The message's id. */
  id: number;
  version: number;
  prevVersion: number;
  emoji: string;
  on: boolean;
  userId: number;
  username: string;
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
  /** The chat's newest message (its id tells the live page which edit or deletion changes this preview). */
  last: { id: number; text: string; username: string | null; mine: boolean; deleted: boolean } | null;
  unread: number;
  unreadLabel: string;
  /** An unread message mentions the reader. */
  mentioned: boolean;
  muted: boolean;
}

export interface MemberView {
  id: number;
  username: string;
  picture: Picture;
  isCreator: boolean;
  isMe: boolean;
  /** Their read position (the last message they have seen). */
  lastRead: number;
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
  /** The chat's change number when read: a reconnecting page asks for the changes after it. */
  changeSeq: number;
  muted: boolean;
  /** When the reader's mute ends (null: not muted, or until they unmute). */
  mutedUntil: Date | null;
}

/** Who a page is for: their translator and date formatter (req.t, res.locals.fmt). */
export interface Reader {
  t: Translate;
  fmt: DateFormatter;
}

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
    editedAt: r.edited_at ? new Date(r.edited_at).toISOString() : null,
    deleted: r.deleted_at !== null,
    version: r.version ?? 0,
    replyTo: r.reply_to_id === null || r.reply_to_id === undefined
      ? null
      : { id: r.reply_to_id, username: r.reply_username ?? "", text: r.reply_deleted ? "" : r.reply_text ?? "", deleted: r.reply_deleted === true },
    reactions: groupReactions(r.reactions),
    photos: (r.deleted_at ? [] : r.photos ?? []).map((p) => ({ id: p.id, src: p.path, thumb: p.thumb, width: p.width, height: p.height })),
  };
}

function groupReactions(rows: MessageRow["reactions"]): ReactionDto[] {
  if (!rows?.length) return [];
  const by = new Map<string, ReactionDto>();
  for (const r of rows) {
    const group = by.get(r.emoji) ?? { emoji: r.emoji, users: [] };
    group.users.push({ id: r.userId, username: r.username });
    by.set(r.emoji, group);
  }
  const order = REACTIONS as readonly string[];
  return [...by.values()].sort((a, b) => order.indexOf(a.emoji) - order.indexOf(b.emoji));
}

/** "14:05" today, "3 Mar" this year, "3 Mar 2024" before, in the reader's zone: as chat lists show activity. */
function activityLabel(fmt: DateFormatter, at: Date, now: Date): string {
  if (fmt.day(at) === fmt.day(now)) return fmt.time(at);
  if (fmt.year(at) === fmt.year(now)) return fmt.shortDay(at);
  return fmt.day(at);
}

export const unreadLabel = (n: number) => (n >= UNREAD_CAP ? `${UNREAD_CAP - 1}+` : String(n));

export function listItem(r: ChatListRow, userId: number, { t, fmt }: Reader, now = new Date()): ChatListItem {
  const at = new Date(r.activity_at);
  return {
    id: r.id,
    isGroup: r.is_group,
    title: r.is_group ? r.chat_name ?? t("chat.group") : r.other_username ?? t("chat.deleted_account"),
    picture: picture(r.is_group ? r.avatar : r.other_avatar),
    memberCount: r.member_count,
    activityAt: at.toISOString(),
    activityLabel: activityLabel(fmt, at, now),
    last: r.last_id === null
      ? null
      : {
          id: r.last_id,
          // Only a message of photos without a caption has no text (a text message has some, a deleted one is marked).
          text: r.last_text || (r.last_deleted ? "" : t("chat.photos.list_preview")),
          username: r.last_username,
          mine: r.last_user_id === userId,
          deleted: r.last_deleted === true,
        },
    unread: r.unread,
    unreadLabel: unreadLabel(r.unread),
    mentioned: r.mentioned === true && r.unread > 0,
    muted: r.muted === true,
  };
}

export function chatView(row: ChatMemberView, userId: number, t: Translate): ChatView {
  const members: MemberView[] = (row.members ?? []).map((m) => ({
    id: m.id,
    username: m.username,
    picture: picture(m.avatar),
    isCreator: m.id === row.creator_id,
    isMe: m.id === userId,
    lastRead: m.lastRead ?? 0,
  }));
  const other = row.is_group ? null : members.find((m) => !m.isMe) ?? null;
  return {
    id: row.id,
    isGroup: row.is_group,
    title: row.is_group ? row.chat_name ?? t("chat.group") : other?.username ?? t("chat.deleted_account"),
    picture: row.is_group ? picture(row.avatar) : other?.picture ?? picture(null),
    creatorId: row.creator_id,
    isCreator: row.is_group && row.creator_id === userId,
    members,
    other,
    lastReadMessageId: row.last_read_message_id,
    unread: row.unread,
    changeSeq: row.change_seq ?? 0,
    muted: row.muted === true,
    mutedUntil: row.muted_until ? new Date(row.muted_until) : null,
  };
}

/** What the page shows of each message beyond its DTO: who the reader is, the chat's members, the edit window. */
export interface LayoutContext {
  me: number;
  members: MemberView[];
  editWindowMs: number;
  now?: Date;
}

/** A reaction as a button shows it: how many, who (for the title), whether the reader is among them. */
export interface ReactionView extends ReactionDto {
  count: number;
  mine: boolean;
  names: string;
}

/** The members by lower-case username, for finding @mentions. */
export const memberNames = (members: { username: string }[]) => new Map(members.map((m) => [m.username.toLowerCase(), m.username]));

export function reactionViews(reactions: ReactionDto[], me: number): ReactionView[] {
  return reactions.map((r) => ({
    ...r,
    count: r.users.length,
    mine: r.users.some((u) => u.id === me),
    names: r.users.map((u) => u.username).join(", "),
  }));
}

/**
 * Who has seen the reader's newest own message (their read position reached it): in a direct chat the other
 * person, in a group the others by name. Null when the reader has no message on the page.
 */
export function seenBy(messages: MessageDto[], me: number, members: MemberView[]): { messageId: number; names: string[] } | null {
  const mine = [...messages].reverse().find((m) => m.userId === me && !m.deleted);
  if (!mine) return null;
  return { messageId: mine.id, names: members.filter((m) => !m.isMe && m.lastRead >= mine.id).map((m) => m.username) };
}

/**
 * Consecutive messages of one author within five minutes are drawn as one block; days (in the reader's zone) get
 * a divider, "Today" and "Yesterday" by name (`dayLabel`, a key), as public/js/chat/messages.js draws them.
 */
export function layoutMessages(messages: MessageDto[], lastReadId: number, { me, members, editWindowMs, now = new Date() }: LayoutContext, fmt: DateFormatter) {
  const today = fmt.day(now);
  const yesterday = fmt.day(new Date(now.getTime() - 86_400_000));
  const days = messages.map((m) => fmt.day(new Date(m.createdAt)));
  const names = memberNames(members);
  const myName = members.find((m) => m.isMe)?.username ?? null;
  let unreadShown = false;
  return messages.map((m, i) => {
    const prev = messages[i - 1];
    const at = new Date(m.createdAt);
    const day = days[i];
    const dayBreak = !prev || days[i - 1] !== day;
    const dayLabel = day === today ? "chat.today" : day === yesterday ? "chat.yesterday" : null;
    const unreadBreak = !unreadShown && m.id > lastReadId && m.userId !== me;
    if (unreadBreak) unreadShown = true;
    const continued =
      !dayBreak && !unreadBreak && !!prev && prev.userId === m.userId && Date.parse(m.createdAt) - Date.parse(prev.createdAt) < 5 * 60_000;
    const segments: Segment[] = m.deleted ? [] : messageSegments(m.text, names);
    const mine = m.userId === me;
    return {
      ...m,
      mine,
      segments,
      mentionsMe: myName !== null && !mine && segments.some((s) => s.mention === myName),
      canEdit: mine && !m.deleted && now.getTime() - at.getTime() < editWindowMs,
      reactionViews: reactionViews(m.reactions, me),
      editedTitle: m.editedAt ? fmt.dateTime(new Date(m.editedAt)) : null,
      day,
      dayLabel,
      time: fmt.time(at),
      title: fmt.dateTime(at),
      dayBreak,
      unreadBreak,
      continued,
    };
  });
}
