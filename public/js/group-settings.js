// Group settings: "Remove" and "Leave group" ask in a dialog (Bootstrap's modal: focus stays inside, Escape closes,
// focus goes back to the button that opened it). Without JavaScript the same links open the question as a page.

const modalOf = (dialog) => window.bootstrap?.Modal.getOrCreateInstance(dialog);

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[data-confirm-dialog]") : null;
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return; // opening the page in a new tab
  const dialog = document.getElementById(link.dataset.confirmDialog);
  const modal = dialog && modalOf(dialog);
  if (!modal) return;
  event.preventDefault();
  // The question page's URL is also where its form posts: one dialog serves every member's "Remove".
  const form = dialog.querySelector("form");
  if (link.dataset.confirmText !== undefined) {
    form.action = link.href;
    dialog.querySelector("[data-confirm-question]").textContent = link.dataset.confirmText;
  }
  dialog.addEventListener("hidden.bs.modal", () => link.isConnected && link.focus(), { once: true });
  modal.show(link);
});

// With the dialog they open, these links act as buttons: announced as buttons, and Space opens them as Enter does.
for (const link of document.querySelectorAll("a[data-confirm-dialog]")) {
  link.setAttribute("role", "button");
  link.addEventListener("keydown", (event) => {
    if (event.key !== " ") return;
    event.preventDefault();
    link.click();
  });
}

const FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), [tabindex]:not([tabindex='-1'])";

for (const dialog of document.querySelectorAll(".modal")) {
  // The way out is the first stop: a destructive answer is never one stray Enter away.
  dialog.addEventListener("shown.bs.modal", () => dialog.querySelector("[data-dialog-cancel]")?.focus());
  // Tab goes round inside the dialog. Bootstrap's trap catches focus landing elsewhere on the page, but when the
  // dialog holds the page's last control, Tab leaves for the browser's own toolbar, where nothing catches it.
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const stops = [...dialog.querySelectorAll(FOCUSABLE)];
    const [first, last] = [stops[0], stops.at(-1)];
    if (!first) return;
    if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    } else if (event.shiftKey && (document.activeElement === first || document.activeElement === dialog)) {
      event.preventDefault();
      last.focus();
    }
  });
}
