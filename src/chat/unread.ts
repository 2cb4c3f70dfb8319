// Unread counting, shared by the chat list, the live badge and the per-request user lookup (the navbar badge on every
// page: app.ts adds unreadTotalSql to User.activeLookup, so the badge costs no statement of its own).

declare module "../auth/user.entity" {
  interface User {
    /** Unread chat messages over all the user's chats: set by the per-request lookup only (the navbar badge). Not a column. */
    unreadTotal?: number;
    /** The chats (muted ones aside) where an unread message mentions the user: the navbar's "@". Not a column. */
    unreadMentionChats?: number[];
  }
}

/**
 * Unread messages per chat are counted up to this many (shown as "99+"): the count walks the
 * (chat_id, id) index, so a member who never reads a busy group cannot make every page slower.
 */
export const UNREAD_CAP = 100;

/**
 * Unread messages in one chat for one membership row `cm` (messages after cm.last_read_message_id). A deleted
 * message is not unread: there is nothing left in it to read (the partial index messages_chat_id_id_live_idx
 * keeps the count off the table's rows).
 */
export const unreadInChatSql = (cm: string) =>
  `(SELECT count(*)::int FROM (SELECT 1 FROM messages um WHERE um.chat_id = ${cm}.chat_id AND um.id > ${cm}.last_read_message_id AND um.deleted_at IS NULL LIMIT ${UNREAD_CAP}) unread_rows)`;

/** Whether membership row `cm` has its chat muted now (chat_members.muted_until; 'infinity' until unmuted). */
export const mutedSql = (cm: string) => `(${cm}.muted_until IS NOT NULL AND ${cm}.muted_until > now())`;

/**
 * A user's unread total over all their chats, as a scalar subquery on a user id expression. Muted chats do not
 * count (their own count is still shown, muted, in the chat list). A sender's own messages never count: storing a
 * message moves the sender's read position past it.
 */
export const unreadTotalSql = (userIdExpr: string) =>
  `(SELECT coalesce(sum(${unreadInChatSql("utm")}), 0)::int FROM chat_members utm WHERE utm.user_id = ${userIdExpr} AND NOT ${mutedSql("utm")})`;

/**
 * The chats (not muted) where an unread message mentions a user, as an int array, a scalar subquery on a user id
 * expression: per membership one probe of message_mentions' (user_id, chat_id, message_id) index, as the total
 * walks the same memberships.
 */
export const unreadMentionChatsSql = (userIdExpr: string) =>
  `(SELECT coalesce(array_agg(mc.chat_id ORDER BY mc.chat_id), '{}') FROM chat_members mc WHERE mc.user_id = ${userIdExpr} AND NOT ${mutedSql("mc")}` +
  ` AND EXISTS (SELECT 1 FROM message_mentions mm WHERE mm.user_id = mc.user_id AND mm.chat_id = mc.chat_id AND mm.message_id > mc.last_read_message_id))`;
