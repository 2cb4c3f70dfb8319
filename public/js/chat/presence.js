// Who is typing and who has the chat open, in the header's status line and under the messages.
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

  function render() {
    statusBox.classList.remove("chat-online");
    if (state === "removed") return void (statusBox.textContent = "You are no longer a member");
    if (state === "offline") return void (statusBox.textContent = "Connecting… messages are sent when the connection is back");
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
    here = e.users;
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
