// "Seen" under this person's newest message: in a direct chat once the other person has read it, in a group
// "Seen by N" with the names on hover and focus. The page starts from every member's read position (rendered
// with it); chat:seen and the others' own messages move them on.
import { t } from "../i18n.js";
import { el } from "./dom.js";

export function seenMarker({ list, me, isGroup, members }) {
  const readers = new Map(members.filter((m) => m.id !== me).map((m) => [m.id, { username: m.username, lastRead: m.lastRead }]));

  function render() {
    const mine = [...list.querySelectorAll(".chat-msg.mine[data-id]:not(.deleted)")].at(-1);
    const id = mine ? Number(mine.dataset.id) : 0;
    const names = [...readers.values()].filter((m) => m.lastRead >= id).map((m) => m.username);
    const old = document.getElementById("chat-seen");
    if (!mine || !names.length) return old?.remove();
    const label = isGroup ? t("chat.seen_by_names", { count: names.length, names: names.join(", ") }) : t("chat.seen");
    if (old && old.closest(".chat-msg") === mine && old.getAttribute("aria-label") === label) return;
    old?.remove();
    const mark = el("div", "chat-seen", isGroup ? t("chat.seen_by", { count: names.length }) : t("chat.seen"));
    mark.id = "chat-seen";
    mark.tabIndex = 0;
    mark.setAttribute("aria-label", label);
    if (isGroup) mark.title = names.join(", ");
    mine.querySelector(".chat-bubble").append(mark);
  }

  return {
    render,
    /** A member has read up to messageId (or sent it: their own message is read by them). */
    seen(userId, messageId) {
      const reader = readers.get(userId);
      if (!reader || messageId <= reader.lastRead) return;
      reader.lastRead = messageId;
      render();
    },
  };
}
