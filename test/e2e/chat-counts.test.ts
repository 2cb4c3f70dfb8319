// Counts that follow changes (#17), in real Chromium: a deleted message leaves the reader's unread count (the chat
// list's row, the navbar badge, the tab title) and takes its mention's "@" with it, live and as a reload draws it;
// a mention added by an edit brings the "@" live, and in a muted chat only the row's. Screenshots at 1280 and 375
// wide (test-results/chat-counts-*.png).
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { chatOfTwo, E2E_PASSWORD, logIn, newPage, screenshot, seriousViolations, signUp, useAppAndBrowser } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

const row = (page: Page, chatId: number) => page.locator(`[data-chat-row="${chatId}"]`);
const rowText = async (page: Page, chatId: number) => (await row(page, chatId).innerText()).replace(/\s+/g, " ").trim();
/** The navbar badge's number (its first text node; the rest is the visually hidden " unread"). */
const navCount = (page: Page) => page.locator("#nav-unread").evaluate((el) => el.firstChild?.nodeValue ?? "");

it("a deletion lowers the unread count and takes its '@'; an edit's mention comes live, muted: the row's only", { timeout: 180_000 }, async () => {
  const alice = await signUp(app, "alice");
  const bob = await signUp(app, "bob");
  const trip = await chatOfTwo(app, alice, bob, "Trip");
  const club = await chatOfTwo(app, alice, bob, "Club");
  await app.sql("UPDATE chat_members SET muted_until = 'infinity' WHERE chat_id = $1 AND user_id = $2", [club, bob]);

  const a = await newPage(browser, app.url);
  const b = await newPage(browser, app.url);
  await logIn(a.page, app, "alice", E2E_PASSWORD);
  await logIn(b.page, app, "bob", E2E_PASSWORD);
  await b.page.goto("/chats");
  const box = a.page.getByLabel("Message", { exact: true });
  const say = async (text: string) => {
    await box.fill(text);
    await box.press("Enter");
    await a.page.locator("#messages .chat-msg[data-id]", { hasText: text }).last().waitFor();
  };
  const menu = async (text: string, item: "Edit" | "Delete") => {
    await a.page.locator("#messages .chat-msg[data-id]", { hasText: text }).locator(".chat-actions-link").click();
    await a.page.locator(".chat-menu").getByRole("menuitem", { name: item }).click();
  };

  await a.page.goto(`/chats/${trip}`);
  await say("Tickets are booked");
  await say("Who pays for them?");
  await row(b.page, trip).locator(".chat-row-unread", { hasText: "2" }).waitFor();
  await b.page.waitForFunction(() => document.title.startsWith("(2) "));

  // Alice edits a mention of Bob in: his row's "@", the navbar's and "(@2)" in the title, without a reload.
  await menu("Who pays for them?", "Edit");
  await box.fill("@bob who pays for them?");
  await box.press("Enter");
  await row(b.page, trip).locator(".chat-row-mention:not(.d-none)").waitFor();
  await b.page.locator("#nav-unread ~ .nav-mention:not(.d-none)").waitFor();
  await b.page.waitForFunction(() => document.title.startsWith("(@2) "));

  // She deletes it: one unread left, no "@" anywhere, the placeholder as the row's preview.
  a.page.once("dialog", (d) => void d.accept());
  await menu("@bob who pays", "Delete");
  await row(b.page, trip).locator(".chat-row-unread", { hasText: /^1/ }).waitFor();
  await row(b.page, trip).locator(".chat-row-mention.d-none").waitFor({ state: "attached" });
  await b.page.locator("#nav-unread ~ .nav-mention.d-none").waitFor({ state: "attached" });
  await b.page.waitForFunction(() => document.title.startsWith("(1) "));
  assert.equal(await navCount(b.page), "1");
  await screenshot(b.page, "chat-counts-after-delete-1280");
  assert.deepEqual(await seriousViolations(b.page), [], "the chat list after a deletion");
  const live = await rowText(b.page, trip);
  await b.page.reload();
  assert.equal(await rowText(b.page, trip), live, "the live row is the row the server draws");
  assert.equal(await b.page.title(), "(1) Chats · Hromada");
  assert.equal(await navCount(b.page), "1");

  // On a phone the count beside the collapsed menu follows too.
  await b.page.setViewportSize({ width: 375, height: 760 });
  await say("See you at 7");
  const phone = b.page.locator(".nav-unread-phone [data-unread-badge]");
  await b.page.waitForFunction(() => document.title.startsWith("(2) "));
  a.page.once("dialog", (d) => void d.accept());
  await menu("See you at 7", "Delete");
  await b.page.waitForFunction(() => document.title.startsWith("(1) "));
  assert.equal(await phone.evaluate((el) => el.firstChild?.nodeValue), "1");
  await screenshot(b.page, "chat-counts-after-delete-375");
  await b.page.setViewportSize({ width: 1280, height: 900 });

  // The muted chat: an edit's mention shows in its row (its count muted), never in the navbar or the title.
  await a.page.goto(`/chats/${club}`);
  await say("Practice on Friday");
  await row(b.page, club).locator(".chat-row-unread", { hasText: "1" }).waitFor();
  await menu("Practice on Friday", "Edit");
  await box.fill("Practice on Friday, @bob brings the ball");
  await box.press("Enter");
  await row(b.page, club).locator(".chat-row-preview", { hasText: "@bob brings the ball" }).waitFor();
  await row(b.page, club).locator(".chat-row-mention:not(.d-none)").waitFor();
  assert.equal(await b.page.locator("#nav-unread ~ .nav-mention").getAttribute("class").then((c) => /d-none/.test(String(c))), true);
  assert.equal(await b.page.title(), "(1) Chats · Hromada");
  await screenshot(b.page, "chat-counts-muted-mention-1280");
  const mutedLive = await rowText(b.page, club);
  await b.page.reload();
  assert.equal(await rowText(b.page, club), mutedLive);
  assert.equal(await b.page.title(), "(1) Chats · Hromada");

  const [{ live: left, mentions }] = await app.sql<{ live: number; mentions: number }>(
    `SELECT (SELECT count(*)::int FROM messages WHERE chat_id = $1 AND deleted_at IS NULL) AS live,
            (SELECT count(*)::int FROM message_mentions WHERE user_id = $2) AS mentions`,
    [trip, bob],
  );
  assert.deepEqual([left, mentions], [1, 1], "one message left in Trip; Bob's one mention is the muted chat's");
  assert.deepEqual([...a.errors, ...b.errors], [], "no console errors");
});
