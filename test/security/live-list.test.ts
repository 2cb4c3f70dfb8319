// Promise: "only you see your data", for what the live chat list and the unread badge are sent (#17, #18): a
// chat's previews (new messages, edits, deletions, photos) reach its current members' other pages, and a member
// removed from it, or one who left, hears nothing of it afterwards on any open page: no preview, no count, not
// even the chat's id. A member of the chat, not on its page, is the control that the events do flow.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import type { TestApp } from "../helpers/app";
import { ask, connect, createGroup } from "../chat/helpers";
import { formPost, person, useWorld, type Person } from "./helpers";

let app: TestApp;
useWorld((a) => {
  app = a;
});

/** Every event a socket receives from now on, as [event, payload] (the payload as JSON, to search it). */
function record(s: Socket): [string, string][] {
  const seen: [string, string][] = [];
  s.onAny((event: string, ...args: unknown[]) => seen.push([event, JSON.stringify(args)]));
  return seen;
}

const settle = () => new Promise((r) => setTimeout(r, 400));

describe("the live chat list", () => {
  it("tells a removed member and one who left nothing more of the chat: no preview of a new, edited or deleted message, no count, no id", async () => {
    const [owner, member, removed, leaver] = await Promise.all(["llo", "llm", "llr", "lll"].map((p) => person(app, p)));
    const chatId = await createGroup(owner.agent, "live list", [member.username, removed.username, leaver.username]);
    // Each on another page (the socket of the layout's badge and list), none on the chat's own page.
    const sockets = await Promise.all([member, removed, leaver].map((p: Person) => connect(app, p.agent)));
    const [ownerSocket] = await Promise.all([connect(app, owner.agent)]);
    try {
      assert.deepEqual(await ask(ownerSocket, "chat:join", { chatId }), { ok: true });
      assert.equal((await formPost(owner, `/chats/${chatId}/members/${removed.userId}/remove`, {})).status, 303);
      assert.equal((await formPost(leaver, `/chats/${chatId}/leave`, {})).status, 303);
      await settle();
      const [toMember, toRemoved, toLeaver] = sockets.map(record);

      const secret = `after-removal ${crypto.randomBytes(4).toString("hex")}`;
      const sent = await ask(ownerSocket, "chat:message", { chatId, text: secret, clientId: crypto.randomUUID() });
      assert.equal(sent.ok, true);
      const edited = `${secret} edited`;
      assert.equal((await ask(ownerSocket, "chat:edit", { chatId, messageId: sent.message!.id, text: edited, clientId: crypto.randomUUID() })).ok, true);
      assert.equal((await ask(ownerSocket, "chat:react", { chatId, messageId: sent.message!.id, emoji: "👍", on: true })).ok, true);
      assert.equal((await ask(ownerSocket, "chat:delete", { chatId, messageId: sent.message!.id })).ok, true);
      await settle();

      assert.ok(toMember.some(([, p]) => p.includes(secret)), `the member's list heard of it: ${JSON.stringify(toMember).slice(0, 300)}`);
      for (const [who, seen] of [["removed", toRemoved], ["left", toLeaver]] as const) {
        const about = seen.filter(([, p]) => p.includes(secret) || new RegExp(`"chatId":${chatId}\\b`).test(p));
        assert.deepEqual(about, [], `${who}: ${JSON.stringify(about).slice(0, 300)}`);
      }
    } finally {
      for (const s of [...sockets, ownerSocket]) s.disconnect();
    }
  });
});
