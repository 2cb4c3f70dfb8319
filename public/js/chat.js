// The chat page, live: sends over the socket (with a client id, so a retry never stores twice), receives,
// catches up after a reconnect (chat:sync), loads older history on scroll, typing and presence. The pieces are
// the modules in ./chat/; this one wires them to one chat and its socket.
// Without JavaScript the page still works: the form posts and the page shows the history.
// Every piece of user text goes in with textContent, never as HTML.
import { messageActions } from "./chat/actions.js";
import { composer } from "./chat/composer.js";
import { ACK_TIMEOUT_MS, catchUp, outbox } from "./chat/connection.js";
import { uuid } from "./chat/dom.js";
import { CLIENT, SERVER } from "./chat/events.js";
import { olderHistory } from "./chat/history.js";
import { photoTray } from "./chat/photos.js";
import { messageList } from "./chat/messages.js";
import { presence } from "./chat/presence.js";
import { seenMarker } from "./chat/seen.js";
import { t } from "./i18n.js";
import { changePreview, countUnread, getSocket, setBaseTitle, setOpenChat, updateRow } from "./notify.js";

/** A message's text as previews show it: a photo says so (📷), then its caption. */
const photoText = (m) => (m.photos?.length ? `📷 ${m.text}`.trim() : m.text);

/** What an error ack's code tells the reader (not_found ends the membership instead). */
const ACK_ERRORS = { rate_limited: "chat.errors.too_fast", invalid: "chat.errors.invalid", unverified: "auth.verify.required", photo_gone: "chat.errors.photo_gone", server: "chat.errors.server" };
/** The same for a change to a message (edit, delete, reaction). */
const CHANGE_ERRORS = {
  ...ACK_ERRORS,
  invalid: "chat.errors.not_changed",
  deleted: "chat.errors.message_deleted",
  too_late: "chat.errors.edit_window_over",
  no_message: "chat.errors.no_such_message",
};

/** The server moves our read position once the newest message has been on screen (in a visible tab). */
function reader(socket, chatId, messages) {
  let readId = messages.lastId();
  let timer;
  function schedule() {
    if (document.visibilityState !== "visible" || messages.lastId() <= readId) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (messages.lastId() <= readId) return;
      readId = messages.lastId();
      socket.emit(CLIENT.read, { chatId, messageId: readId });
    }, 400);
  }
  document.addEventListener("visibilitychange", schedule);
  return {
    schedule,
    /** Our own messages are read by definition (the server moved the position when it stored them). */
    own: (id) => (readId = Math.max(readId, id)),
  };
}

/** Says why nothing more can be sent or received here, and takes away what no longer applies. */
function showRemoved(root, chatId, reason) {
  const notice = document.getElementById("chat-removed");
  notice.textContent = t(reason === "left" ? "chat.removed.left" : reason === "removed" ? "chat.removed.removed" : "chat.removed.gone");
  notice.hidden = false;
  root.querySelector(`a[href="/chats/${chatId}/settings"]`)?.remove(); // its settings are not theirs any more
}

function readChat(root) {
  return {
    chatId: Number(root.dataset.chatId),
    me: Number(root.dataset.userId),
    isGroup: root.dataset.group === "true",
    muted: root.dataset.muted === "true",
    memberCount: Number(root.dataset.memberCount),
    otherId: root.dataset.otherId ? Number(root.dataset.otherId) : null,
    changeSeq: Number(root.dataset.changeSeq) || 0,
    editWindowMs: Number(root.dataset.editWindowMs) || 0,
    members: JSON.parse(root.dataset.members || "[]"),
  };
}

