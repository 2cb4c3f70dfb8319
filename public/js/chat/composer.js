// The message box: Enter sends (Shift+Enter is a new line), it grows with its text, says what is wrong next to
// itself, and tells the others when this person is typing.
import { t } from "../i18n.js";
import { CLIENT } from "./events.js";

const MAX = 4000;
const TYPING_EVERY_MS = 2500;
const TYPING_IDLE_MS = 4000;

/** `send(text)` is called with each message to send, when the page is live (otherwise the form simply posts). */
export function composer(socket, { chatId, live, send }) {
  const form = document.getElementById("composer");
  const input = document.getElementById("f-text");
  const errorBox = document.getElementById("f-text-error");

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

  input.addEventListener("input", () => {
    autosize();
    if (errorBox.textContent) showError("");
    if (!input.value.trim()) return stopTyping();
    if (Date.now() - typingSentAt > TYPING_EVERY_MS) {
      typingSentAt = Date.now();
      socket.emit(CLIENT.typing, { chatId, typing: true });
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  });

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  if (live) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return showError(t("chat.errors.write_message"));
      if (text.length > MAX) return showError(t("chat.errors.message_too_long"));
      showError("");
      input.value = "";
      autosize();
      stopTyping();
      send(text);
    });
  }

  autosize();
  if (live && !input.value) input.focus({ preventScroll: true });

  return {
    /** Nothing more can be sent from here (no longer a member). */
    disable() {
      stopTyping();
      input.disabled = true;
      form.querySelector("button[type=submit]").disabled = true;
    },
  };
}
