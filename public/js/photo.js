// A photo's page: the arrow keys and a swipe go to the newer/older photo (the same links the page shows), and a
// lightbox shows the picture large on a dark backdrop. Without it the page has the links and the plain picture.
const newer = document.getElementById("photo-newer");
const older = document.getElementById("photo-older");
const stage = document.getElementById("photo-stage");
const full = document.getElementById("photo-full");
const zoom = document.getElementById("photo-zoom");
const box = document.getElementById("photo-lightbox");

const go = (link) => link && location.assign(link.href);
const typing = (el) => el instanceof HTMLElement && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
  if (e.key === "ArrowLeft") go(newer);
  else if (e.key === "ArrowRight") go(older);
});

// A horizontal swipe of at least 50 px that is more sideways than up or down (a scroll stays a scroll).
let start = null;
for (const el of [stage, box]) {
  el?.addEventListener("pointerdown", (e) => {
    if (e.pointerType !== "mouse") start = { x: e.clientX, y: e.clientY };
  });
  el?.addEventListener("pointerup", (e) => {
    if (!start) return;
    const dx = e.clientX - start.x;
    const dy = e.clientY - start.y;
    start = null;
    if (Math.abs(dx) >= 50 && Math.abs(dx) > 2 * Math.abs(dy)) go(dx > 0 ? newer : older);
  });
}

if (box && typeof box.showModal === "function") {
  zoom.hidden = false;
  const open = () => box.showModal();
  zoom.addEventListener("click", open);
  full.addEventListener("click", open);
  full.classList.add("photo-zoomable");
  const closeButton = document.getElementById("photo-lightbox-close");
  closeButton.addEventListener("click", () => box.close());
  // Tab stays on the lightbox's one control: the page behind is inert, and from a modal's last control the browser
  // would send the focus out to its own toolbar.
  box.addEventListener("keydown", (e) => {
    if (e.key !== "Tab") return;
    e.preventDefault();
    closeButton.focus();
  });
  // A click on the backdrop (the dialog itself, not the picture) closes it too.
  box.addEventListener("click", (e) => {
    if (e.target === box) box.close();
  });
}
