// The socket.io events the browser uses, by name. Each one, with its payload, is declared for the server in
// src/chat/chat.events.ts (test/chat/chat.events.test.ts keeps the two lists equal).
//
// Client -> server (each acknowledged with { ok: true, ... } or { ok: false, error, code }):
//   chat:join { chatId }, chat:leave { chatId }, chat:message { chatId, text, clientId } -> { message },
//   chat:sync { chatId, afterId } -> { messages, hasMore }, chat:read { chatId, messageId } -> { total },
//   chat:typing { chatId, typing }, chat:edit { chatId, messageId, text, clientId } -> { message },
//   chat:delete { chatId, messageId } -> { message }, chat:react { chatId, messageId, emoji, on, clientId } -> { reaction } or { message }
//   (chat:message also takes replyToId; chat:sync also sinceVersion -> { changes, version })
// Server -> client:
//   chat:message (a stored message, with prevId), chat:changed (a message as it is now, with its version),
//   chat:reacted { chatId, id, version, prevVersion, emoji, on, userId, username } (one reaction, not the message),
//   chat:preview { chatId, messageId, text?, deleted?, userId?, from?, group?, mention?, muted? } (a list row elsewhere follows),
//   chat:seen { chatId, userId, messageId }, chat:unread (badge totals and previews), chat:typing,
//   chat:presence { chatId, count, users }, chat:renamed { chatId, name }, chat:removed { chatId, reason? },
//   server:shutdown { reconnect }
export const CLIENT = Object.freeze({
  join: "chat:join",
  leave: "chat:leave",
  message: "chat:message",
  sync: "chat:sync",
  read: "chat:read",
  typing: "chat:typing",
  edit: "chat:edit",
  delete: "chat:delete",
  react: "chat:react",
});

export const SERVER = Object.freeze({
  message: "chat:message",
  changed: "chat:changed",
  reacted: "chat:reacted",
  preview: "chat:preview",
  seen: "chat:seen",
  unread: "chat:unread",
  typing: "chat:typing",
  presence: "chat:presence",
  renamed: "chat:renamed",
  removed: "chat:removed",
  shutdown: "server:shutdown",
});
