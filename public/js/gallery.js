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

if (form && input && list) {
  const button = form.querySelector('button[type="submit"]');
  const label = button?.textContent;
  input.addEventListener("change", render);
  form.addEventListener("submit", () => {
    // A second click would upload everything twice.
    if (button) {
      button.disabled = true;
      button.textContent = t("gallery.uploading");
    }
  });
  // Coming back with the Back button (bfcache) must not leave the form stuck.
  window.addEventListener("pageshow", () => {
    if (button) {
      button.disabled = false;
      button.textContent = label;
    }
  });
}
