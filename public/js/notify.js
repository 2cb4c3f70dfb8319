// The navbar's unread badge and any chat list on the page, kept live over the one socket each logged-in
// page opens (chat.js reuses it through getSocket). The first number comes with the page (rendered by the
// server from the user row); the server re-sends the total on every (re)connect and after every read.
import { io } from "/socket.io/socket.io.esm.min.js";
import { el } from "./chat/dom.js";
import { SERVER } from "./chat/events.js";
import { fmt } from "./format.js";
import { t } from "./i18n.js";
import { notifyMessage } from "./alerts.js";

let socket = null;
let openChatId = null;

/** The page's socket, created on first use. */
export function getSocket() {
  // WebSocket first (no long-polling round trips, no upgrade to race with leaving the page), polling if it is blocked.
  socket ??= io({ transports: ["websocket", "polling"], tryAllTransports: true });
  return socket;
}

/** chat.js names the chat on screen: its new messages are being read, not piling up as unread. */
export function setOpenChat(chatId) {
  openChatId = chatId;
}

/** Sets an element's leading text (a count) without touching its visually-hidden " unread" label. */
function setCount(el, text) {
  let node = el.firstChild;
  if (!node || node.nodeType !== Node.TEXT_NODE) {
    node = document.createTextNode("");
    el.prepend(node);
  }
  node.nodeValue = text;
}

// The navbar's badge, and its twin outside the collapsed menu on phones: both show the same total.
const badges = [...document.querySelectorAll("[data-unread-badge]")];
const badge = badges[0] ?? null;
let total = badge ? Number.parseInt(badge.textContent, 10) || 0 : 0;

// The "@" next to the badges: the chats where an unread message mentions this person (muted ones aside), as the
// server listed them with the page; every total the server sends after a read comes with the list again.
const mentionBadges = [...document.querySelectorAll("[data-mention-badge]")];
const mentionChats = new Set(JSON.parse(mentionBadges[0]?.dataset.chats || "[]"));

// The tab title carries the count too ("(3) Chats · Hromada", "(@3) ..." with a mention), as the server rendered
// it; the rest is the page's own.
const TITLE_COUNT = /^\(@?\d+\+?\) /;
let baseTitle = document.title.replace(TITLE_COUNT, "");

function showTitle() {
  document.title = total ? `(${mentionChats.size ? "@" : ""}${total}) ${baseTitle}` : baseTitle;
}

function showMentions() {
  for (const b of mentionBadges) b.classList.toggle("d-none", mentionChats.size === 0);
  if (badge) showTitle();
}

/** A chat gained (on) or lost its unread mention of this person. */
function setMention(chatId, on) {
  if (on) mentionChats.add(chatId);
  else mentionChats.delete(chatId);
  showMentions();
}

/** A page that renames itself (a chat renamed live) sets its title here, so the count stays in front. */
export function setBaseTitle(title) {
  baseTitle = title;
  showTitle();
}

function setTotal(n) {
  total = Math.max(0, n);
  for (const b of badges) {
    setCount(b, total ? String(total) : "");
    b.classList.toggle("d-none", total === 0);
  }
  if (badge) showTitle();
}

/** As the server labels a chat's last activity (a time today, a day this year, a date before), in the reader's zone. */
function activityLabel(iso) {
  const at = new Date(iso);
  const now = new Date();
  const f = fmt();
  if (f.day(at) === f.day(now)) return f.time(at);
  return f.year(at) === f.year(now) ? f.shortDay(at) : f.day(at);
}

for (const t of document.querySelectorAll(".chat-row-time[datetime]")) t.textContent = activityLabel(t.dateTime);

let refreshing = null;

/**
 * A chat this page's list does not show yet has news (a direct chat's first message brings it to the other
 * person's list): the list is fetched again from the server, which orders and labels it, and swapped in.
 */
function refreshList() {
  const list = document.getElementById("chat-list") ?? document.querySelector(".chat-list-empty");
  if (!list || refreshing) return;
  refreshing = fetch("/chats", { headers: { Accept: "text/html" }, credentials: "same-origin" })
    .then((res) => (res.ok ? res.text() : null))
    .then((html) => {
      const fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("chat-list");
      if (!fresh) return;
      const active = list.querySelector(".active-chat")?.dataset.chatRow;
      if (active) fresh.querySelector(`[data-chat-row="${active}"]`)?.classList.add("active-chat");
      list.replaceWith(document.adoptNode(fresh));
      for (const t of fresh.querySelectorAll(".chat-row-time[datetime]")) t.textContent = activityLabel(t.dateTime);
    })
    .catch(() => {}) // offline: the next page load shows it
    .finally(() => (refreshing = null));
}

/**
 * A chat's row in a chat list on this page (the /chats page, the chat page's sidebar), if there is one.
 * `lastId` is the id of the message `preview` shows, so that its edit or deletion can change it (changePreview).
 */
