// Gallery upload form: lists the chosen files with small previews and warns early about files the server
// will refuse (too large, too many). The form works the same without it; the server checks everything again.
import { t } from "/static/js/i18n.js";

const form = document.querySelector("form.gallery-upload");
const input = form?.querySelector('input[type="file"]');
const list = document.getElementById("upload-preview");

// Megabytes with one decimal ("11.0 MB", "11,0 МБ"), kilobytes whole, each in the page's language.
const lang = document.documentElement.lang || "en";
const megabytes = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const kilobytes = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });

function formatSize(bytes) {
  if (bytes >= 1024 * 1024) return t("gallery.size_mb", { size: megabytes.format(bytes / 1024 / 1024) });
  return t("gallery.size_kb", { size: kilobytes.format(Math.max(1, Math.round(bytes / 1024))) });
}

const previews = [];

function render() {
  for (const url of previews.splice(0)) URL.revokeObjectURL(url);
  list.replaceChildren();
  const maxFiles = Number(form.dataset.maxFiles) || 20;
  const maxBytes = Number(form.dataset.maxBytes) || 10 * 1024 * 1024;
  const files = Array.from(input.files ?? []);
  let problems = 0;
  if (files.length > maxFiles) {
    const li = document.createElement("li");
    li.className = "text-danger fw-semibold";
    li.textContent = t("gallery.too_many_chosen", { count: files.length, max: maxFiles });
    list.append(li);
    problems++;
  }
  for (const file of files) {
    const li = document.createElement("li");
    if (file.type.startsWith("image/") && file.size <= maxBytes) {
      const img = document.createElement("img");
      const url = URL.createObjectURL(file);
      previews.push(url);
      img.src = url;
      img.alt = "";
      li.append(img);
    }
    const text = document.createElement("span");
    // textContent, never innerHTML: file names are whatever the user's disk says.
    text.textContent = t("gallery.file_size", { name: file.name, size: formatSize(file.size) });
    li.append(text);
    if (file.size > maxBytes) {
      li.classList.add("text-danger");
      text.textContent = t("gallery.file_refused", { name: file.name, size: formatSize(file.size), max: formatSize(maxBytes) });
      problems++;
    }
    list.append(li);
  }
  input.classList.toggle("is-invalid", problems > 0);
}

// What the server said after an upload sent from here (its flash messages), shown once the gallery has reloaded.
const CARRIED = "hromada.galleryFlash";

function showCarried() {
  let carried = [];
  try {
    carried = JSON.parse(sessionStorage.getItem(CARRIED) || "[]");
    sessionStorage.removeItem(CARRIED);
  } catch {
    return;
  }
  const main = document.getElementById("main");
  for (const { type, text } of carried.reverse()) {
    const div = document.createElement("div");
    div.className = `alert alert-${type === "danger" ? "danger" : "success"}`;
    div.setAttribute("role", type === "danger" ? "alert" : "status");
    div.textContent = text;
    main?.prepend(div);
  }
}

/** A refusal (413, 422) answered with the gallery page: its reasons go into this page's form, as text. */
function showRefusal(doc) {
  const reasons = [...(doc?.querySelectorAll("#upload-errors li") ?? [])].map((li) => li.textContent.trim());
  list.replaceChildren();
  for (const reason of reasons.length ? reasons : [t("gallery.upload_failed")]) {
    const li = document.createElement("li");
    li.className = "text-danger fw-semibold";
    li.textContent = reason;
    list.append(li);
  }
  input.classList.add("is-invalid");
}

/**
 * Sends the form with XMLHttpRequest (fetch reports no upload progress) and fills the progress bar. The server's
 * answer is the same as without JavaScript: on success the gallery (its flashes are carried to the reloaded page),
 * on a refusal the gallery form with the reasons.
 */
function sendWithProgress(button, label) {
  const bar = document.getElementById("upload-progress");
  const fill = bar?.querySelector(".progress-bar");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.responseType = "document";
  if (bar && fill) {
    bar.hidden = false;
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      fill.style.width = `${pct}%`;
      bar.setAttribute("aria-valuenow", String(pct));
    });
  }
  const reset = () => {
    if (bar) bar.hidden = true;
    button.disabled = false;
    button.textContent = label;
  };
  xhr.addEventListener("load", () => {
    const doc = xhr.response;
    if (xhr.status >= 200 && xhr.status < 300 && new URL(xhr.responseURL || location.href).pathname === "/gallery") {
      const flashes = [...(doc?.querySelectorAll("#main > .alert") ?? [])].map((el) => ({
        type: el.classList.contains("alert-danger") ? "danger" : "success",
        text: (el.firstChild?.textContent ?? el.textContent).trim(),
      }));
      try {
        sessionStorage.setItem(CARRIED, JSON.stringify(flashes));
      } catch {
        // no storage: the reload still shows the new photos
      }
      location.assign("/gallery");
      return;
    }
    reset();
    showRefusal(doc);
  });
  xhr.addEventListener("error", () => {
    reset();
    showRefusal(null);
  });
  xhr.send(new FormData(form));
}

if (form && input && list) {
  const button = form.querySelector('button[type="submit"]');
  const label = button?.textContent;
  showCarried();
  input.addEventListener("change", render);
  form.addEventListener("submit", (e) => {
    // A second click would upload everything twice.
    if (button) {
      button.disabled = true;
      button.textContent = t("gallery.uploading");
    }
    if (typeof FormData === "function" && button) {
      e.preventDefault();
      sendWithProgress(button, label);
    }
  });

  // The whole upload card is a drop zone: dropped files become the form's chosen files.
  const zone = form.closest(".card") ?? form;
  const hint = document.getElementById("drop-hint");
  if (hint) hint.hidden = false;
  zone.classList.add("gallery-drop");
  zone.addEventListener("dragover", (e) => {
    if (!e.dataTransfer?.types.includes("Files")) return;
    e.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", (e) => {
    if (!zone.contains(e.relatedTarget)) zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", (e) => {
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    zone.classList.remove("dragging");
    input.files = e.dataTransfer.files;
    render();
  });
  // Coming back with the Back button (bfcache) must not leave the form stuck.
  window.addEventListener("pageshow", () => {
    if (button) {
      button.disabled = false;
      button.textContent = label;
    }
  });
}
