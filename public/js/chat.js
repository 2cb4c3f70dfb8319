// The chat page, live: sends over the socket (with a client id, so a retry never stores twice), receives,
// catches up after a reconnect (chat:sync), loads older history on scroll, typing and presence.
// Without JavaScript the page still works: the form posts and the page shows the history.
// Every piece of user text goes in with textContent, never as HTML.
import { countUnread, getSocket, setOpenChat, updateRow } from "./notify.js";

const MAX = 4000;
const TYPING_EVERY_MS = 2500;
const TYPING_IDLE_MS = 4000;
const TYPING_SHOWN_MS = 6000;
const ACK_TIMEOUT_MS = 10_000;

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; plain http on a LAN address still has getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Same as the server's `initials` filter. */
function initials(name) {
  const parts = String(name || "?").split(/[\s._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
}

function avatar(thumbPath, name) {
  if (thumbPath) {
    const img = el("img", "avatar avatar-32 rounded-circle object-fit-cover");
    img.src = `/media/${thumbPath}`;
    img.width = 32;
    img.height = 32;
    img.alt = `${name}'s avatar`;
    return img;
  }
  const span = el("span", "avatar avatar-32 avatar-placeholder rounded-circle");
  span.setAttribute("role", "img");
  span.setAttribute("aria-label", `${name}'s avatar`);
  const inner = el("span", "", initials(name));
  inner.setAttribute("aria-hidden", "true");
  span.append(inner);
  return span;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

function start(root) {
  const chatId = Number(root.dataset.chatId);
  const me = Number(root.dataset.userId);
  const isGroup = root.dataset.group === "true";
  const memberCount = Number(root.dataset.memberCount);
  const otherId = root.dataset.otherId ? Number(root.dataset.otherId) : null;
  const list = document.getElementById("messages");
  const scroller = document.getElementById("chat-scroll");
  const form = document.getElementById("composer");
  const input = document.getElementById("f-text");
  const errorBox = document.getElementById("f-text-error");
  const typingBox = document.getElementById("typing");
  const statusBox = document.getElementById("chat-status");
  const titleEl = document.getElementById("chat-title");
  const staticStatus = statusBox.textContent;
  // On an older page (?before=) the live tail is not on screen: the form simply posts and goes to the latest.
  const live = !new URLSearchParams(location.search).has("before");
  const socket = getSocket();
  setOpenChat(chatId);

  const ids = () => [...list.querySelectorAll(".chat-msg[data-id]")].map((li) => Number(li.dataset.id));
  let lastId = Math.max(0, ...ids());
  let readId = lastId;
  // Everything up to `complete` is known to be here. The page was complete when rendered; a live message
  // carries its predecessor's id (prevId): if that is not here yet, something is missing or still on its
  // way, and a chat:sync from `complete` fills the gap. Reconnects sync from here too.
  let complete = lastId;
  const early = new Map(); // prevId -> id of a message that arrived before its predecessor
  let gapTimer;
  /** clientId -> text, for messages not yet acknowledged: resent (same id) after a reconnect. */
  const pending = new Map();

  const atBottom = () => Math.abs(scroller.scrollTop) < 60;
  const toBottom = () => {
    scroller.scrollTop = 0; // column-reverse: 0 is the newest end
    jump.hidden = true;
  };

  const jump = el("button", "btn btn-primary btn-sm chat-jump", "New messages ↓");
  jump.type = "button";
  jump.hidden = true;
  jump.addEventListener("click", toBottom);
  root.append(jump);
  scroller.addEventListener("scroll", () => {
    if (atBottom()) jump.hidden = true;
  });

  function renderMessage(m) {
    const mine = m.userId === me;
    const li = el("li", `chat-msg${mine ? " mine" : ""}`);
    if (m.id) {
      li.id = `m-${m.id}`;
      li.dataset.id = String(m.id);
    }
    li.dataset.userId = String(m.userId);
    li.dataset.createdAt = m.createdAt;
    if (m.clientId) li.dataset.clientId = m.clientId;
    if (isGroup && !mine) {
      const a = el("span", "chat-msg-avatar");
      a.append(avatar(m.avatar, m.username));
      li.append(a);
    }
    const bubble = el("div", "chat-bubble");
    if (isGroup && !mine) bubble.append(el("div", "chat-author", m.username));
    bubble.append(el("span", "visually-hidden", `${mine ? "You" : m.username}:`));
    bubble.append(el("div", "chat-text", m.text));
    const time = el("time", "chat-time");
    time.dateTime = m.createdAt;
    bubble.append(time);
    li.append(bubble);
    return li;
  }

  /** Local times and local-day dividers, and which messages continue the one before (same author, < 5 min). */
  function relayout() {
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
      const day = at.toDateString();
      if (day !== prevDay) {
        const d = el("li", "chat-divider chat-day");
        d.append(el("span", "", day === new Date().toDateString() ? "Today" : dayFormat.format(at)));
        li.before(d);
        prev = null;
        prevDay = day;
      }
      const cont = prev && prev.dataset.userId === li.dataset.userId && at - new Date(prev.dataset.createdAt) < 5 * 60_000;
      li.classList.toggle("continued", Boolean(cont));
      const t = li.querySelector(".chat-time");
      if (t) {
        t.textContent = li.classList.contains("pending") ? "sending…" : timeFormat.format(at);
        t.title = fullFormat.format(at);
      }
      prev = li;
    }
  }

  /** Puts a stored message in id order; unconfirmed ones always stay at the end. False if already shown. */
  function place(m) {
    if (document.getElementById(`m-${m.id}`)) return false;
    const li = renderMessage(m);
    const confirmed = [...list.querySelectorAll(".chat-msg[data-id]")];
    const after = confirmed.reverse().find((x) => Number(x.dataset.id) < m.id);
    const unconfirmed = list.querySelector(".chat-msg:not([data-id])");
    if (after) after.after(li);
    else if (confirmed.length) list.querySelector(".chat-msg[data-id]").before(li);
    else if (unconfirmed) unconfirmed.before(li);
    else list.append(li);
    document.getElementById("chat-empty")?.remove();
    lastId = Math.max(lastId, m.id);
    return true;
  }

  function track(m) {
    if (typeof m.prevId !== "number" || m.id <= complete) return;
    if (m.prevId <= complete) {
      complete = m.id;
      while (early.has(complete)) {
        const id = early.get(complete);
        early.delete(complete);
        complete = id;
      }
      if (!early.size) clearTimeout(gapTimer);
    } else {
      early.set(m.prevId, m.id);
      // Usually the missing one is just behind (sent through another server); if not, fetch it.
      clearTimeout(gapTimer);
      gapTimer = setTimeout(() => early.size && sync(), 1500);
    }
  }

  /** Everything after `complete`, from the database: afterwards nothing before the newest is missing. */
  let syncing = null;
  function sync() {
    syncing ??= (async () => {
      for (let more = true; more; ) {
        const got = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("chat:sync", { chatId, afterId: complete }).catch(() => null);
        if (!got?.ok) return;
        got.messages.forEach(receive);
        if (got.messages.length) complete = Math.max(complete, got.messages.at(-1).id);
        more = got.hasMore && got.messages.length > 0;
      }
      for (const prev of [...early.keys()]) if (early.get(prev) <= complete) early.delete(prev);
      scheduleRead();
    })().finally(() => {
      syncing = null;
    });
    return syncing;
  }

  /** A stored message arrives (broadcast, ack or sync). */
  function receive(m) {
    if (m.chatId !== chatId) return;
    track(m);
    const wasAtBottom = atBottom();
    if (m.clientId && pending.has(m.clientId)) pending.delete(m.clientId);
    if (m.clientId) list.querySelector(`.chat-msg[data-client-id="${CSS.escape(m.clientId)}"]:not([data-id])`)?.remove();
    if (!place(m)) return;
    relayout();
    dropTyper(m.userId);
    updateRow(chatId, { preview: m.userId === me ? `You: ${m.text}` : isGroup ? `${m.username}: ${m.text}` : m.text, at: m.createdAt });
    if (m.userId === me || wasAtBottom) toBottom();
    else jump.hidden = false;
    if (m.userId === me) readId = Math.max(readId, m.id);
    else scheduleRead();
  }

  // Reading: the server moves our read position when the newest message has been on screen.
  let readTimer;
  function scheduleRead() {
    if (document.visibilityState !== "visible" || lastId <= readId) return;
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      if (lastId <= readId) return;
      readId = lastId;
      socket.emit("chat:read", { chatId, messageId: lastId });
    }, 400);
  }
  document.addEventListener("visibilitychange", scheduleRead);

  // Sending.
  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.toggle("d-block", Boolean(message));
    input.classList.toggle("is-invalid", Boolean(message));
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function fail(clientId, message) {
    pending.delete(clientId);
    const li = list.querySelector(`.chat-msg[data-client-id="${CSS.escape(clientId)}"]:not([data-id])`);
    if (!li) return;
    li.classList.remove("pending");
    li.classList.add("failed");
    const text = li.querySelector(".chat-text").textContent;
    const note = el("div", "chat-msg-error", `Not sent: ${message} `);
    if (removed) {
      li.querySelector(".chat-bubble").append(note);
      return relayout();
    }
    const retry = el("button", "btn btn-link btn-sm p-0 align-baseline", "Retry");
    retry.type = "button";
    retry.addEventListener("click", () => {
      note.remove();
      li.classList.remove("failed");
      li.classList.add("pending");
      pending.set(clientId, text);
      relayout();
      send(clientId);
    });
    note.append(retry);
    li.querySelector(".chat-bubble").append(note);
    relayout();
  }

  function send(clientId) {
    const text = pending.get(clientId);
    if (text === undefined || !socket.connected || removed) return; // sent again on reconnect, with the same client id
    socket.timeout(ACK_TIMEOUT_MS).emit("chat:message", { chatId, text, clientId }, (err, ack) => {
      if (!pending.has(clientId)) return;
      if (err) {
        // No answer: maybe stored, maybe not. The same client id makes the retry safe either way.
        setTimeout(() => send(clientId), 1000);
        return;
      }
      if (ack.ok) receive(ack.message);
      else if (ack.code === "not_found") endMembership();
      else fail(clientId, ack.error || "please try again.");
    });
  }

  if (live) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return showError("Write a message.");
      if (text.length > MAX) return showError("A message can be at most 4,000 characters.");
      showError("");
      const clientId = uuid();
      pending.set(clientId, text);
      const li = renderMessage({ userId: me, username: "You", text, clientId, createdAt: new Date().toISOString() });
      li.classList.add("pending");
      list.append(li);
      document.getElementById("chat-empty")?.remove();
      relayout();
      toBottom();
      input.value = "";
      autosize();
      stopTyping();
      send(clientId);
    });
  }

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  function autosize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
  }

  // Typing: at most one "typing" every few seconds while keys are pressed, and "stopped" when idle or sent.
  let typingSentAt = 0;
  let typingTimer;
  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingSentAt) {
      typingSentAt = 0;
      socket.emit("chat:typing", { chatId, typing: false });
    }
  }
  input.addEventListener("input", () => {
    autosize();
    if (errorBox.textContent) showError("");
    if (!input.value.trim()) return stopTyping();
    if (Date.now() - typingSentAt > TYPING_EVERY_MS) {
      typingSentAt = Date.now();
      socket.emit("chat:typing", { chatId, typing: true });
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  });

  const typers = new Map(); // userId -> { name, timer }
  function renderTypers() {
    const names = [...typers.values()].map((t) => t.name);
    typingBox.textContent =
      names.length === 0 ? "" :
      names.length === 1 ? (isGroup ? `${names[0]} is typing…` : "typing…") :
      names.length === 2 ? `${names[0]} and ${names[1]} are typing…` :
      "Several people are typing…";
  }
  function dropTyper(userId) {
    const t = typers.get(userId);
    if (!t) return;
    clearTimeout(t.timer);
    typers.delete(userId);
    renderTypers();
  }
  socket.on("chat:typing", (e) => {
    if (e.chatId !== chatId || e.userId === me) return;
    dropTyper(e.userId);
    if (e.typing) {
      typers.set(e.userId, { name: e.username, timer: setTimeout(() => dropTyper(e.userId), TYPING_SHOWN_MS) });
      renderTypers();
    }
  });

  // Presence: who has this chat open right now.
  let connected = socket.connected;
  let here = [];
  let hereCount = 0;
  function renderStatus() {
    statusBox.classList.remove("chat-online");
    if (removed) {
      statusBox.textContent = "You are no longer a member";
      return;
    }
    if (!connected) {
      statusBox.textContent = "Connecting… messages are sent when the connection is back";
      return;
    }
    const others = here.filter((u) => u.id !== me);
    if (!isGroup) {
      const online = otherId !== null && others.some((u) => u.id === otherId);
      statusBox.textContent = online ? "online" : staticStatus;
      statusBox.classList.toggle("chat-online", online);
      return;
    }
    const members = `${memberCount} member${memberCount === 1 ? "" : "s"}`;
    if (!others.length) statusBox.textContent = members;
    else {
      const named = others.slice(0, 3).map((u) => u.username).join(", ");
      const more = hereCount - (here.length - others.length) - Math.min(3, others.length);
      statusBox.textContent = `${members} · ${named}${more > 0 ? ` and ${more} more` : ""} online`;
      statusBox.classList.add("chat-online");
    }
  }
  socket.on("chat:presence", (e) => {
    if (e.chatId !== chatId) return;
    here = e.users;
    hereCount = e.count ?? e.users.length;
    renderStatus();
  });

  socket.on("chat:message", (m) => {
    // This socket is in the chat's room, so the server sends it no chat:unread for this chat: a message from
    // someone else counts as unread here (only while the tab is hidden), once per broadcast as chat:unread did.
    // Messages fetched by chat:sync are not counted: the total sent on (re)connect already includes them.
    if (m.chatId === chatId && m.userId !== me) countUnread(chatId, 1);
    receive(m);
  });
  socket.on("chat:renamed", (e) => {
    if (e.chatId !== chatId) return;
    titleEl.textContent = e.name;
    document.title = `${e.name} · Hromada`;
  });

  // No longer a member (removed by the creator, left in another tab, or found out on reconnecting): the
  // server sends nothing more for this chat and refuses everything, so say so instead of failing silently.
  const removedBox = document.getElementById("chat-removed");
  let removed = false;
  function endMembership(reason) {
    if (removed) return;
    removed = true;
    removedBox.textContent =
      reason === "left" ? "You left this group, so you can no longer send or receive its messages." :
      reason === "removed" ? "You were removed from this group, so you can no longer send or receive its messages." :
      "You are no longer a member of this chat, so you can no longer send or receive its messages.";
    removedBox.hidden = false;
    root.querySelector(`a[href="/chats/${chatId}/settings"]`)?.remove(); // its settings are not theirs any more
    stopTyping();
    input.disabled = true;
    form.querySelector("button[type=submit]").disabled = true;
    for (const clientId of [...pending.keys()]) fail(clientId, "you are no longer a member of this chat.");
    typers.forEach((_, id) => dropTyper(id));
    here = [];
    renderStatus();
  }
  socket.on("chat:removed", (e) => {
    if (e.chatId === chatId) endMembership(e.reason);
  });

  // (Re)joining: membership is checked by the server; then everything after the last id we saw, then
  // whatever is still waiting to be sent.
  async function join() {
    const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("chat:join", { chatId }).catch(() => null);
    if (ack?.code === "not_found") endMembership();
    if (!ack?.ok) return;
    if (live) await sync();
    for (const clientId of pending.keys()) send(clientId);
  }
  socket.on("connect", () => {
    connected = true;
    renderStatus();
    join();
  });
  socket.on("disconnect", () => {
    connected = false;
    here = [];
    typers.forEach((_, id) => dropTyper(id));
    renderStatus();
  });
  if (socket.connected) join();

  // Older history: the link works without JavaScript; with it, it loads in place when scrolled into view.
  let older = document.getElementById("load-older");
  let loading = false;
  async function loadOlder() {
    if (loading || !older) return;
    const first = list.querySelector(".chat-msg[data-id]");
    if (!first) return;
    loading = true;
    try {
      const res = await fetch(`/chats/${chatId}/messages?before=${first.dataset.id}`, { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(String(res.status));
      const { messages, hasMore } = await res.json();
      const frag = document.createDocumentFragment();
      for (const m of messages) if (!document.getElementById(`m-${m.id}`)) frag.append(renderMessage(m));
      // Keep the message that was at the top where it was on screen: the older ones appear above it.
      const anchorTop = first.getBoundingClientRect().top;
      list.prepend(frag);
      relayout();
      scroller.scrollTop += first.getBoundingClientRect().top - anchorTop;
      if (hasMore && messages.length) older.href = `/chats/${chatId}?before=${messages[0].id}`;
      else {
        const wrap = document.getElementById("older-wrap");
        wrap.replaceChildren(el("p", "small text-body-secondary mb-0", "This is the beginning of the chat."));
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
    if (older && older.getBoundingClientRect().bottom > scroller.getBoundingClientRect().top) loadOlder();
  }
  let observer = null;
  if (older) {
    older.addEventListener("click", (e) => {
      if (!live) return;
      e.preventDefault();
      loadOlder();
    });
    if (live && "IntersectionObserver" in window) {
      observer = new IntersectionObserver((entries) => entries.some((x) => x.isIntersecting) && loadOlder(), { root: scroller });
      observer.observe(older);
    }
  }

  relayout();
  autosize();
  if (live && !input.value) input.focus({ preventScroll: true });
  renderStatus();
  if (!connected) statusBox.textContent = staticStatus;
}

const root = document.getElementById("chat");
if (root) start(root);
