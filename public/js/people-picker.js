// The member picker of the group forms: the box of usernames becomes a combobox over the people directory
// (/people.json), following the WAI-ARIA combobox pattern (a list of suggestions the arrows walk, Enter chooses,
// Escape closes), and the chosen people become buttons that remove them. The form still sends one "members" field
// of usernames, as the plain box did: without JavaScript that box is all there is.
import { t } from "/static/js/i18n.js";

const WAIT_MS = 150;
const split = (text) => text.split(/[\s,;]+/).map((n) => n.replace(/^@/, "")).filter(Boolean);
const initials = (name) => {
  const parts = name.split(/[\s._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function enhance(root) {
  const box = root.querySelector("#f-members");
  const anchor = root.querySelector("[data-picker-anchor]");
  const form = root.closest("form") ?? root.querySelector("form");
  if (!box || !anchor || !form) return;
  const exclude = new Set(JSON.parse(root.dataset.pickerExclude || "[]").map((n) => n.toLowerCase()));

  // The field the form sends, in place of the box; the box's id, label and error go to the combobox.
  const field = el("input");
  field.type = "hidden";
  field.name = "members";
  const input = el("input", box.className);
  input.type = "text";
  input.id = box.id;
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  for (const name of ["aria-describedby", "aria-invalid"]) if (box.hasAttribute(name)) input.setAttribute(name, box.getAttribute(name));
  const list = el("ul", "list-group people-suggest shadow");
  list.id = `${box.id}-suggestions`;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", t("chat.picker.suggestions"));
  list.hidden = true;
  input.setAttribute("aria-controls", list.id);
  const chips = el("ul", "people-chips list-unstyled d-flex flex-wrap gap-2 mb-2");
  chips.setAttribute("aria-label", t("chat.picker.chosen"));
  const status = el("div", "visually-hidden");
  status.setAttribute("role", "status");
  box.replaceWith(input, field);
  anchor.append(list);
  anchor.before(chips);
  root.append(status);
  const help = root.querySelector("[data-picker-help]");
  if (help) help.textContent = t("chat.picker.help");

  const chosen = [];
  let options = [];
  let active = -1;
  let timer = 0;
  let pending = null;

  const say = (text) => {
    // Emptied first, so saying the same words twice is announced twice.
    status.textContent = "";
    setTimeout(() => (status.textContent = text), 50);
  };
  const isChosen = (name) => chosen.some((c) => c.toLowerCase() === name.toLowerCase());
  const sync = () => {
    field.value = [...chosen, ...split(input.value)].join(" ");
    chips.hidden = !chosen.length;
  };

  function renderChips() {
    chips.replaceChildren(...chosen.map((name, i) => {
      const li = el("li");
      const button = el("button", "btn btn-sm btn-outline-secondary people-chip");
      button.type = "button";
      button.setAttribute("aria-label", t("chat.picker.remove", { name }));
      button.append(el("span", "", name), el("i", "bi bi-x-lg ms-1"));
      button.lastChild.setAttribute("aria-hidden", "true");
      button.addEventListener("click", () => unchoose(i));
      li.append(button);
      return li;
    }));
    sync();
  }

  function choose(name) {
    if (!isChosen(name)) chosen.push(name);
    input.value = "";
    close();
    renderChips();
    say(t("chat.picker.added", { name }));
    input.focus();
  }

  function unchoose(i) {
    const [name] = chosen.splice(i, 1);
    renderChips();
    say(t("chat.picker.removed", { name }));
    // Focus goes to the next chip, or the one before, or back to the box: never lost with the removed button.
    const buttons = chips.querySelectorAll("button");
    (buttons[i] ?? buttons[i - 1] ?? input).focus();
  }

  function close() {
    list.hidden = true;
    options = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(i) {
    active = i;
    options.forEach((option, n) => {
      option.node.classList.toggle("active", n === i);
      option.node.setAttribute("aria-selected", String(n === i));
    });
    if (i < 0) return input.removeAttribute("aria-activedescendant");
    input.setAttribute("aria-activedescendant", options[i].node.id);
    options[i].node.scrollIntoView({ block: "nearest" });
  }

  function show(people) {
    options = people.map((p, i) => {
      const node = el("li", "list-group-item list-group-item-action d-flex align-items-center gap-2 people-option");
      node.id = `${list.id}-${i}`;
      node.setAttribute("role", "option");
      node.setAttribute("aria-selected", "false");
      let picture;
      if (p.thumbPath) {
        picture = el("img", "avatar avatar-24 rounded-circle object-fit-cover");
        picture.src = `/media/${p.thumbPath}`;
        picture.width = picture.height = 24;
        picture.alt = "";
      } else {
        picture = el("span", "avatar avatar-24 avatar-placeholder rounded-circle");
        picture.append(el("span", "", initials(p.username)));
        picture.setAttribute("aria-hidden", "true");
      }
      node.append(picture, el("span", "text-truncate", p.username));
      // mousedown would take the focus from the box (and close the list) before the click.
      node.addEventListener("mousedown", (e) => e.preventDefault());
      node.addEventListener("click", () => choose(p.username));
      return { node, username: p.username };
    });
    list.replaceChildren(...options.map((o) => o.node));
    active = -1;
    list.hidden = !options.length;
    input.setAttribute("aria-expanded", String(options.length > 0));
    input.removeAttribute("aria-activedescendant");
    say(options.length ? t("chat.picker.results", { count: options.length }) : t("chat.picker.none"));
  }

  async function lookUp(q) {
    pending?.abort();
    pending = new AbortController();
    try {
      const res = await fetch(`/people.json?q=${encodeURIComponent(q)}`, { headers: { Accept: "application/json" }, signal: pending.signal });
      if (!res.ok) return close();
      const { people } = await res.json();
      // An answer to an older query than what is in the box now is dropped.
      if (input.value.trim() !== q) return;
      show(people.filter((p) => !isChosen(p.username) && !exclude.has(p.username.toLowerCase())));
    } catch (err) {
      if (err.name !== "AbortError") close();
    }
  }

  input.addEventListener("input", () => {
    sync();
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q || /[\s,;]/.test(q)) return close();
    timer = setTimeout(() => lookUp(q), WAIT_MS);
  });

  input.addEventListener("keydown", (e) => {
    const open = !list.hidden && options.length > 0;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!open) {
        const q = input.value.trim();
        if (q) lookUp(q);
        return;
      }
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      highlight(active < 0 ? (step > 0 ? 0 : options.length - 1) : (active + step + options.length) % options.length);
    } else if (e.key === "Enter") {
      if (open && active >= 0) {
        e.preventDefault();
        choose(options[active].username);
      } else if (input.value.trim()) {
        // A whole name typed out: it becomes a chip like a chosen one (the server says if there is no such person).
        e.preventDefault();
        for (const name of split(input.value)) choose(name);
      }
      // An empty box: Enter sends the form.
    } else if (e.key === "Escape") {
      if (open) {
        e.preventDefault();
        e.stopPropagation();
        close();
      } else if (input.value) {
        e.preventDefault();
        input.value = "";
        sync();
      }
    } else if (e.key === "Backspace" && !input.value && chosen.length) {
      // Backspace in an empty box steps onto the last chosen person (its button removes them).
      e.preventDefault();
      chips.querySelectorAll("button")[chosen.length - 1].focus();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
  form.addEventListener("submit", sync);

  // What the box held (a link's ?with=, or the form sent back with an error) starts as chosen people.
  chosen.push(...split(box.value).filter((n, i, all) => all.findIndex((m) => m.toLowerCase() === n.toLowerCase()) === i));
  renderChips();
}

for (const root of document.querySelectorAll("[data-people-picker]")) enhance(root);
