// Photos for the next message: the paperclip opens the file picker, photos can also be dropped on the chat or
// pasted; each shows as a preview (with a button to take it out) until the composer sends them, with its text as
// the caption, over XMLHttpRequest (for the upload's progress bar) to the same form the page without JavaScript
// uses. The server answers with the stored message; everyone else gets it over the socket. A retry of the same
// photos keeps its client id, so a send whose answer was lost is stored once.
import { t } from "../i18n.js";
import { el, uuid } from "./dom.js";

const TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);

/** `onStored(message)`: the stored message (as an ack's); `showError(text)`: the composer's error line. */
export function photoTray({ root, chatId, onStored, showError }) {
  const attach = document.getElementById("photo-attach");
  const picker = document.getElementById("photo-input");
  const tray = document.getElementById("photo-tray");
  const progress = document.getElementById("photo-progress");
  if (!attach || !picker || !tray || !progress) return null;
  const bar = progress.firstElementChild;
  const max = Number(attach.dataset.max) || 10;
  const maxBytes = Number(attach.dataset.maxBytes) || 10 * 1024 * 1024;
  const url = attach.dataset.uploadUrl;
  /** The files, in the order chosen. */
  let chosen = [];
  /** Their previews' blob: URLs, made afresh on each redraw (the old ones released). */
  let previews = [];
  let clientId = uuid();
  let sending = false;

  function redraw() {
    for (const url of previews) URL.revokeObjectURL(url);
    previews = [];
    tray.replaceChildren(
      ...chosen.map((file, i) => {
        const item = el("div", "chat-tray-item");
        const img = el("img");
        const preview = URL.createObjectURL(file);
        previews.push(preview);
        img.src = preview;
        img.alt = file.name;
        const remove = el("button", "btn btn-sm btn-danger chat-tray-remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", t("chat.photos.remove", { name: file.name }));
        remove.addEventListener("click", () => {
          chosen.splice(i, 1);
          clientId = uuid(); // another set of photos is another message
          redraw();
          document.getElementById("f-text").focus();
        });
        item.append(img, remove);
        return item;
      }),
    );
    tray.hidden = !chosen.length;
  }

  function add(files) {
    const errors = [];
    for (const file of files) {
      if (!TYPES.has(file.type)) errors.push(t("chat.photos.not_image", { name: file.name }));
      else if (file.size > maxBytes) errors.push(t("chat.photos.too_big", { name: file.name, mb: maxBytes / 1024 / 1024 }));
      else if (chosen.length >= max) {
        errors.push(t("chat.photos.too_many_chosen", { max }));
        break;
      } else chosen.push(file);
    }
    clientId = uuid();
    showError(errors.join(" "));
    redraw();
  }

  attach.addEventListener("click", (e) => {
    e.preventDefault();
    picker.click();
  });
  picker.addEventListener("change", () => {
    add([...picker.files]);
    picker.value = "";
  });

  // Dropped on the chat, or pasted into it: only files are taken (dropped text or links are left to the browser).
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
  root.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    root.classList.add("chat-drop-target");
  });
  root.addEventListener("dragleave", (e) => {
    if (!root.contains(e.relatedTarget)) root.classList.remove("chat-drop-target");
  });
  root.addEventListener("drop", (e) => {
    root.classList.remove("chat-drop-target");
    if (!hasFiles(e)) return;
    e.preventDefault();
    add([...e.dataTransfer.files]);
  });
  root.addEventListener("paste", (e) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (!files.length) return;
    e.preventDefault();
    add(files);
  });

  function setProgress(fraction) {
    const percent = Math.round(fraction * 100);
    bar.style.width = `${percent}%`;
    progress.setAttribute("aria-valuenow", String(percent));
  }

  return {
    count: () => chosen.length,
    /** Sends the chosen photos with `text` as the caption (answering `replyTo`, if any). False if none chosen. */
    send(text, replyTo) {
      if (!chosen.length || sending) return Boolean(chosen.length);
      sending = true;
      const data = new FormData();
      data.append("client_id", clientId);
      data.append("text", text);
      if (replyTo) data.append("reply_to", String(replyTo));
      for (const file of chosen) data.append("photos", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.responseType = "json";
      setProgress(0);
      progress.hidden = false;
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) setProgress(e.loaded / e.total);
      });
      const done = () => {
        sending = false;
        progress.hidden = true;
      };
      xhr.addEventListener("load", () => {
        done();
        const answer = xhr.response;
        if (xhr.status === 200 && answer?.ok && answer.message?.chatId === chatId) {
          chosen = [];
          clientId = uuid();
          redraw();
          onStored(answer.message);
        } else {
          // The photos stay chosen: the reason is shown, and sending again tries again.
          showError(answer?.error ?? t("chat.photos.upload_failed"));
        }
      });
      xhr.addEventListener("error", () => {
        done();
        showError(t("chat.photos.upload_failed"));
      });
      xhr.send(data);
      return true;
    },
  };
}
