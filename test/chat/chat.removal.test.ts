// A member who loses a group (removed by its creator) loses it on every socket: the live ones are told at once,
// and one that was disconnected at that moment gets nothing of the group back when socket.io recovers its
// connection state (rooms and missed events), however often it reconnects.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import { chatRoom } from "../../src/chat/chat.events";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials, postForm, type Agent } from "../helpers/agent";
import { ask, closeAll, connect, createGroup, next, openDirect } from "./helpers";
import { chatEventsOf, dropTransport, joinedWithOffset, reconnect, refusesEverything, removeMember, send } from "./removal";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const user = () => loggedInAgent(app, newCredentials("rm"));

/** a's group with b and c in it, and a's direct chat with b (a fence: b's socket is not in its room). */
async function setUp() {
  const [a, b, c] = await Promise.all([user(), user(), user()]);
  const group = await createGroup(a.agent, "Removals", [b.creds.username, c.creds.username]);
  const direct = await openDirect(a.agent, b.userId);
  return { a, b, c, group, direct };
}

describe("removal from a group", () => {
  it("tells the removed member's open sockets live, and refuses them every event of the group", async () => {
    const { a, b, c, group } = await setUp();
    const [sa, sb, sc] = await Promise.all([connect(app, a.agent), connect(app, b.agent), connect(app, c.agent)]);
    for (const s of [sa, sb, sc]) assert.deepEqual(await ask(s, "chat:join", { chatId: group }), { ok: true });
    const told = next(sb, "chat:removed");
    await removeMember(a.agent, group, b.userId);
    assert.deepEqual(await told, { chatId: group, reason: "removed" });
    await refusesEverything(sb, group);
    closeAll(sa, sb, sc);
  });

  it("gives a socket that was disconnected during its removal nothing back when its connection is recovered", async () => {
    const { a, b, c, group, direct } = await setUp();
    const [sa, sc] = await Promise.all([connect(app, a.agent), connect(app, c.agent)]);
    await ask(sc, "chat:join", { chatId: group });
    const sb = await joinedWithOffset(app.url, b.agent, group);
    const seen = chatEventsOf(sb, group);

    await dropTransport(sb);
    await removeMember(a.agent, group, b.userId);
    assert.equal((await send(sa, group, "posted after the removal")).ok, true);
    assert.equal((await send(sc, group, "and another")).ok, true);
    const told = next(sb, "chat:removed");
    await reconnect(sb);
    assert.equal(sb.recovered, true, "this is socket.io's connection state recovery, not a fresh connection");
    assert.deepEqual(await told, { chatId: group, reason: "removed" }, "the notice sent while it was away");
    const inRoom = await app.io.in(chatRoom(group)).fetchSockets();
    assert.ok(!inRoom.some((s) => s.id === sb.id), "the recovered socket is not back in the group's room");

    await refusesEverything(sb, group);
    // Later traffic of the group does not reach it either; a message in b's own direct chat is the fence.
    assert.equal((await send(sc, group, "still nothing for b")).ok, true);
    await ask(sc, "chat:typing", { chatId: group, typing: true });
    const fence = next(sb, "chat:unread", (e: { chatId?: number }) => e.chatId === direct);
    assert.equal((await send(sa, direct, "fence")).ok, true);
    await fence;
    assert.deepEqual(seen.map(([event]) => event), ["chat:removed"], "of the group, only the removal notice arrived");

    // Once more: a second drop and recovery does not bring it back.
    await dropTransport(sb);
    assert.equal((await send(sa, group, "while away again")).ok, true);
    await reconnect(sb);
    await refusesEverything(sb, group);
    assert.ok(!seen.some(([event]) => event === "chat:message"), "no message of the group ever arrived");

    const members = await app.sql<{ user_id: number }>("SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY user_id", [group]);
    assert.deepEqual(members.map((m) => m.user_id), [a.userId, c.userId].sort((x, y) => x - y));
    const fromB = await app.sql("SELECT id FROM messages WHERE chat_id = $1 AND user_id = $2", [group, b.userId]);
    assert.deepEqual(fromB, [], "nothing b tried was stored");
    closeAll(sa, sb, sc);
  });

  it("lets a member who is still a member recover the group's missed messages as before", async () => {
    const { a, b, group } = await setUp();
    const sa = await connect(app, a.agent);
    const sb = await joinedWithOffset(app.url, b.agent, group);
    const seen = chatEventsOf(sb, group);
    await dropTransport(sb);
    assert.equal((await send(sa, group, "missed while away")).ok, true);
    const got = next(sb, "chat:message", (m: { text?: string }) => m.text === "missed while away");
    await reconnect(sb);
    assert.equal(sb.recovered, true);
    await got;
    assert.ok(!seen.some(([event]) => event === "chat:removed"));
    assert.deepEqual(await ask(sb, "chat:typing", { chatId: group, typing: true }), { ok: true });
    closeAll(sa, sb);
  });

  it("does not recover the connection of a member deactivated while disconnected", async () => {
    const { a, b, group } = await setUp();
    const staff = await loggedInAgent(app, newCredentials("rmstaff"), { isStaff: true });
    const sa = await connect(app, a.agent);
    const sb = await joinedWithOffset(app.url, b.agent, group);
    await dropTransport(sb);
    const res = await postForm(staff.agent, `/admin/users/${b.userId}/active`, { active: "0" }, `/admin/users/${b.userId}`);
    assert.equal(res.status, 303);
    assert.equal((await send(sa, group, "posted after the deactivation")).ok, true);
    await assert.rejects(reconnect(sb), "the handshake refuses a deactivated user's session");
    assert.equal(sb.connected, false);
    closeAll(sa, sb);
  });

  it("tells the other tabs of a member who leaves the group", async () => {
    const { b, group } = await setUp();
    const tab = await connect(app, b.agent);
    await ask(tab, "chat:join", { chatId: group });
    const told = next(tab, "chat:removed");
    const res = await postForm(b.agent as Agent, `/chats/${group}/leave`, {}, `/chats/${group}/settings`);
    assert.equal(res.status, 303);
    assert.deepEqual(await told, { chatId: group, reason: "left" });
    await refusesEverything(tab as Socket, group);
    closeAll(tab);
  });
});
