// Notes list: times say how long ago ("5 хв тому") and stay current. "Delete" asks with confirm() and posts straight away. Without JavaScript (or if the page has
// no CSRF token to send) the link opens the confirmation page instead, which does the same with a form.
import { keepRecentTimesFresh } from "/static/js/format.js";
import { t } from "/static/js/i18n.js";

keepRecentTimesFresh();

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[data-note-delete]") : null;
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return; // opening it in a new tab
  const token = document.querySelector('input[name="_csrf"]')?.value;
  if (!token) return;
  event.preventDefault();
  if (!window.confirm(t("notes.confirm_delete"))) return;
  const form = document.createElement("form");
  form.method = "post";
  form.action = link.dataset.noteDelete;
  form.hidden = true;
  const input = document.createElement("input");
  input.type = "hidden";
  input.name = "_csrf";
  input.value = token;
  form.append(input);
  document.body.append(form);
  form.submit();
});

// Long notes fold to about ten lines behind "Show more" (a real button, announced as expanded or not).
for (const body of document.querySelectorAll(".note-body")) {
  body.classList.add("folded");
  if (body.scrollHeight <= body.clientHeight + 4) {
    body.classList.remove("folded");
    continue;
  }
  body.id ||= `${body.closest(".note-card")?.id ?? "note"}-body`;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-link btn-sm note-fold";
  button.setAttribute("aria-controls", body.id);
  button.setAttribute("aria-expanded", "false");
  button.textContent = t("notes.show_more");
  button.addEventListener("click", () => {
    const folded = body.classList.toggle("folded");
    button.setAttribute("aria-expanded", String(!folded));
    button.textContent = t(folded ? "notes.show_more" : "notes.show_less");
  });
  body.after(button);
}
