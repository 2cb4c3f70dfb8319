// The message list: live messages are clones of the server-rendered <template> (views/chat/_message.njk, the one
// copy of the bubble's markup) filled in with textContent; times and day dividers in the reader's zone and
// language (format.js, as the server prints them); "New messages ↓".
import { find } from "/static/vendor/linkifyjs/linkify.mjs";
import { fmt } from "../format.js";
import { t } from "../i18n.js";
import { el } from "./dom.js";
import { messageSegments, webHref } from "./text.js";

/** "Today", "Yesterday" or the date: as src/chat/chat.presenter.ts labels a day. */
function dayLabel(day, now = new Date()) {
  if (day === fmt().day(now)) return t("chat.today");
  if (day === fmt().day(new Date(now.getTime() - 86_400_000))) return t("chat.yesterday");
  return day;
}

/** Same as the server's `initials` filter. */
function initials(name) {
  const parts = String(name || "?").split(/[\s._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
}

/** The template's avatar holds both forms (picture, initials): keep the one this author has. */
function fillAvatar(box, thumbPath, name) {
  const [img, placeholder] = box.children;
  if (thumbPath) {
    img.src = `/media/${thumbPath}`;
    img.alt = t("common.avatar_of", { name });
    placeholder.remove();
  } else {
    placeholder.setAttribute("aria-label", t("common.avatar_of", { name }));
    placeholder.firstElementChild.textContent = initials(name);
    img.remove();
  }
}

/** The text as the server renders it: plain text, http(s) links, @mentions of members; never HTML. */
function fillText(box, text, members) {
  box.replaceChildren();
  for (const s of messageSegments(text, members, find)) {
    const link = s.href ? webHref(s.href) : null;
    if (link) {
      const a = el("a", "", s.text);
      a.href = link;
      a.rel = "noopener noreferrer nofollow";
      a.target = "_blank";
      box.append(a);
    } else if (s.mention) {
      const a = el("a", "chat-mention", s.text);
      a.href = `/people/${encodeURIComponent(s.mention)}`;
      box.append(a);
    } else box.append(s.text);
  }
}

/**
 * A message's photos, as views/chat/_message.njk draws them: one at its own shape, several as square thumbnails,
 * each a link to the photo's page. Gone once the message is deleted (photos never change otherwise).
 */
function fillPhotos(li, m, chatId) {
  const box = li.querySelector(".chat-photos");
  if (!box) return;
  const photos = m.deleted ? [] : m.photos ?? [];
  if (!photos.length) return void box.remove();
  if (box.childElementCount === photos.length) return;
  const one = photos.length === 1;
  const alt = m.text || t("chat.photos.photo_from", { name: m.username });
  box.dataset.count = String(Math.min(photos.length, 4));
  box.replaceChildren(
    ...photos.map((p) => {
      const a = el("a", "chat-photo");
      a.href = `/chats/${chatId}/photos/${p.id}`;
      a.dataset.src = `/media/${p.src}`;
      a.dataset.width = String(p.width);
      a.dataset.height = String(p.height);
      const img = el("img");
      img.src = `/media/${one ? p.src : p.thumb}`;
      img.width = one ? p.width : 256;
      img.height = one ? p.height : 256;
      img.loading = "lazy";
      img.alt = alt;
      img.dataset.userContent = "";
      a.append(img);
      return a;
    }),
  );
  box.hidden = false;
}

/** A reaction's count button, as views/chat/_message.njk draws it (its form posts without JavaScript). */
function reactionButton(chatId, m, r, me, csrf) {
  const mine = r.users.some((u) => u.id === me);
  const names = r.users.map((u) => u.username).join(", ");
  const form = el("form", "d-inline chat-reaction-form");
  form.method = "post";
  form.action = `/chats/${chatId}/messages/${m.id}/reactions`;
  for (const [name, value] of [["_csrf", csrf], ["emoji", r.emoji], ["on", mine ? "0" : "1"]]) {
    const input = el("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  const button = el("button", `chat-reaction${mine ? " mine" : ""}`);
  button.type = "submit";
  button.dataset.emoji = r.emoji;
  button.dataset.users = JSON.stringify(r.users);
  button.title = names;
  button.setAttribute("aria-pressed", String(mine));
  button.setAttribute("aria-label", t("chat.reaction_label", { emoji: r.emoji, count: r.users.length, names }));
  const emoji = el("span", "", r.emoji);
  emoji.setAttribute("aria-hidden", "true");
  const count = el("span", "chat-reaction-count", String(r.users.length));
  count.setAttribute("aria-hidden", "true");
  button.append(emoji, " ", count);
  form.append(button);
  return form;
}

/**
 * Fills the parts of a message that change (text or placeholder, quote, "edited", reactions, actions) from its
 * DTO: used for a new message and again for each newer version of it (chat:changed, sync).
 */
function fillChanging(li, m, ctx) {
  const { me, chatId, members, editWindowMs, csrf } = ctx;
  li.dataset.version = String(m.version ?? 0);
  li.classList.toggle("deleted", Boolean(m.deleted));
  const text = li.querySelector(".chat-text");
  if (m.deleted) {
    text.replaceChildren(t("chat.deleted_message"));
    text.classList.add("chat-deleted-text");
    text.removeAttribute("data-user-content");
    li.querySelector(".chat-actions-link")?.remove();
  } else {
    fillText(text, m.text, members);
    const myName = ctx.myName?.toLowerCase();
    const mentionsMe = m.userId !== me && [...text.querySelectorAll(".chat-mention")].some((a) => a.textContent.slice(1).toLowerCase() === myName);
    li.classList.toggle("mentions-me", mentionsMe);
  }
  const edited = li.querySelector(".chat-edited");
  edited.hidden = !m.editedAt || m.deleted;
  if (m.editedAt) edited.title = t("chat.edited_at", { when: fmt().dateTime(new Date(m.editedAt)) });
  const editable = m.userId === me && !m.deleted && Date.now() - Date.parse(m.createdAt) < editWindowMs;
  if (editable) li.dataset.editable = "true";
  else delete li.dataset.editable;
  const quote = li.querySelector(".chat-quote");
  if (quote && !m.replyTo) quote.remove();
  else if (quote) {
    quote.href = `/chats/${chatId}?around=${m.replyTo.id}#m-${m.replyTo.id}`;
    quote.dataset.replyTo = String(m.replyTo.id);
    quote.querySelector(".chat-quote-author").textContent = m.replyTo.username;
    const qt = quote.querySelector(".chat-quote-text");
    qt.textContent = m.replyTo.deleted ? t("chat.deleted_message") : m.replyTo.text;
    qt.classList.toggle("fst-italic", Boolean(m.replyTo.deleted));
  }
  fillPhotos(li, m, ctx.chatId);
  showReactions(li, m.reactions ?? [], ctx);
}

function showReactions(li, reactions, { me, chatId, csrf }) {
  const m = { id: Number(li.dataset.id) };
  li.querySelector(".chat-reactions").replaceChildren(...reactions.map((r) => reactionButton(chatId, m, r, me, csrf)));
}

/** The reactions a message shows, as its buttons carry them (the server's page and reactionButton alike). */
const shownReactions = (li) =>
  [...li.querySelectorAll(".chat-reaction")].map((b) => ({ emoji: b.dataset.emoji, users: JSON.parse(b.dataset.users || "[]") }));

/** The emoji in the menu's order, which is the server's (src/chat/message-reaction.entity.ts REACTIONS). */
const emojiOrder = () => [...(document.getElementById("chat-menu-template")?.content.querySelectorAll(".chat-menu-react") ?? [])].map((b) => b.dataset.emoji);

/** A stored or pending message, cloned from the template and filled in with textContent only. */
function renderMessage(template, m, ctx) {
  const { me, isGroup, chatId } = ctx;
  const mine = m.userId === me;
  const li = template.content.firstElementChild.cloneNode(true);
  li.classList.toggle("mine", mine);
  if (m.id) {
    li.id = `m-${m.id}`;
    li.dataset.id = String(m.id);
    li.querySelector(".chat-actions-link").href = `/chats/${chatId}/messages/${m.id}`;
  } else li.querySelector(".chat-actions-link").remove();
  li.dataset.userId = String(m.userId);
  li.dataset.username = m.username;
  li.dataset.createdAt = m.createdAt;
  if (m.clientId) li.dataset.clientId = m.clientId;
  const avatar = li.querySelector(".chat-msg-avatar");
  const author = li.querySelector(".chat-author");
  if (isGroup && !mine) {
    fillAvatar(avatar, m.avatar, m.username);
    author.textContent = m.username;
  } else {
    avatar.remove();
    author.remove();
  }
  li.querySelector(".chat-bubble > .visually-hidden").textContent = `${mine ? t("chat.you") : m.username}:`;
  li.querySelector(".chat-time").dateTime = m.createdAt;
  fillChanging(li, { reactions: [], ...m }, ctx);
  return li;
}

/** Times and day dividers in the reader's zone, and which messages continue the one before (same author, < 5 min). */
function relayout(list) {
  for (const d of list.querySelectorAll(".chat-day")) d.remove();
  let prev = null;
  let prevDay = null;
  for (const li of [...list.children]) {
    if (li.classList.contains("chat-unread-divider")) {
      prev = null;
      continue;
    }
    if (!li.classList.contains("chat-msg")) continue;
    const at = new Date(li.dataset.createdAt);
    const day = fmt().day(at);
    if (day !== prevDay) {
      const d = el("li", "chat-divider chat-day");
      d.dataset.day = day;
      d.append(el("span", "", dayLabel(day)));
      li.before(d);
      prev = null;
      prevDay = day;
    }
    const cont = prev && prev.dataset.userId === li.dataset.userId && at - new Date(prev.dataset.createdAt) < 5 * 60_000;
    li.classList.toggle("continued", Boolean(cont));
    const time = li.querySelector(".chat-time");
    if (time) {
      time.textContent = li.classList.contains("pending") ? t("chat.sending") : fmt().time(at);
      time.title = fmt().dateTime(at);
    }
    prev = li;
  }
}

/** Marks a message that was not sent, with the reason and (unless it cannot succeed) a Retry button. */
function markFailed(li, message, retry, redraw) {
  li.classList.remove("pending");
  li.classList.add("failed");
  const note = el("div", "chat-msg-error", `${t("chat.not_sent")} ${message} `);
  if (retry) {
    const button = el("button", "btn btn-link btn-sm p-0 align-baseline", t("chat.retry"));
    button.type = "button";
    button.addEventListener("click", () => {
      note.remove();
      li.classList.remove("failed");
      li.classList.add("pending");
      redraw();
      retry(li.querySelector(".chat-text").textContent);
    });
    note.append(button);
  }
  li.querySelector(".chat-bubble").append(note);
  redraw();
}

/** "New messages ↓": shown when a message arrives while the reader is scrolled up in the history. */
function jumpButton(root, scroller) {
  const jump = el("button", "btn btn-primary btn-sm chat-jump", `${t("chat.new_messages")} ↓`);
  jump.type = "button";
  jump.hidden = true;
  root.append(jump);
  const atBottom = () => Math.abs(scroller.scrollTop) < 60;
  const toBottom = () => {
    scroller.scrollTop = 0; // column-reverse: 0 is the newest end
    jump.hidden = true;
  };
  jump.addEventListener("click", toBottom);
  scroller.addEventListener("scroll", () => {
    if (atBottom()) jump.hidden = true;
  });
  return { atBottom, toBottom, show: () => (jump.hidden = false) };
}

export function messageList({ root, me, isGroup, chatId, members, editWindowMs }) {
  const list = document.getElementById("messages");
  const scroller = document.getElementById("chat-scroll");
  const template = document.getElementById("chat-message-template");
  const confirmed = () => [...list.querySelectorAll(".chat-msg[data-id]")];
  const jump = jumpButton(root, scroller);
  let lastId = Math.max(0, ...confirmed().map((li) => Number(li.dataset.id)));
  const csrf = document.querySelector("#composer input[name=_csrf]")?.value ?? "";
  const names = new Map(members.map((u) => [u.username.toLowerCase(), u.username]));
  const ctx = { me, isGroup, chatId, members: names, editWindowMs, csrf, myName: members.find((u) => u.id === me)?.username };
  const render = (m) => renderMessage(template, m, ctx);
  const redraw = () => relayout(list);

  /** Puts a stored message in id order; unconfirmed ones always stay at the end. False if already shown. */
  function place(m) {
    if (document.getElementById(`m-${m.id}`)) return false;
    const li = render(m);
    const shown = confirmed();
    const after = shown.reverse().find((x) => Number(x.dataset.id) < m.id);
    const unconfirmed = list.querySelector(".chat-msg:not([data-id])");
    if (after) after.after(li);
    else if (shown.length) list.querySelector(".chat-msg[data-id]").before(li);
    else if (unconfirmed) unconfirmed.before(li);
    else list.append(li);
    document.getElementById("chat-empty")?.remove();
    lastId = Math.max(lastId, m.id);
    return true;
  }

  /** A message being sent, shown at the end until the server confirms it (with the quote of the one it answers). */
  function addPending(clientId, text, replyTo) {
    const quote = replyTo ? { id: replyTo.id, username: replyTo.username, text: replyTo.text, deleted: false } : null;
    const li = render({ userId: me, username: t("chat.you"), text, clientId, createdAt: new Date().toISOString(), replyTo: quote });
    li.classList.add("pending");
    list.append(li);
    document.getElementById("chat-empty")?.remove();
    redraw();
    jump.toBottom();
  }

  const pendingItem = (clientId) => list.querySelector(`.chat-msg[data-client-id="${CSS.escape(clientId)}"]:not([data-id])`);

  /**
   * A newer version of a message on the page (edited, deleted, reacted to): applied once, only if newer than
   * what is shown (live events and a sync may bring the same change, in either order). "applied" when it was,
   * "current" when the page already shows this version or a newer one, false if the message is not shown.
   */
  function apply(m) {
    const li = document.getElementById(`m-${m.id}`);
    if (!li) return false;
    if ((m.version ?? 0) <= Number(li.dataset.version ?? 0)) return "current";
    fillChanging(li, m, ctx);
    // Replies quoting it show its new first line, or "deleted".
    for (const q of list.querySelectorAll(`.chat-quote[data-reply-to="${m.id}"] .chat-quote-text`)) {
      q.textContent = m.deleted ? t("chat.deleted_message") : m.text.split("\n")[0].slice(0, 120);
      q.classList.toggle("fst-italic", Boolean(m.deleted));
    }
    return "applied";
  }

  /**
   * One reaction added or taken back (chat:reacted): applied to a message shown at the version just before it.
   * "gap" when the page missed a change of that message in between (the caller syncs), otherwise as apply.
   */
  function applyReaction(d) {
    const li = document.getElementById(`m-${d.id}`);
    if (!li) return false;
    const shown = Number(li.dataset.version ?? 0);
    if (d.version <= shown) return "current";
    if (d.prevVersion !== shown) return "gap";
    const reactions = shownReactions(li);
    let group = reactions.find((r) => r.emoji === d.emoji);
    if (!group && d.on) reactions.push((group = { emoji: d.emoji, users: [] }));
    if (group && d.on && !group.users.some((u) => u.id === d.userId)) group.users.push({ id: d.userId, username: d.username });
    if (group && !d.on) group.users = group.users.filter((u) => u.id !== d.userId);
    const order = emojiOrder();
    reactions.sort((a, b) => order.indexOf(a.emoji) - order.indexOf(b.emoji));
    li.dataset.version = String(d.version);
    showReactions(li, reactions.filter((r) => r.users.length), ctx);
    return "applied";
  }

  return {
    list,
    scroller,
    render,
    apply,
    applyReaction,
    relayout: redraw,
    place,
    addPending,
    markFailed(clientId, message, retry) {
      const li = pendingItem(clientId);
      if (li) markFailed(li, message, retry, redraw);
    },
    removePending: (clientId) => pendingItem(clientId)?.remove(),
    lastId: () => lastId,
    atBottom: jump.atBottom,
    toBottom: jump.toBottom,
    showJump: jump.show,
  };
}
