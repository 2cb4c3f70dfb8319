// Older history: the "Load older messages" link works without JavaScript; with it, older pages load in place
// when the link scrolls into view, keeping the message that was at the top where it was on screen.
import { t } from "../i18n.js";
import { el } from "./dom.js";

/** How many pages a jump to a quoted message loads before it opens the chat at that message instead. */
const JUMP_PAGES = 10;

export function olderHistory({ chatId, live, messages }) {
  let older = document.getElementById("load-older");
  let loading = false;
  let observer = null;
  /** Loads older pages until message `id` is on the page (at most JUMP_PAGES); whether it is. */
  async function untilShown(id) {
    for (let i = 0; i < JUMP_PAGES && !document.getElementById(`m-${id}`) && older; i++) {
      while (loading) await new Promise((r) => setTimeout(r, 50));
      await loadOlder();
    }
    return Boolean(document.getElementById(`m-${id}`));
  }
  if (!older) return { untilShown };

  async function loadOlder() {
    if (loading || !older) return;
    const first = messages.list.querySelector(".chat-msg[data-id]");
    if (!first) return;
    loading = true;
    try {
      const res = await fetch(`/chats/${chatId}/messages?before=${first.dataset.id}`, { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(String(res.status));
      const page = await res.json();
      const frag = document.createDocumentFragment();
      for (const m of page.messages) if (!document.getElementById(`m-${m.id}`)) frag.append(messages.render(m));
      const anchorTop = first.getBoundingClientRect().top;
      messages.list.prepend(frag);
      messages.relayout();
      messages.scroller.scrollTop += first.getBoundingClientRect().top - anchorTop;
      if (page.hasMore && page.messages.length) older.href = `/chats/${chatId}?before=${page.messages[0].id}`;
      else {
        document.getElementById("older-wrap").replaceChildren(el("p", "small text-body-secondary mb-0", t("chat.history_start")));
        observer?.disconnect();
        older = null;
      }
    } catch {
      // The link still works as a plain link.
      return;
    } finally {
      loading = false;
    }
    // Still at the top (a tall screen, a short page): the observer will not fire again by itself.
    if (older && older.getBoundingClientRect().bottom > messages.scroller.getBoundingClientRect().top) loadOlder();
  }

  older.addEventListener("click", (e) => {
    if (!live) return;
    e.preventDefault();
    loadOlder();
  });
  if (live && "IntersectionObserver" in window) {
    observer = new IntersectionObserver((entries) => entries.some((x) => x.isIntersecting) && loadOlder(), { root: messages.scroller });
    observer.observe(older);
  }
  return { untilShown };
}
