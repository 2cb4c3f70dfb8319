// Browser notifications and a short sound for new messages (#18), both optional and off until the user turns them
// on with the "Turn on notifications" button (profile, chat list): the permission prompt is only ever shown after
// that click. notify.js calls notifyMessage for a message in a chat that is not open (or open in a hidden tab) and
// not muted. The choice is kept per browser (localStorage); the Notification API only, no push service.

const PREF = "hromada.notifications";
const SOUND = "hromada.sound";
const LAST = "hromada.lastAlert";

const supported = () => typeof Notification !== "undefined";
const stored = (key) => {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
};
const store = (key, value) => {
  try {
    localStorage.setItem(key, value);
  } catch {
    // private mode without storage: the choice lasts for this page only
  }
};

export const notificationsOn = () => supported() && Notification.permission === "granted" && stored(PREF) === "on";
const soundOn = () => stored(SOUND) === "on";

let chime = null;
function playChime() {
  chime ??= new Audio("/static/sounds/message.wav");
  chime.currentTime = 0;
  chime.play().catch(() => {}); // a browser that blocks autoplay until the first click: silence, not an error
}

/**
 * Several tabs each hear the same message: the first to claim its id alerts, the others stay quiet. A
 * notification's tag (one per chat) also replaces, rather than piles up, the previous one of that chat.
 */
function claim(messageId) {
  if (!messageId) return true;
  if (stored(LAST) === String(messageId)) return false;
  store(LAST, String(messageId));
  return true;
}

/** A new message from someone else: a notification (sender, chat, preview; a click opens the chat) and a sound. */
export function notifyMessage(chatId, { from, text, chatName, group, messageId }) {
  const wantsNotice = notificationsOn();
  const wantsSound = soundOn();
  if ((!wantsNotice && !wantsSound) || !claim(messageId)) return;
  if (wantsSound) playChime();
  if (!wantsNotice) return;
  const title = group && chatName ? `${chatName}` : String(from ?? "");
  const body = group ? `${from}: ${text ?? ""}` : String(text ?? "");
  const n = new Notification(title, { body: body.slice(0, 140), tag: `chat-${chatId}`, icon: "/static/favicon.svg" });
  n.onclick = () => {
    window.focus();
    location.assign(`/chats/${chatId}`);
    n.close();
  };
}

/** The settings block (views/partials/_alerts.njk): a button that asks permission, a sound switch, the state in words. */
function settings(box) {
  if (!supported()) return;
  box.hidden = false;
  const button = box.querySelector("[data-alerts-enable]");
  const state = box.querySelector("[data-alerts-state]");
  const sound = box.querySelector("[data-alerts-sound]");
  const show = () => {
    const perm = Notification.permission;
    const on = notificationsOn();
    state.textContent = perm === "denied" ? box.dataset.blocked : on ? box.dataset.on : box.dataset.off;
    button.textContent = on ? box.dataset.disable : box.dataset.enable;
    button.disabled = perm === "denied";
  };
  button.addEventListener("click", async () => {
    if (notificationsOn()) {
      store(PREF, "off");
      return show();
    }
    const perm = Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
    store(PREF, perm === "granted" ? "on" : "off");
    show();
  });
  if (sound) {
    sound.checked = soundOn();
    sound.addEventListener("change", () => {
      store(SOUND, sound.checked ? "on" : "off");
      if (sound.checked) playChime(); // what it sounds like
    });
  }
  show();
}

for (const box of document.querySelectorAll("[data-alerts]")) settings(box);
