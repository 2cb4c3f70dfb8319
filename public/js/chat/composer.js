// The message box: Enter sends (Shift+Enter is a new line), it grows with its text, says what is wrong next to
// itself, and tells the others when this person is typing. It also answers a message (reply), edits one of
// this person's own (the same box, with a banner saying so and a way out) and, in a group, completes @names
// from the members.
import { t } from "../i18n.js";
import { el } from "./dom.js";
import { CLIENT } from "./events.js";

const MAX = 4000;
const TYPING_EVERY_MS = 2500;
const TYPING_IDLE_MS = 4000;
const SUGGESTIONS = 6;
/** "@" and the name typed so far, right before the caret, not inside a word or an address. */
const MENTION_AT_CARET = /(?:^|[^\p{L}\p{N}._@-])@([\p{L}\p{N}._-]{0,30})$/u;

/**
 * `send(text, replyTo)` is called with each message to send (replyTo: { id, username, text } of the message it
 * answers, or undefined) and `edit(messageId, text)` with each edit, when the page is live (otherwise the form
 * simply posts). `members`: [{ id, username }] for @name completion. `photos()`: the photos chosen for the next
 * message (photos.js), sent instead with the text as their caption.
 */
export function composer(socket, { chatId, live, send, edit, members = [], me, photos = () => null }) {
  const form = document.getElementById("composer");
  const input = document.getElementById("f-text");
  const errorBox = document.getElementById("f-text-error");
  const context = document.getElementById("composer-context");
  const contextLabel = document.getElementById("composer-context-label");
  const contextText = document.getElementById("composer-context-text");
  const replyField = document.getElementById("f-reply-to");
  let mode = replyField.value ? { kind: "reply", id: Number(replyField.value) } : null;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.toggle("d-block", Boolean(message));
    input.classList.toggle("is-invalid", Boolean(message));
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

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
      socket.emit(CLIENT.typing, { chatId, typing: false });
    }
  }

  /** Replying to or editing a message: the banner above the box says which, Cancel (or Escape) ends it. */
  function setMode(next, label, text) {
    const wasEditing = mode?.kind === "edit";
    mode = next;
    replyField.value = next?.kind === "reply" ? String(next.id) : "";
    context.hidden = !next;
    contextLabel.textContent = label ?? "";
    contextText.textContent = text ?? "";
    if (!next && wasEditing) {
      input.value = "";
      autosize();
    }
  }
  document.getElementById("composer-context-cancel").addEventListener("click", (e) => {
    if (!live) return;
    e.preventDefault();
    setMode(null);
    input.focus();
  });

  // @name completion: a list of matching members under the box, chosen with the arrows and Enter or Tab.
  const others = members.filter((m) => m.id !== me);
  const suggest = el("ul", "list-group chat-suggest shadow-sm");
  suggest.id = "mention-suggestions";
  suggest.setAttribute("role", "listbox");
  suggest.setAttribute("aria-label", t("chat.mention_suggestions"));
  suggest.hidden = true;
  form.append(suggest);
  let choices = [];
  let active = 0;
  if (others.length) {
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", suggest.id);
  }

  function closeSuggest() {
    suggest.hidden = true;
    choices = [];
    input.removeAttribute("aria-activedescendant");
  }
  function renderSuggest() {
    suggest.replaceChildren(...choices.map((m, i) => {
      const li = el("li", `list-group-item list-group-item-action py-1${i === active ? " active" : ""}`, `@${m.username}`);
      li.id = `mention-${m.id}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === active));
      li.addEventListener("mousedown", (e) => {
        e.preventDefault();
        choose(i);
      });
      return li;
    }));
    suggest.hidden = !choices.length;
    if (choices.length) input.setAttribute("aria-activedescendant", `mention-${choices[active].id}`);
  }
  function updateSuggest() {
    if (!others.length) return;
    const m = MENTION_AT_CARET.exec(input.value.slice(0, input.selectionStart));
    if (!m) return closeSuggest();
    const typed = m[1].toLowerCase();
    choices = others.filter((u) => u.username.toLowerCase().startsWith(typed)).slice(0, SUGGESTIONS);
    active = 0;
    renderSuggest();
  }
  function choose(i) {
    const caret = input.selectionStart;
    const before = input.value.slice(0, caret).replace(/@[\p{L}\p{N}._-]*$/u, `@${choices[i].username} `);
    input.value = before + input.value.slice(caret);
    input.setSelectionRange(before.length, before.length);
    closeSuggest();
    autosize();
  }

  input.addEventListener("input", () => {
    autosize();
    updateSuggest();
    if (errorBox.textContent) showError("");
    if (!input.value.trim() || mode?.kind === "edit") return stopTyping();
    if (Date.now() - typingSentAt > TYPING_EVERY_MS) {
      typingSentAt = Date.now();
      socket.emit(CLIENT.typing, { chatId, typing: true });
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  });
  input.addEventListener("blur", () => setTimeout(closeSuggest, 100));

  input.addEventListener("keydown", (e) => {
    if (choices.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : choices.length - 1)) % choices.length;
        return renderSuggest();
      }
      if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey) {
        e.preventDefault();
        return choose(active);
      }
      if (e.key === "Escape") return closeSuggest();
    }
    if (e.key === "Escape" && mode && live) {
      e.preventDefault();
      return setMode(null);
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  if (live) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = input.value.trim();
      // Photos chosen (photos.js): they go with the text as their caption, which may then be empty.
      const tray = mode?.kind === "edit" ? null : photos();
      if (tray?.count()) {
        if (text.length > MAX) return showError(t("chat.errors.message_too_long"));
        showError("");
        tray.send(text, mode?.kind === "reply" ? mode.id : undefined);
        setMode(null);
        input.value = "";
        autosize();
        stopTyping();
        return;
      }
      if (!text) return showError(t("chat.errors.write_message"));
      if (text.length > MAX) return showError(t("chat.errors.message_too_long"));
      showError("");
      const was = mode;
      setMode(null);
      input.value = "";
      autosize();
      stopTyping();
      if (was?.kind === "edit") edit(was.id, text);
      else send(text, was?.kind === "reply" ? { id: was.id, username: was.username, text: was.text } : undefined);
    });
  }

  autosize();
  if (live && !input.value) input.focus({ preventScroll: true });

  return {
    /** Answer this message ({ id, username, text }). */
    replyTo(m) {
      if (mode?.kind === "edit") input.value = "";
      const line = m.text.split("\n")[0].slice(0, 120);
      setMode({ kind: "reply", id: m.id, username: m.username, text: line }, t("chat.replying_to", { name: m.username }), line);
      input.focus();
    },
    /** Edit one of this person's messages ({ id, text }) in the box. */
    edit(m) {
      setMode({ kind: "edit", id: m.id }, t("chat.editing"), "");
      input.value = m.text;
      autosize();
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    },
    /** The message being edited or answered is gone (deleted): stop. */
    forget(id) {
      if (mode?.id === id) setMode(null);
    },
    showError,
    /** Nothing more can be sent from here (no longer a member). */
    disable() {
      stopTyping();
      setMode(null);
      input.disabled = true;
      form.querySelector("button[type=submit]").disabled = true;
    },
  };
}
