// Who is typing and who has the chat open, in the header's status line and under the messages.
import { compareNames, t } from "../i18n.js";
import { SERVER } from "./events.js";

const TYPING_SHOWN_MS = 6000;

export function presence(socket, { chatId, me, isGroup, memberCount, otherId }) {
  const typingBox = document.getElementById("typing");
  const statusBox = document.getElementById("chat-status");
  const staticStatus = statusBox.textContent;
  const typers = new Map(); // userId -> { name, timer }
  let state = "offline"; // offline | online | removed
  let here = [];
  let hereCount = 0;

  function renderTypers() {
    const names = [...typers.values()].map((typer) => typer.name);
    typingBox.textContent =
      names.length === 0 ? "" :
      names.length === 1 ? (isGroup ? t("chat.typing.named", { name: names[0] }) : t("chat.typing.direct")) :
      names.length === 2 ? t("chat.typing.two", { first: names[0], second: names[1] }) :
      t("chat.typing.several");
  }

  function dropTyper(userId) {
    const typer = typers.get(userId);
    if (!typer) return;
    clearTimeout(typer.timer);
    typers.delete(userId);
    renderTypers();
  }

  function render() {
    statusBox.classList.remove("chat-online");
    if (state === "removed") return void (statusBox.textContent = t("chat.status.removed"));
    if (state === "offline") return void (statusBox.textContent = t("chat.status.connecting"));
    const others = here.filter((u) => u.id !== me);
    if (!isGroup) {
      const online = otherId !== null && others.some((u) => u.id === otherId);
      statusBox.textContent = online ? t("chat.status.online") : staticStatus;
      statusBox.classList.toggle("chat-online", online);
      return;
    }
    const members = t("chat.members", { count: memberCount });
    if (!others.length) statusBox.textContent = members;
    else {
      const named = others.slice(0, 3).map((u) => u.username).join(", ");
      const more = hereCount - (here.length - others.length) - Math.min(3, others.length);
      const names = more > 0 ? t("chat.status.and_more", { names: named, count: more }) : named;
      statusBox.textContent = t("chat.status.here", { members, names });
      statusBox.classList.add("chat-online");
    }
  }

  socket.on(SERVER.typing, (e) => {
    if (e.chatId !== chatId || e.userId === me) return;
    dropTyper(e.userId);
    if (e.typing) {
      typers.set(e.userId, { name: e.username, timer: setTimeout(() => dropTyper(e.userId), TYPING_SHOWN_MS) });
      renderTypers();
    }
  });
  socket.on(SERVER.presence, (e) => {
    if (e.chatId !== chatId) return;
    // The server picks who is listed in a language-neutral order; the names shown follow the reader's.
    here = [...e.users].sort((a, b) => compareNames(a.username, b.username));
    hereCount = e.count ?? e.users.length;
    render();
  });

  /** online | offline | removed: nobody is shown as here (nor typing) unless this page is connected to the chat. */
  function set(next) {
    if (state === "removed") return;
    state = next;
    if (next !== "online") {
      here = [];
      typers.forEach((_, id) => dropTyper(id));
    }
    render();
  }

  // Before the first connection the page keeps the status it was rendered with.
  if (socket.connected) set("online");
  return { dropTyper, set };
}