function start(root) {
  const chat = readChat(root);
  const { chatId, me, isGroup } = chat;
  // On an older page (?before=) the live tail is not on screen: the form simply posts and goes to the latest.
  const live = !new URLSearchParams(location.search).has("before");
  const socket = getSocket();
  setOpenChat(chatId);
  const messages = messageList({ root, me, isGroup, chatId, members: chat.members, editWindowMs: chat.editWindowMs });
  const people = presence(socket, chat);
  const reading = reader(socket, chatId, messages);
  const seen = seenMarker({ list: messages.list, me, isGroup, members: chat.members });

  /** What the chat list puts before a message's text, as views/chat/_list.njk does. */
  const previewPrefix = (m) => (m.userId === me ? `${t("chat.you")}: ` : isGroup ? `${m.username}: ` : "");

  /** A stored message arrives (broadcast, ack or sync). */
  function receive(m) {
    if (m.chatId !== chatId) return;
    gaps.track(m);
    const wasAtBottom = messages.atBottom();
    if (m.clientId) {
      outgoing.done(m.clientId);
      messages.removePending(m.clientId);
    }
    if (!messages.place(m)) return;
    messages.relayout();
    people.dropTyper(m.userId);
    updateRow(chatId, { preview: `${previewPrefix(m)}${photoText(m)}`, lastId: m.id, at: m.createdAt });
    if (m.userId === me || wasAtBottom) messages.toBottom();
    else messages.showJump();
    if (m.userId === me) reading.own(m.id);
    else reading.schedule();
    seen.seen(m.userId, m.id);
    seen.render();
  }

  /** A message changed (edited, deleted, reacted to): shown once, if newer than what is on the page. */
  function applyChange(m) {
    if (m.chatId !== chatId) return;
    const shown = messages.apply(m);
    if (!shown) return;
    // The list's preview follows an edit or deletion of the chat's last message (only a newer version: a late
    // copy of an older one must not bring back the text of a message deleted since).
    if (shown === "applied") changePreview(chatId, m.id, { prefix: previewPrefix(m), text: m.text, deleted: Boolean(m.deleted) });
    if (m.deleted) box.forget(m.id);
    seen.render();
  }

  /** One reaction changed (chat:reacted): applied in place, or (a change of that message missed) a sync. */
  function applyReaction(d) {
    if (d.chatId !== chatId) return;
    if (messages.applyReaction(d) === "gap") gaps.sync();
  }

  const gaps = catchUp(socket, chatId, messages.lastId(), receive, { version: chat.changeSeq, applyChange });
  const outgoing = outbox(socket, chatId, (clientId, ack) => {
    if (ack.ok) receive(ack.message);
    else if (ack.code === "not_found") endMembership();
    else fail(clientId, t(ACK_ERRORS[ack.code] ?? "chat.errors.server"));
  });
  function fail(clientId, reason, canRetry = true) {
    // The retry sends what was sent (the reply target too), under the same client id.
    const sent = outgoing.get(clientId);
    outgoing.done(clientId);
    messages.markFailed(clientId, reason, canRetry && ((text) => outgoing.add(clientId, { ...sent, text })));
  }
  const box = composer(socket, {
    chatId,
    live,
    me,
    members: isGroup ? chat.members : [],
    send(text, replyTo) {
      const clientId = uuid();
      // The bubble shows its quote while it is being sent, as the stored message will.
      messages.addPending(clientId, text, replyTo);
      outgoing.add(clientId, { text, replyToId: replyTo?.id });
    },
    edit(messageId, text) {
      change(CLIENT.edit, { chatId, messageId, text, clientId: uuid() });
    },
    photos: () => tray,
  });
  // The stored message comes back as the upload's answer (and to the others over the socket).
  const tray = live ? photoTray({ root, chatId, onStored: receive, showError: (text) => box.showError(text) }) : null;

  /**
   * Sends a change and applies the answer. No answer (a dropped connection) means it is sent again, the same
   * payload: a retried edit carries its client id, and a deletion or a reaction set twice is the same as once.
   */
  async function change(event, payload, tries = 3) {
    const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload).catch(() => null);
    if (!ack) return tries > 1 ? change(event, payload, tries - 1) : box.showError(t("chat.errors.server"));
    if (ack.ok) return ack.reaction ? applyReaction(ack.reaction) : applyChange(ack.message);
    if (ack.code === "not_found") return endMembership();
    box.showError(t(CHANGE_ERRORS[ack.code] ?? "chat.errors.server"));
  }

  const older = olderHistory({ chatId, live, messages });
  messageActions({
    list: messages.list,
    me,
    onReply: (li) => box.replyTo({ id: Number(li.dataset.id), username: li.dataset.username, text: li.querySelector(".chat-text").textContent }),
    onEdit: (li) => box.edit({ id: Number(li.dataset.id), text: li.querySelector(".chat-text").textContent }),
    onDelete: (messageId) => change(CLIENT.delete, { chatId, messageId }),
    // Its client id makes a retried toggle harmless even after a later one (on, off, then the first "on" again).
    onReact: (messageId, emoji, on) => change(CLIENT.react, { chatId, messageId, emoji, on, clientId: uuid() }),
    async onJump(id) {
      // Not shown even after loading older history: the page around it (a URL built here, never read from the DOM).
      if (!(await older.untilShown(id))) return void (location.href = `/chats/${chatId}?around=${id}#m-${id}`);
      const target = document.getElementById(`m-${id}`);
      target.scrollIntoView({ block: "center" });
      target.classList.add("chat-target");
      target.addEventListener("animationend", () => target.classList.remove("chat-target"), { once: true });
    },
  });

  // No longer a member (removed by the creator, left in another tab, or found out on reconnecting): the
  // server sends nothing more for this chat and refuses everything, so say so instead of failing silently.
  let removed = false;
  function endMembership(reason) {
    if (removed) return;
    removed = true;
    showRemoved(root, chatId, reason);
    box.disable();
    for (const clientId of outgoing.close()) fail(clientId, t("chat.errors.not_member"), false);
    people.set("removed");
  }
  listen(socket, chat, { receive, applyChange, applyReaction, seen, endMembership, reading, gaps, outgoing, people, live });
  messages.relayout();
}

