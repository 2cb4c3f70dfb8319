// Flash messages shown as toasts (the chat pages): a confirmation fades after a few seconds, an error stays until
// closed; Escape closes them all. They are announced when the page loads (role status / alert), so nothing is
// lost for a screen reader when one fades.
const SHOWN_MS = 6000;

const toasts = () => [...document.querySelectorAll(".chat-toasts .alert")];
const close = (el) => window.bootstrap?.Alert.getOrCreateInstance(el).close() ?? el.remove();

for (const el of toasts()) {
  if (!el.classList.contains("alert-danger")) setTimeout(() => el.isConnected && close(el), SHOWN_MS);
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && toasts().length) toasts().forEach(close);
});
