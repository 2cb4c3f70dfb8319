// The chat list lives (#17): on /chats and in the chat page's sidebar, the rows of chats that are not open follow
// new messages, edits and deletions (preview, time, unread count, "@", order) without a reload, and end up as the
// server draws them after one; the navbar's "@" and the tab title's "(@3)" follow mentions on every page and at
// every width. Screenshots at 1280 and 375 wide (test-results/chat-live-list-*.png).
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { E2E_PASSWORD, logIn, newPage, screenshot, seriousViolations, signUp, useAppAndBrowser } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

const row = (page: Page, chatId: number) => page.locator(`[data-chat-row="${chatId}"]`);
/** What a row says (title, time, preview, "@", count), as one line. */
const rowText = async (page: Page, chatId: number) => (await row(page, chatId).innerText()).replace(/\s+/g, " ").trim();
const rowOrder = (page: Page) => page.locator("#chat-list [data-chat-row]").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.chatRow));

it("rows of chats not open follow messages, edits, deletions and mentions live, as a reload draws them", { timeout: 120_000 }, async () => {
  const alice = await signUp(app, "alice");
  const bob = await signUp(app, "bob");
  const carol = await signUp(app, "carol");
  const [{ id: trip }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (chat_name, is_group, creator_id, last_message_at) VALUES ('Trip', true, $1, now() - interval '1 hour') RETURNING id",
    [alice],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3), ($1, $4)", [trip, alice, bob, carol]);
  const [{ id: direct }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (is_group, direct_key, creator_id, last_message_at) VALUES (false, $1, $2, now()) RETURNING id",
    [`${Math.min(bob, carol)}:${Math.max(bob, carol)}`, carol],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [direct, bob, carol]);
  await app.sql("INSERT INTO messages (chat_id, user_id, message) VALUES ($1, $2, 'See you at the station')", [direct, carol]);
  await app.sql("UPDATE chats SET last_message_id = (SELECT max(id) FROM messages WHERE chat_id = chats.id) WHERE id = $1", [direct]);
  await app.sql("UPDATE chat_members SET last_read_message_id = (SELECT max(id) FROM messages WHERE chat_id = $1) WHERE chat_id = $1", [direct]);

  const a = await newPage(browser, app.url);
  const b = await newPage(browser, app.url);
  await logIn(a.page, app, "alice", E2E_PASSWORD);
  await logIn(b.page, app, "bob", E2E_PASSWORD);
  await a.page.goto(`/chats/${trip}`);
  await b.page.goto("/chats");
  assert.deepEqual(await rowOrder(b.page), [String(direct), String(trip)]);
  const box = a.page.getByLabel("Message", { exact: true });
  const say = async (text: string) => {
    await box.fill(text);
    await box.press("Enter");
    await a.page.locator("#messages .chat-msg[data-id]", { hasText: text }).last().waitFor();
  };

  // A new message: Trip moves to the top with alice's line, its time and one unread.
  await say("Tickets are booked");
  await row(b.page, trip).locator(".chat-row-preview", { hasText: "alice: Tickets are booked" }).waitFor();
  await row(b.page, trip).locator(".chat-row-unread", { hasText: "1" }).waitFor();
  assert.deepEqual(await rowOrder(b.page), [String(trip), String(direct)]);
  assert.match(await b.page.title(), /^\(1\) /);

  // A mention: the row's "@", the navbar's "@" and "(@2)" in the title.
  await say("@bob can you pay for them?");
  await row(b.page, trip).locator(".chat-row-mention:not(.d-none)").waitFor();
  await b.page.locator("#nav-unread ~ .nav-mention:not(.d-none)").waitFor();
  await b.page.waitForFunction(() => document.title.startsWith("(@2) "));
  await screenshot(b.page, "chat-live-list-mention-1280");
  assert.deepEqual(await seriousViolations(b.page), [], "the chat list with a mention");
  await b.page.setViewportSize({ width: 375, height: 760 });
  // On a phone the menu is collapsed: the count and its "@" stay in sight next to the toggler.
  await b.page.locator(".nav-unread-phone .nav-mention:not(.d-none)").waitFor();
  assert.equal(await b.page.locator(".nav-unread-phone [data-unread-badge]").evaluate((el) => el.firstChild?.nodeValue), "2");
  await screenshot(b.page, "chat-live-list-mention-375");
  assert.deepEqual(await seriousViolations(b.page), [], "the chat list with a mention, on a phone");
  await b.page.setViewportSize({ width: 1280, height: 900 });

  // Alice edits the mention away: the preview follows, and the "@" goes everywhere (no other unread mention).
  await a.page.locator("#messages .chat-msg[data-id]", { hasText: "@bob can you pay" }).locator(".chat-actions-link").click();
  await a.page.locator(".chat-menu").getByRole("menuitem", { name: "Edit" }).click();
  await box.fill("can someone pay for them?");
  await box.press("Enter");
  await row(b.page, trip).locator(".chat-row-preview", { hasText: "alice: can someone pay for them?" }).waitFor();
  await row(b.page, trip).locator(".chat-row-mention.d-none").waitFor({ state: "attached" });
  await b.page.locator("#nav-unread ~ .nav-mention.d-none").waitFor({ state: "attached" });
  await b.page.waitForFunction(() => document.title.startsWith("(2) "));

  // And deletes it: the placeholder, in italics, as the server draws it.
  a.page.once("dialog", (d) => void d.accept());
  await a.page.locator("#messages .chat-msg[data-id]", { hasText: "can someone pay" }).locator(".chat-actions-link").click();
  await a.page.locator(".chat-menu").getByRole("menuitem", { name: "Delete" }).click();
  await row(b.page, trip).locator(".chat-row-preview .fst-italic", { hasText: "Message deleted" }).waitFor();
  const live = await rowText(b.page, trip);
  await b.page.reload();
  assert.equal(await rowText(b.page, trip), live, "the live row is the row the server draws");
  await screenshot(b.page, "chat-live-list-deleted-1280");

  // The chat page's sidebar: Bob reads his direct chat while Trip goes on; his own message from another tab
  // shows as his, with nothing unread.
  await b.page.goto(`/chats/${direct}`);
  await say("Last call: 7:05, platform 3");
  await row(b.page, trip).locator(".chat-row-preview", { hasText: "alice: Last call: 7:05, platform 3" }).waitFor();
  const sidebarLive = await rowText(b.page, trip);
  await b.page.reload();
  assert.equal(await rowText(b.page, trip), sidebarLive);
  const other = await b.context.newPage();
  await other.goto(`/chats/${trip}`);
  await other.getByLabel("Message", { exact: true }).fill("On my way");
  await other.getByLabel("Message", { exact: true }).press("Enter");
  await row(b.page, trip).locator(".chat-row-preview", { hasText: "You: On my way" }).waitFor();
  await row(b.page, trip).locator(".chat-row-unread.d-none").waitFor({ state: "attached" });
  await screenshot(b.page, "chat-live-list-sidebar-1280");
  await b.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(b.page, "chat-live-list-sidebar-375");
  const [{ n }] = await app.sql<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE chat_id = $1 AND deleted_at IS NULL", [trip]);
  assert.equal(n, 3);
  assert.deepEqual([...a.errors, ...b.errors], [], "no console errors");
});
