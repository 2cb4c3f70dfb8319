// Every socket.io event of the app with its payload, in one place: the server is typed with these through
// socket.io's Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>, so an event name
// or payload that is not declared here does not compile. The browser modules import the same names from
// public/js/chat/events.js (test/chat/chat.events.test.ts keeps the two lists equal).
//
// Rooms: `user:<id>` (every socket of a person), `session:<sid>` (the sockets of one login), `chat:<id>` (the
// sockets showing that chat, members only: checked on join, on every event and when a connection is recovered).
import type { Server, Socket } from "socket.io";
import type { LiveMessage, MessageDto, ReactionChange } from "./chat.presenter";

/** Every client->server chat event is acknowledged with ok, or with a readable error and a code. */
export type Ack<T extends object = object> = (answer: ({ ok: true } & T) | Refusal) => void;
export interface Refusal {
  ok: false;
  error: string;
  /**
   * not_found: no such chat (or message) for you (never a member, or no longer); rate_limited: slow down;
   * invalid: bad payload or a refused change (error says why); deleted: the message is deleted; too_late: past
   * the edit window; no_message: no such message in the chat for you (the chat stays open).
   */
  code: "not_found" | "rate_limited" | "invalid" | "deleted" | "too_late" | "no_message" | "photo_gone" | "unverified" | "server";
}

export interface ChatRef {
  chatId: number;
}

export interface ClientToServerEvents {
  /** Opens a chat on this socket: its messages, typing and presence arrive from now on. */
  "chat:join": (payload: ChatRef, ack: Ack) => void;
  "chat:leave": (payload: ChatRef, ack: Ack) => void;
  /** Sends a message (answering replyToId, when given); clientId (a UUID) makes a retry store it once. */
  /** photoIds: the sender's gallery photos to send with it (copied; the text is then an optional caption). */
  "chat:message": (
    payload: ChatRef & { text: string; clientId: string; replyToId?: number; photoIds?: number[] },
    ack: Ack<{ message: LiveMessage }>,
  ) => void;
  /**
   * What was missed: the messages after afterId, oldest first, at most a page; ask again while hasMore. With
   * sinceVersion (the chat's change number last synced to), also the messages (up to afterId) edited, deleted or
   * reacted to since, in change order, and the change number to ask from next.
   */
  "chat:sync": (
    payload: ChatRef & { afterId: number; sinceVersion?: number },
    ack: Ack<{ messages: MessageDto[]; hasMore: boolean; changes?: MessageDto[]; version?: number }>,
  ) => void;
  /** The author edits a message (within the edit window); clientId makes a retry change it once. */
  "chat:edit": (payload: ChatRef & { messageId: number; text: string; clientId: string }, ack: Ack<{ message: MessageDto }>) => void;
  /** The author deletes a message (again: nothing happens). */
  "chat:delete": (payload: ChatRef & { messageId: number }, ack: Ack<{ message: MessageDto }>) => void;
  /**
   * A member adds (on) or takes back a reaction; the same again, or a retry (the same clientId, a UUID), changes
   * nothing. The answer is the change made, or (nothing changed) the message as it is now.
   */
  "chat:react": (
    payload: ChatRef & { messageId: number; emoji: string; on: boolean; clientId?: string },
    ack: Ack<{ reaction?: ReactionChange; message?: MessageDto }>,
  ) => void;
  /** Read up to messageId; total is the new badge total, or null when nothing moved. */
  "chat:read": (payload: ChatRef & { messageId: number }, ack: Ack<{ total: number | null }>) => void;
  "chat:typing": (payload: ChatRef & { typing?: boolean }, ack: Ack) => void;
}

/** A badge update: the new total, and for one chat either its count (after reading) or a new message's preview. */
export interface UnreadEvent {
  total?: number;
  chatId?: number;
  unread?: number;
  messageId?: number;
  delta?: number;
  group?: boolean;
  /** A group's name (null for a direct chat, whose name is the sender's), for notifications. */
  chatName?: string | null;
  from?: string;
  text?: string;
  /** With delta: the new message mentions this person; with unread: an unread message in the chat still does. */
  mention?: boolean;
  /** The reader muted this chat: update its row only (no total, notification or sound). */
  muted?: boolean;
  /** The new message is the reader's own (sent from another page): its preview only. */
  mine?: boolean;
  /** When the new message was sent. */
  at?: string;
  /** With a total worked out anew: the chats where an unread message mentions the reader (the navbar's "@"). */
  mentionChats?: number[];
}

/**
 * A chat list's row follows a change in a chat that is not open on that page: the preview of its newest message
 * (edited, or deleted: text "" and deleted), or the "@" marker (mention true: an unread message now mentions the
 * reader; false: no unread mention is left).
 */
export interface PreviewEvent extends ChatRef {
  messageId: number;
  text?: string;
  deleted?: boolean;
  /** The author (the page draws "You: " before its own). */
  userId?: number;
  from?: string;
  group?: boolean;
  mention?: boolean;
  /** The reader muted the chat: its row shows the "@", the navbar and the title do not. */
  muted?: boolean;
}

export interface PresenceEvent extends ChatRef {
  count: number;
  users: { id: number; username: string }[];
}

export interface ServerToClientEvents {
  "chat:message": (message: LiveMessage) => void;
  /** A message was edited or deleted: the message as it is now (apply if its version is newer). */
  "chat:changed": (message: MessageDto) => void;
  /** A reaction was added or taken back: only that, not the whole message (see ReactionChange). */
  "chat:reacted": (change: ReactionChange) => void;
  /** For the chat lists on the member's other pages: see PreviewEvent. */
  "chat:preview": (event: PreviewEvent) => void;
  /** A member's read position moved: they have seen up to messageId. */
  "chat:seen": (event: ChatRef & { userId: number; messageId: number }) => void;
  "chat:unread": (event: UnreadEvent) => void;
  "chat:typing": (event: ChatRef & { userId: number; username: string; typing: boolean }) => void;
  "chat:presence": (event: PresenceEvent) => void;
  "chat:renamed": (event: ChatRef & { name: string }) => void;
  /** This person is no longer a member (reason absent: found out on reconnecting): the page stops sending. */
  "chat:removed": (event: ChatRef & { reason?: "removed" | "left" }) => void;
  /** The process is stopping: reconnect (to another one behind the load balancer). */
  "server:shutdown": (event: { reconnect: boolean }) => void;
}

/** The names at run time, for the check against the browser's list: a Record makes the compiler insist on each. */
const clientEvents: Record<keyof ClientToServerEvents, true> = {
  "chat:join": true, "chat:leave": true, "chat:message": true, "chat:sync": true, "chat:read": true, "chat:typing": true,
  "chat:edit": true, "chat:delete": true, "chat:react": true,
};
const serverEvents: Record<keyof ServerToClientEvents, true> = {
  "chat:message": true, "chat:changed": true, "chat:reacted": true, "chat:preview": true, "chat:seen": true, "chat:unread": true, "chat:typing": true, "chat:presence": true, "chat:renamed": true,
  "chat:removed": true, "server:shutdown": true,
};
export const eventNames = { client: Object.keys(clientEvents), server: Object.keys(serverEvents) };

export type InterServerEvents = Record<string, never>;

/** What a socket carries (restored with it when its connection is recovered; read by fetchSockets on any process). */
export interface SocketData {
  userId: number;
  username: string;
  sid?: string;
}

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export const userRoom = (userId: number) => `user:${userId}`;
export const sessionRoom = (sid: string) => `session:${sid}`;
export const chatRoom = (chatId: number) => `chat:${chatId}`;
