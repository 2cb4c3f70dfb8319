// Shapes chat rows for pages and socket events: what a message, a chat list row and a chat look like to a user.
// Times go through the one date formatter in the reader's language and zone (as notes print them); a message
// broadcast live goes to readers of every language, so it carries only its instant and the browser formats it
// (public/js/format.js, the same options).
import type { Translate } from "../i18n";
import type { DateFormatter } from "../i18n/format";
import type { ChatListRow, ChatMemberView } from "./chat.entity";
import type { MessageRow } from "./message.entity";
import { UNREAD_CAP } from "./unread";

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
  };
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
    last: r.last_id === null ? null : { text: r.last_text ?? "", username: r.last_username, mine: r.last_user_id === userId },
    unread: r.unread,
    unreadLabel: unreadLabel(r.unread),
  };
}

export function chatView(row: ChatMemberView, userId: number, t: Translate): ChatView {
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
    title: row.is_group ? row.chat_name ?? t("chat.group") : other?.username ?? t("chat.deleted_account"),
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
 * Consecutive messages of one author within five minutes are drawn as one block; days (in the reader's zone) get
 * a divider, "Today" and "Yesterday" by name (`dayLabel`, a key), as public/js/chat/messages.js draws them.
 */
export function layoutMessages(messages: MessageDto[], lastReadId: number, me: number, fmt: DateFormatter, now = new Date()) {
  const today = fmt.day(now);
  const yesterday = fmt.day(new Date(now.getTime() - 86_400_000));
  const days = messages.map((m) => fmt.day(new Date(m.createdAt)));
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
    return { ...m, mine: m.userId === me, day, dayLabel, time: fmt.time(at), title: fmt.dateTime(at), dayBreak, unreadBreak, continued };
  });
}
