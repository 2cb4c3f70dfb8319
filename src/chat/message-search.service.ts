// Searching the messages of all a user's chats, a page at a time, as the search page shows them.
import { excerpt, highlight, planSearch } from "../search/query";
import type { Reader } from "./chat.presenter";
import { Message } from "./message.entity";

/** Search results per page. */
export const SEARCH_PAGE = 20;
const EXCERPT_CHARS = 240;

/**
 * Messages in all the user's chats matching a search (the notes search's query language: words, "phrases",
 * -exclusions, or; short queries are substring searches), newest first, a page at a time.
 */
export async function searchMessages(userId: number, q: string, page: number, { t, fmt }: Reader) {
  const plan = planSearch(q);
  const rows = await Message.search(userId, plan, SEARCH_PAGE + 1, (page - 1) * SEARCH_PAGE);
  return {
    hasMore: rows.length > SEARCH_PAGE,
    page,
    items: rows.slice(0, SEARCH_PAGE).map((r) => ({
      id: r.id,
      chatId: r.chatId,
      chatTitle: r.isGroup ? r.chatName ?? t("chat.group") : r.otherUsername ?? t("chat.deleted_account"),
      isGroup: r.isGroup,
      username: r.username,
      createdAt: new Date(r.createdAt).toISOString(),
      when: fmt.dateTime(new Date(r.createdAt)),
      segments: highlight(excerpt(r.text, plan.terms, EXCERPT_CHARS), plan),
    })),
  };
}
