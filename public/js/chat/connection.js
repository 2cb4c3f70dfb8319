// Keeping up with the server: gaps and reconnects are filled from the database (chat:sync), and messages are
// sent with a client id and resent, with the same id, until the server answers (a retry never stores twice).
import { CLIENT } from "./events.js";

export const ACK_TIMEOUT_MS = 10_000;

/**
 * Everything up to `complete` is known to be here. The page was complete when rendered; a live message carries
 * its predecessor's id (prevId): if that is not here yet, something is missing or still on its way, and a
 * chat:sync from `complete` fills the gap. Reconnects sync from here too.
 * Changes to messages (edits, deletions, reactions) are numbered per chat: `version` is the number the page (or
 * the last sync) is complete up to, and each sync also brings the changes after it, applied by `applyChange`
 * (which ignores a change older than what is shown, so one seen live and again here is applied once).
 */
export function catchUp(socket, chatId, complete, receive, { version = 0, applyChange = () => {} } = {}) {
  const early = new Map(); // prevId -> id of a message that arrived before its predecessor
  let gapTimer;
  let syncing = null;

  function track(m) {
    if (typeof m.prevId !== "number" || m.id <= complete) return;
    if (m.prevId <= complete) {
      complete = m.id;
      while (early.has(complete)) {
        const id = early.get(complete);
        early.delete(complete);
        complete = id;
      }
      if (!early.size) clearTimeout(gapTimer);
    } else {
      early.set(m.prevId, m.id);
      // Usually the missing one is just behind (sent through another server); if not, fetch it.
      clearTimeout(gapTimer);
      gapTimer = setTimeout(() => early.size && sync(), 1500);
    }
  }

  /** Everything after `complete`, from the database: afterwards nothing before the newest is missing. */
  function sync() {
    syncing ??= (async () => {
      for (let more = true; more; ) {
        const got = await socket.timeout(ACK_TIMEOUT_MS)
          .emitWithAck(CLIENT.sync, { chatId, afterId: complete, sinceVersion: version })
          .catch(() => null);
        if (!got?.ok) return;
        got.messages.forEach(receive);
        (got.changes ?? []).forEach(applyChange);
        if (typeof got.version === "number") version = Math.max(version, got.version);
        if (got.messages.length) complete = Math.max(complete, got.messages.at(-1).id);
        more = got.hasMore && (got.messages.length > 0 || (got.changes ?? []).length > 0);
      }
      for (const prev of [...early.keys()]) if (early.get(prev) <= complete) early.delete(prev);
    })().finally(() => {
      syncing = null;
    });
    return syncing;
  }

  return { track, sync };
}

/**
 * Messages waiting for the server's answer, by client id. `onAck(ack)` gets each answer; a message without one
 * (the connection dropped, the answer was lost) is sent again: on reconnect, or after a second without answer.
 */
export function outbox(socket, chatId, onAck) {
  const pending = new Map(); // clientId -> { text, replyToId }
  let closed = false;

  function send(clientId) {
    const message = pending.get(clientId);
    if (message === undefined || !socket.connected || closed) return; // sent again on reconnect, with the same client id
    socket.timeout(ACK_TIMEOUT_MS).emit(CLIENT.message, { chatId, ...message, clientId }, (err, ack) => {
      if (!pending.has(clientId)) return;
      if (err) {
        // No answer: maybe stored, maybe not. The same client id makes the retry safe either way.
        setTimeout(() => send(clientId), 1000);
        return;
      }
      onAck(clientId, ack);
    });
  }

  return {
    /** `message`: { text, replyToId? }. */
    add(clientId, message) {
      pending.set(clientId, message);
      send(clientId);
    },
    /** What is waiting under this client id ({ text, replyToId? }), or undefined. */
    get: (clientId) => pending.get(clientId),
    done: (clientId) => pending.delete(clientId),
    has: (clientId) => pending.has(clientId),
    resendAll: () => [...pending.keys()].forEach(send),
    /** Nothing more will be sent (no longer a member); the client ids still waiting. */
    close() {
      closed = true;
      const left = [...pending.keys()];
      pending.clear();
      return left;
    },
  };
}
