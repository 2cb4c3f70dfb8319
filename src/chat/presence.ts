// Who has a chat open right now, read from the chat's room itself (so it works across processes), and told to
// the room shortly after someone joins or leaves.
import { ROOT_COLLATOR } from "../i18n/collate";
import { type AppServer, chatRoom, type PresenceEvent } from "./chat.events";

const PRESENCE_LIST_MAX = 50;
const PRESENCE_COALESCE_MS = 200;

export class Presence {
  private due = new Map<number, NodeJS.Timeout>();

  constructor(private io: AppServer) {}

  /**
   * How many people have the chat open, and the first PRESENCE_LIST_MAX by name: one entry per person, whatever
   * their tabs. One broadcast reaches readers of every language, so the server picks the first ones in ICU's root
   * order (the same on every machine); each page sorts what it shows with its own language's collator.
   */
  async of(chatId: number): Promise<PresenceEvent> {
    const sockets = await this.io.in(chatRoom(chatId)).fetchSockets();
    const users = new Map<number, string>();
    for (const s of sockets) if (typeof s.data.userId === "number") users.set(s.data.userId, String(s.data.username ?? ""));
    const list = [...users].map(([id, username]) => ({ id, username }))
      .sort((a, b) => ROOT_COLLATOR.compare(a.username, b.username) || a.id - b.id);
    return { chatId, count: list.length, users: list.slice(0, PRESENCE_LIST_MAX) };
  }

  /**
   * Tells the room who is there, shortly after a join or leave. Changes within PRESENCE_COALESCE_MS share one
   * broadcast: a thousand sockets joining a big group at once cost a few broadcasts, not a thousand.
   */
  changed(chatId: number): void {
    if (this.due.has(chatId)) return;
    const timer = setTimeout(() => {
      this.due.delete(chatId);
      this.of(chatId)
        .then((p) => this.io.to(chatRoom(chatId)).emit("chat:presence", p))
        .catch(() => {}); // the server is closing; nobody is left to tell
    }, PRESENCE_COALESCE_MS);
    timer.unref();
    this.due.set(chatId, timer);
  }
}
