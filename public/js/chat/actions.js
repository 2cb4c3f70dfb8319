// What can be done with a message: "⋯" opens a small menu (react, reply, edit, delete) next to it; a reaction's
// count toggles it; a reply's quote jumps to the message it answers. Without JavaScript "⋯" opens the message's
// own page, the counts are forms, and the quote links to the chat at that message: the same actions.
import { t } from "../i18n.js";

export function messageActions({ list, me, onReply, onEdit, onDelete, onReact, onJump }) {
  const template = document.getElementById("chat-menu-template");
  let menu = null;
  let opener = null;

  function close(refocus = true) {
    if (!menu) return;
    menu.remove();
    menu = null;
    opener?.setAttribute("aria-expanded", "false");
    if (refocus) opener?.focus();
    opener = null;
  }

  function open(li, link) {
    close(false);
    menu = template.content.firstElementChild.cloneNode(true);
    if (li.dataset.editable !== "true") menu.querySelector("[data-action=edit]").remove();
    if (Number(li.dataset.userId) !== me) menu.querySelector("[data-action=delete]").remove();
    const mine = new Set([...li.querySelectorAll(".chat-reaction.mine")].map((b) => b.dataset.emoji));
    for (const b of menu.querySelectorAll(".chat-menu-react")) b.setAttribute("aria-checked", String(mine.has(b.dataset.emoji)));
    const id = Number(li.dataset.id);
    menu.addEventListener("click", (e) => {
      const react = e.target.closest(".chat-menu-react");
      const action = e.target.closest("[data-action]")?.dataset.action;
      if (react) onReact(id, react.dataset.emoji, !mine.has(react.dataset.emoji));
      else if (action === "reply") onReply(li);
      else if (action === "edit") onEdit(li);
      else if (action === "delete" && window.confirm(t("chat.confirm_delete"))) onDelete(id);
      else if (!action) return;
      close(action !== "reply" && action !== "edit");
    });
    // Arrow keys move between the menu's items; Escape closes it and gives the focus back to "⋯".
    menu.addEventListener("keydown", (e) => {
      const items = [...menu.querySelectorAll("[role^=menuitem]")];
      const at = items.indexOf(document.activeElement);
      if (e.key === "Escape") {
        e.preventDefault();
        close();
      } else if (["ArrowDown", "ArrowRight", "ArrowUp", "ArrowLeft"].includes(e.key)) {
        e.preventDefault();
        const step = e.key === "ArrowDown" || e.key === "ArrowRight" ? 1 : -1;
        items[(at + step + items.length) % items.length].focus();
      }
    });
    li.append(menu);
    // Below the message, or above it when that would run past the bottom of the history's scroll box.
    const box = li.closest(".chat-scroll")?.getBoundingClientRect();
    if (box && menu.getBoundingClientRect().bottom > box.bottom) menu.classList.add("up");
    opener = link;
    link.setAttribute("aria-expanded", "true");
    menu.querySelector("[role^=menuitem]").focus();
  }

  list.addEventListener("click", (e) => {
    const link = e.target.closest(".chat-actions-link");
    if (link) {
      e.preventDefault();
      if (menu && opener === link) return close();
      return open(link.closest(".chat-msg"), link);
    }
    const quote = e.target.closest(".chat-quote");
    if (quote && quote.closest(".chat-msg[data-id]")) {
      e.preventDefault();
      onJump(Number(quote.dataset.replyTo));
    }
  });
  list.addEventListener("submit", (e) => {
    const form = e.target.closest(".chat-reaction-form");
    if (!form) return;
    e.preventDefault();
    const li = form.closest(".chat-msg");
    onReact(Number(li.dataset.id), form.elements.emoji.value, form.elements.on.value === "1");
  });
  document.addEventListener("click", (e) => {
    if (menu && !menu.contains(e.target) && !e.target.closest(".chat-actions-link")) close(false);
  });
}
