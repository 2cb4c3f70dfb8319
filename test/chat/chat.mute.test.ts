// Never miss a message (#18): the unread count in the tab title and beside the phone-width menu; muting a chat
// (1 h, 8 h, until unmuted; stored per member) keeps its count out of the total and its live events quiet.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials, postForm } from "../helpers/agent";
import { closeAll, collect, connect, createGroup, next, openDirect, postMessage } from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const user = (prefix = "mute") => loggedInAgent(app, newCredentials(prefix));
type U = Awaited<ReturnType<typeof user>>;
const mutedUntil = async (chatId: number, userId: number) =>
  (await app.sql<{ muted_until: unknown; forever: boolean | null; hours: number | null }>(
    `SELECT muted_until, muted_until = 'infinity' AS forever,
            CASE WHEN muted_until <> 'infinity' THEN round(extract(epoch FROM muted_until - now()) / 3600) END::int AS hours
       FROM chat_members WHERE chat_id = $1 AND user_id = $2`,
    [chatId, userId],
  ))[0];
const mute = (u: U, chatId: number, choice: string) => postForm(u.agent, `/chats/${chatId}/mute`, { for: choice }, `/chats/${chatId}/mute`);
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];

describe("the unread count on every page", () => {
  it("leads the tab title and sits beside the collapsed menu, in both places the same number", async () => {
    const [a, b] = [await user(), await user()];
    const chatId = await openDirect(a.agent, b.userId);
    for (const text of ["one", "two", "three"]) assert.equal((await postMessage(a.agent, chatId, text)).status, 303);
    const page = await b.agent.get("/gallery");
    assert.equal(titleOf(page.text), "(3) Your gallery · Hromada");
    assert.match(page.text, /class="nav-unread-phone d-md-none[^"]*" href="\/chats">Chats <span class="badge rounded-pill text-bg-danger" data-unread-badge>3</);
    assert.match(page.text, /id="nav-unread" data-unread-badge aria-live="polite">3</);
    // Reading the chat clears it (the chat page passes the total after reading).
    const chat = await b.agent.get(`/chats/${chatId}`);
    assert.doesNotMatch(String(titleOf(chat.text)), /^\(/);
    assert.equal(titleOf((await b.agent.get("/gallery")).text), "Your gallery · Hromada");
  });
});

describe("muting a chat", () => {
  it("stores 1 h, 8 h or until unmuted on the member's row, and unmuting clears it", async () => {
    const [a, b] = [await user(), await user()];
    const chatId = await openDirect(a.agent, b.userId);
    const res = await mute(b, chatId, "1h");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/chats/${chatId}`);
    assert.equal((await mutedUntil(chatId, b.userId)).hours, 1);
    assert.equal((await mutedUntil(chatId, a.userId)).muted_until, null, "the other member is not muted");
    await mute(b, chatId, "8h");
    assert.equal((await mutedUntil(chatId, b.userId)).hours, 8);
    await mute(b, chatId, "forever");
    assert.equal((await mutedUntil(chatId, b.userId)).forever, true);
    const flashed = await b.agent.get(`/chats/${chatId}`);
    assert.ok(flashed.text.includes("Chat muted until you unmute it."), "the flash says so");
    assert.ok(flashed.text.includes('data-muted="true"'));
    const page = await b.agent.get(`/chats/${chatId}/mute`);
    assert.ok(page.text.includes("Muted until you unmute it."));
    assert.ok(page.text.includes('name="for" value="off"'), "an Unmute button");
    await mute(b, chatId, "off");
    assert.equal((await mutedUntil(chatId, b.userId)).muted_until, null);
  });

  it("shows the mute page in Ukrainian, with labelled choices", async () => {
    const [a, b] = [await user(), await user()];
    const chatId = await openDirect(a.agent, b.userId);
    await app.sql("UPDATE users SET locale = 'uk' WHERE id = $1", [b.userId]);
    const page = await b.agent.get(`/chats/${chatId}/mute`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<label class="form-check-label" for="mute-8h">8 годин<\/label>/);
    assert.match(page.text, /Сповіщення цього чату увімкнені\./);
  });

  it("refuses an unknown choice with 422 on the form, changing nothing", async () => {
    const [a, b] = [await user(), await user()];
    const chatId = await openDirect(a.agent, b.userId);
    for (const bad of ["2h", "", "infinity"]) {
      const res = await mute(b, chatId, bad);
      assert.equal(res.status, 422, bad);
      assert.match(res.text, /Choose how long to mute the chat\./);
      assert.match(res.text, /aria-describedby="mute-error"/);
    }
    assert.equal((await mutedUntil(chatId, b.userId)).muted_until, null);
  });

  it("is a 404 for a non-member, and for a removed member, with nothing stored", async () => {
    const [a, b, c] = [await user(), await user(), await user()];
    const chatId = await createGroup(a.agent, "Quiet club", [b.creds.username]);
    assert.equal((await mute(c, chatId, "1h")).status, 404);
    assert.equal((await c.agent.get(`/chats/${chatId}/mute`)).status, 404);
    assert.equal((await postForm(a.agent, `/chats/${chatId}/members/${b.userId}/remove`, {}, `/chats/${chatId}/settings`)).status, 303);
    assert.equal((await mute(b, chatId, "1h")).status, 404);
    assert.equal((await app.sql("SELECT 1 FROM chat_members WHERE chat_id = $1 AND muted_until IS NOT NULL", [chatId])).length, 0);
  });

  it("leaves the chat's unread out of the total, shows its count muted, and ends on its own", async () => {
    const [a, b] = [await user(), await user()];
    const chatId = await openDirect(a.agent, b.userId);
    await postMessage(a.agent, chatId, "hi");
    await postMessage(a.agent, chatId, "there");
    assert.equal(titleOf((await b.agent.get("/gallery")).text), "(2) Your gallery · Hromada");
    await mute(b, chatId, "8h");
    const list = await b.agent.get("/chats");
    assert.equal(titleOf(list.text), "Chats · Hromada", "a muted chat's messages are not in the total");
    assert.match(list.text, /chat-row-muted/);
    assert.match(list.text, /class="badge rounded-pill text-bg-secondary chat-row-unread" data-muted>2</);
    // The mute runs out: the count is back.
    await app.sql("UPDATE chat_members SET muted_until = now() - interval '1 second' WHERE chat_id = $1 AND user_id = $2", [chatId, b.userId]);
    assert.equal(titleOf((await b.agent.get("/gallery")).text), "(2) Your gallery · Hromada");
  });

  it("sends a muted member's tabs the message marked muted (their list moves, quietly), others as before", async () => {
    const [a, b, c] = [await user(), await user(), await user()];
    const chatId = await createGroup(a.agent, "Loud club", [b.creds.username, c.creds.username]);
    await mute(b, chatId, "1h");
    const [sb, sc] = [await connect(app, b.agent), await connect(app, c.agent)];
    try {
      const seenB = next<Record<string, unknown>>(sb, "chat:unread", (e) => e.chatId === chatId && e.delta === 1);
      const seenC = next<Record<string, unknown>>(sc, "chat:unread", (e) => e.chatId === chatId && e.delta === 1);
      const totals = collect<Record<string, unknown>>(sb, "chat:unread");
      assert.equal((await postMessage(a.agent, chatId, "party at eight")).status, 303);
      const [eb, ec] = await Promise.all([seenB, seenC]);
      assert.equal(eb.muted, true);
      assert.equal(ec.muted, undefined);
      assert.equal(ec.chatName, "Loud club", "a group's notification names the chat");
      assert.equal(ec.from, a.creds.username);
      assert.equal(ec.text, "party at eight");
      assert.ok(totals.every((e) => e.total === undefined || e.total === 0), "b's total stays 0");
      // Unmuting tells b's tabs the new total at once.
      const total = next<Record<string, unknown>>(sb, "chat:unread", (e) => typeof e.total === "number");
      await mute(b, chatId, "off");
      assert.equal((await total).total, 1);
    } finally {
      closeAll(sb, sc);
    }
  });
});