export function updateRow(chatId, { preview, lastId, unread, delta, at, mention, mine } = {}) {
  const row = document.querySelector(`[data-chat-row="${chatId}"]`);
  if (!row) return void refreshList();
  const pill = row.querySelector(".chat-row-unread");
  if (pill && (unread !== undefined || delta)) {
    const n = unread ?? (Number.parseInt(pill.dataset.count ?? pill.textContent, 10) || 0) + delta;
    pill.dataset.count = String(n);
    setCount(pill, n >= 100 ? "99+" : n ? String(n) : "");
    pill.classList.toggle("d-none", n === 0);
    // The "@" marker: an unread message mentions this person; reading the chat clears it.
    if (n === 0) row.querySelector(".chat-row-mention")?.classList.add("d-none");
  }
  if (mention !== undefined) row.querySelector(".chat-row-mention")?.classList.toggle("d-none", !mention);
  if (preview !== undefined) {
    const p = row.querySelector(".chat-row-preview");
    if (p) p.textContent = preview;
    // What the server shows a sender next to their own message: nothing is unread in it.
    if (mine) updateRow(chatId, { unread: 0 });
    // A preview from elsewhere (chat:unread) has no id: no later change can be matched to it.
    if (lastId !== undefined) row.dataset.lastId = String(lastId);
    else delete row.dataset.lastId;
    const t = row.querySelector(".chat-row-time");
    if (t && at) {
      t.dateTime = at;
      t.textContent = activityLabel(at);
    }
    // Most recent activity first, as on the server.
    if (row.parentElement && row.parentElement.firstElementChild !== row) row.parentElement.prepend(row);
  }
}

/**
 * The last message of a chat was edited or deleted: its row's preview follows, where the row shows that message
 * (an older message changing leaves the preview alone). The row keeps its place and time: activity is sending.
 */
export function changePreview(chatId, messageId, { prefix, text, deleted }) {
  const row = document.querySelector(`[data-chat-row="${chatId}"]`);
  if (!row || row.dataset.lastId !== String(messageId)) return;
  const p = row.querySelector(".chat-row-preview");
  if (!p) return;
  // As views/chat/_list.njk draws it: the author's prefix, then the text or the placeholder in italics.
  p.textContent = deleted ? prefix : `${prefix}${text}`;
  if (deleted) p.append(el("span", "fst-italic", t("chat.deleted_message")));
}

/**
 * New messages from someone else raise the badge and the chat's row, unless the chat is open in a visible tab
 * (chat.js then marks them read). Pages without the chat open learn of them from chat:unread; the server sends
 * no chat:unread to a socket that has joined the chat (it already gets every message), so chat.js counts those.
 */
export function countUnread(chatId, delta, { muted = false, alert = null } = {}) {
  if (!badge || (chatId === openChatId && document.visibilityState === "visible")) return;
  // A muted chat's messages still move its row (its count shown muted) but not the total, and stay quiet.
  if (!muted) setTotal(total + delta);
  updateRow(chatId, { delta });
  if (!muted && alert) notifyMessage(chatId, alert);
}

// A chat this person is no longer in (removed, or left in another tab) leaves every list on the page.
if (document.querySelector("[data-chat-row]")) {
  getSocket().on(SERVER.removed, (e) => document.querySelector(`[data-chat-row="${Number(e.chatId)}"]`)?.remove());
}

/** "You: " before one's own message, "name: " before someone else's in a group: as views/chat/_list.njk draws it. */
const prefixOf = (e) => (e.mine ? `${t("chat.you")}: ` : e.group ? `${e.from}: ` : "");

if (badge) {
  const s = getSocket();
  const me = Number(document.querySelector("[data-me]")?.dataset.me) || null;
  s.on(SERVER.unread, (e) => {
    if (Array.isArray(e.mentionChats)) {
      mentionChats.clear();
      e.mentionChats.forEach((id) => mentionChats.add(id));
    }
    if (typeof e.total === "number") setTotal(e.total);
    if (typeof e.unread === "number" && e.chatId) {
      updateRow(e.chatId, { unread: e.unread });
      if (e.unread === 0) mentionChats.delete(e.chatId);
      // Counts worked out anew (a deleted message is no longer unread): the row's "@" as the server sees it now.
      if (typeof e.mention === "boolean" && e.delta === undefined) updateRow(e.chatId, { mention: e.mention });
    }
    const reading = e.chatId === openChatId && document.visibilityState === "visible";
    if (e.delta && e.chatId) {
      countUnread(e.chatId, e.delta, { muted: e.muted === true, alert: e });
      if (e.mention && !reading) {
        updateRow(e.chatId, { mention: true });
        if (!e.muted) mentionChats.add(e.chatId);
      }
    }
    // A new message's preview (someone else's, or one's own sent from another page), with its id: a later edit
    // or deletion of it changes the row again (chat:preview).
    if (e.chatId && e.text !== undefined && e.messageId) {
      updateRow(e.chatId, { preview: `${prefixOf(e)}${e.text}`, lastId: e.messageId, at: e.at ?? new Date().toISOString(), mine: e.mine });
    }
    showMentions();
  });
  // An edit or deletion of a chat's newest message, or a mention that came or went, in a chat not open here.
  s.on(SERVER.preview, (e) => {
    if (e.text !== undefined) {
      changePreview(e.chatId, e.messageId, { prefix: prefixOf({ ...e, mine: e.userId === me }), text: e.text, deleted: Boolean(e.deleted) });
    }
    if (e.mention !== undefined) {
      updateRow(e.chatId, { mention: e.mention });
      // A muted chat's "@" is in its row only, never in the navbar or the title.
      if (!(e.mention && e.muted)) setMention(e.chatId, e.mention);
    }
  });
}