/** The socket's events for this chat, and (re)joining it on every (re)connect. */
function listen(socket, { chatId, me, isGroup, muted }, { receive, applyChange, applyReaction, seen, endMembership, reading, gaps, outgoing, people, live }) {
  socket.on(SERVER.removed, (e) => {
    if (e.chatId === chatId) endMembership(e.reason);
  });
  socket.on(SERVER.message, (m) => {
    // This socket is in the chat's room, so the server sends it no chat:unread for this chat: a message from
    // someone else counts as unread here (only while the tab is hidden), once per broadcast as chat:unread did.
    // Messages fetched by chat:sync are not counted: the total sent on (re)connect already includes them.
    if (m.chatId === chatId && m.userId !== me) {
      countUnread(chatId, 1, { muted, alert: { from: m.username, text: photoText(m), chatName: isGroup ? document.getElementById("chat-title").textContent : null, group: isGroup, messageId: m.id } });
    }
    receive(m);
  });
  socket.on(SERVER.changed, applyChange);
  socket.on(SERVER.reacted, applyReaction);
  socket.on(SERVER.seen, (e) => {
    if (e.chatId === chatId) seen.seen(e.userId, e.messageId);
  });
  socket.on(SERVER.renamed, (e) => {
    if (e.chatId !== chatId) return;
    document.getElementById("chat-title").textContent = e.name;
    setBaseTitle(`${e.name} · ${t("common.app_name")}`);
  });

  // Membership is checked by the server; then everything after the last id we saw, then whatever is still
  // waiting to be sent.
  async function join() {
    const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(CLIENT.join, { chatId }).catch(() => null);
    if (ack?.code === "not_found") endMembership();
    if (!ack?.ok) return;
    if (live) {
      await gaps.sync();
      reading.schedule();
    }
    outgoing.resendAll();
  }
  socket.on("connect", () => {
    people.set("online");
    join();
  });
  socket.on("disconnect", () => people.set("offline"));
  if (socket.connected) join();
}

const root = document.getElementById("chat");
if (root) start(root);
