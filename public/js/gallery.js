// Gallery upload form: lists the chosen files with small previews and warns early about files the server
// will refuse (too large, too many). The form works the same without it; the server checks everything again.
const form = document.querySelector("form.gallery-upload");
const input = form?.querySelector('input[type="file"]');
const list = document.getElementById("upload-preview");

function formatSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
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
    li.textContent = `${files.length} files chosen: at most ${maxFiles} can be uploaded at once.`;
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
    text.textContent = `${file.name} (${formatSize(file.size)})`;
    li.append(text);
    if (file.size > maxBytes) {
      li.classList.add("text-danger");
      text.textContent += ` is larger than ${formatSize(maxBytes)} and will be refused.`;
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
      button.textContent = "Uploading…";
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
