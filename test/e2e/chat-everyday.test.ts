// Two people use the chat's everyday actions live in two real Chromium contexts: a link, "seen", a reaction, a
// reply, an edit and a deletion, each appearing on the other side without a reload; then @name completion in a
// group; screenshots at 1280 and 375 wide (test-results/chat-everyday-*.png).
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { E2E_PASSWORD, logIn as logInAs, newPage, screenshot, seriousViolations, signUp, useAppAndBrowser } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

const signup = (username: string) => signUp(app, username);
const logIn = (page: Page, username: string) => logInAs(page, app, username, E2E_PASSWORD);
const violations = seriousViolations;

const bubble = (page: Page, text: string) =>
  page.locator("#messages .chat-msg[data-id]").filter({ has: page.locator(".chat-bubble > .chat-text", { hasText: text }) });

async function menu(page: Page, text: string) {
  await bubble(page, text).locator(".chat-actions-link").click();
  return page.locator(".chat-menu");
}

async function both(pages: Page[], width: number, name: string) {
  for (const [i, page] of pages.entries()) {
    await page.setViewportSize({ width, height: width < 500 ? 760 : 900 });
    await screenshot(page, `chat-everyday-${name}-${i ? "bob" : "alice"}-${width}`);
  }
}

it("edit, delete, reply, react and seen reach the other person live", { timeout: 120_000 }, async () => {
  const aliceId = await signup("alice");
  const bobId = await signup("bob");
  const [{ id: chatId }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (is_group, direct_key, creator_id, last_message_at) VALUES (false, $1, $2, now()) RETURNING id",
    [`${Math.min(aliceId, bobId)}:${Math.max(aliceId, bobId)}`, aliceId],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [chatId, aliceId, bobId]);
  const alice = await newPage(browser, app.url);
  const bob = await newPage(browser, app.url);
  await logIn(alice.page, "alice");
  await logIn(bob.page, "bob");
  await alice.page.goto(`/chats/${chatId}`);
  await bob.page.goto(`/chats/${chatId}`);

  // A link becomes clickable on both sides (the sender's copy is rendered by the browser, the reader's too).
  const box = (page: Page) => page.getByLabel("Message", { exact: true });
  await box(alice.page).fill("Map of the trail: https://example.com/hoverla?day=sat\nMeet at 7");
  await box(alice.page).press("Enter");
  const link = bubble(bob.page, "Map of the trail").getByRole("link", { name: "https://example.com/hoverla?day=sat" });
  await link.waitFor();
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer nofollow");
  assert.equal(await link.getAttribute("href"), "https://example.com/hoverla?day=sat");

  // Bob has it on screen, so it is read: Alice sees "Seen" under it.
  await bubble(alice.page, "Map of the trail").locator("#chat-seen", { hasText: "Seen" }).waitFor();

  // Bob reacts from the message's menu; Alice sees the count, with who reacted in its label.
  const bobMenu = await menu(bob.page, "Map of the trail");
  await bobMenu.getByRole("menuitemcheckbox", { name: "React with 👍" }).click();
  const reaction = bubble(alice.page, "Map of the trail").locator(".chat-reaction");
  await reaction.filter({ hasText: "1" }).waitFor();
  assert.equal(await reaction.getAttribute("aria-label"), "👍: 1 reaction (bob)");
  assert.equal(await bubble(bob.page, "Map of the trail").locator(".chat-reaction.mine").count(), 1);

  // Bob replies to it: the quote shows Alice and the first line, on both sides.
  await (await menu(bob.page, "Map of the trail")).getByRole("menuitem", { name: "Reply" }).click();
  await bob.page.locator("#composer-context", { hasText: "Replying to alice" }).waitFor();
  await box(bob.page).fill("Count me in!");
  await box(bob.page).press("Enter");
  const quote = bubble(alice.page, "Count me in!").locator(".chat-quote");
  await quote.waitFor();
  assert.match(await quote.innerText(), /alice\s+Map of the trail: https:\/\/example.com\/hoverla\?day=sat/);
  await both([alice.page, bob.page], 1280, "live");
  await both([alice.page, bob.page], 375, "live");
  await alice.page.setViewportSize({ width: 1280, height: 900 });
  await bob.page.setViewportSize({ width: 1280, height: 900 });

  // Alice edits her message in the composer: Bob sees the new text and "edited"; the old text is kept for staff.
  await (await menu(alice.page, "Map of the trail")).getByRole("menuitem", { name: "Edit" }).click();
  await alice.page.locator("#composer-context", { hasText: "Editing your message" }).waitFor();
  assert.match(await box(alice.page).inputValue(), /^Map of the trail/);
  await box(alice.page).fill("Map of the trail: https://example.com/hoverla?day=sat\nMeet at 6:30");
  await box(alice.page).press("Enter");
  await bubble(bob.page, "Meet at 6:30").locator(".chat-edited:not([hidden])").waitFor();
  assert.equal(await bubble(bob.page, "Meet at 7").count(), 0);
  const [{ n }] = await app.sql<{ n: number }>("SELECT count(*)::int AS n FROM message_edits e JOIN messages m ON m.id = e.message_id WHERE m.chat_id = $1", [chatId]);
  assert.equal(n, 1);

  // Then deletes it: Bob sees the placeholder, and his reply's quote says it was deleted.
  alice.page.once("dialog", (d) => void d.accept());
  await (await menu(alice.page, "Meet at 6:30")).getByRole("menuitem", { name: "Delete" }).click();
  await bob.page.locator("#messages .chat-msg.deleted .chat-text", { hasText: "Message deleted" }).waitFor();
  await bubble(bob.page, "Count me in!").locator(".chat-quote-text", { hasText: "Message deleted" }).waitFor();
  assert.equal(await bob.page.getByText("Meet at 6:30").count(), 0);
  const [row] = await app.sql<{ message: string }>("SELECT message FROM messages WHERE chat_id = $1 AND deleted_at IS NOT NULL", [chatId]);
  assert.equal(row.message, "");

  // After a reload the server draws the same.
  await bob.page.reload();
  await bob.page.locator("#messages .chat-msg.deleted .chat-text", { hasText: "Message deleted" }).waitFor();
  await both([alice.page, bob.page], 1280, "after");
  await both([alice.page, bob.page], 375, "after");
  // Every new part on one page (a link, a quote of a deleted message, "Seen", own and others' bubbles), and the menu open.
  assert.deepEqual(await violations(bob.page), [], "the chat page with replies, reactions and a deleted message");
  await bubble(bob.page, "Count me in!").locator(".chat-actions-link").click();
  assert.deepEqual(await violations(bob.page), [], "with the message menu open");
  await bob.page.keyboard.press("Escape");

  // Search finds Bob's message (not the deleted one) and opens the chat at it; its own page has the no-JS actions.
  await bob.page.setViewportSize({ width: 1280, height: 900 });
  await bob.page.goto("/chats/search?q=count");
  const result = bob.page.locator("#search-results a", { hasText: "Count me in!" });
  await result.waitFor();
  await screenshot(bob.page, "chat-everyday-search-1280");
  await bob.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(bob.page, "chat-everyday-search-375");
  assert.deepEqual(await violations(bob.page), [], "search results");
  assert.equal(await bob.page.locator("#search-results mark").first().innerText(), "Count");
  await result.click();
  await bob.page.locator(".chat-msg:target", { hasText: "Count me in!" }).waitFor();
  const [{ id: mine }] = await app.sql<{ id: number }>("SELECT id FROM messages WHERE message = 'Count me in!'");
  await bob.page.goto(`/chats/${chatId}/messages/${mine}`);
  await bob.page.getByRole("button", { name: "React with 🙏" }).waitFor();
  await screenshot(bob.page, "chat-everyday-message-375");
  await bob.page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(bob.page, "chat-everyday-message-1280");
  assert.deepEqual(await violations(bob.page), [], "the message's page");
  assert.deepEqual([...alice.errors, ...bob.errors], [], "no console errors");
});

it("completes @names from the group's members and highlights a mention for the person named", { timeout: 60_000 }, async () => {
  const olena = await signup("olena");
  const taras = await signup("taras");
  const [{ id: groupId }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (chat_name, is_group, creator_id, last_message_at) VALUES ('Trip', true, $1, now()) RETURNING id",
    [olena],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [groupId, olena, taras]);
  const o = await newPage(browser, app.url);
  const tr = await newPage(browser, app.url);
  await logIn(o.page, "olena");
  await logIn(tr.page, "taras");
  await o.page.goto(`/chats/${groupId}`);
  await tr.page.goto("/chats");
  const box = o.page.getByLabel("Message", { exact: true });
  await box.pressSequentially("Tickets, @ta");
  await o.page.getByRole("option", { name: "@taras" }).waitFor();
  assert.deepEqual(await violations(o.page), [], "the composer with its suggestions open");
  await box.press("Enter");
  assert.equal(await box.inputValue(), "Tickets, @taras ");
  await box.pressSequentially("please");
  await box.press("Enter");
  // Taras is on his chat list: the "@" marker appears live; opening the chat shows the mention highlighted.
  await tr.page.locator(`[data-chat-row="${groupId}"] .chat-row-mention:not(.d-none)`).waitFor();
  await screenshot(tr.page, "chat-everyday-mention-list-1280");
  await tr.page.goto(`/chats/${groupId}`);
  const mention = tr.page.locator("#messages .chat-msg.mentions-me .chat-mention", { hasText: "@taras" });
  await mention.waitFor();
  assert.equal(await mention.getAttribute("href"), "/people/taras");
  await screenshot(tr.page, "chat-everyday-mention-1280");
  assert.deepEqual(await violations(tr.page), [], "a highlighted mention");
  await tr.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(tr.page, "chat-everyday-mention-375");
  assert.deepEqual([...o.errors, ...tr.errors], [], "no console errors");
});

it("a reply's quote jumps to the message it answers, loading older history as needed", { timeout: 60_000 }, async () => {
  const a = await signup("anna");
  const b = await signup("borys");
  const [{ id: chatId }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (is_group, direct_key, creator_id, last_message_at) VALUES (false, $1, $2, now()) RETURNING id",
    [`${Math.min(a, b)}:${Math.max(a, b)}`, a],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [chatId, a, b]);
  await app.sql(
    "INSERT INTO messages (chat_id, user_id, message, created_at) SELECT $1, $2, 'old ' || i, now() - interval '1 hour' FROM generate_series(1, 120) i ORDER BY i",
    [chatId, a],
  );
  const [{ id: oldest }] = await app.sql<{ id: number }>("SELECT min(id) AS id FROM messages WHERE chat_id = $1", [chatId]);
  await app.sql("INSERT INTO messages (chat_id, user_id, message, reply_to_id) VALUES ($1, $2, 'about the very first one', $3)", [chatId, b, oldest]);
  await app.sql("UPDATE chat_members SET last_read_message_id = (SELECT max(id) FROM messages WHERE chat_id = $1) WHERE chat_id = $1", [chatId]);
  const anna = await newPage(browser, app.url);
  await logIn(anna.page, "anna");
  await anna.page.goto(`/chats/${chatId}`);
  assert.equal(await anna.page.locator(`#m-${oldest}`).count(), 0, "not on the first page");
  await bubble(anna.page, "about the very first one").locator(".chat-quote").click();
  await anna.page.locator(`#m-${oldest}.chat-target`).waitFor();
  assert.equal(new URL(anna.page.url()).pathname, `/chats/${chatId}`, "loaded in place, no navigation");
  assert.ok(await anna.page.locator(`#m-${oldest}`).isVisible());
  assert.deepEqual(anna.errors, []);
});

it("the chat list's preview follows an edit or deletion of the chat's last message, live", { timeout: 60_000 }, async () => {
  const hannaId = await signup("hanna");
  const yuriiId = await signup("yurii");
  const [{ id: chatId }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (is_group, direct_key, creator_id, last_message_at) VALUES (false, $1, $2, now()) RETURNING id",
    [`${Math.min(hannaId, yuriiId)}:${Math.max(hannaId, yuriiId)}`, hannaId],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [chatId, hannaId, yuriiId]);
  const hanna = await newPage(browser, app.url);
  const yurii = await newPage(browser, app.url);
  await logIn(hanna.page, "hanna");
  await logIn(yurii.page, "yurii");
  await hanna.page.goto(`/chats/${chatId}`);
  await yurii.page.goto(`/chats/${chatId}`);
  const box = hanna.page.getByLabel("Message", { exact: true });
  const preview = (page: Page) => page.locator(`[data-chat-row="${chatId}"] .chat-row-preview`);

  for (const text of ["Train at nine", "Platform 4"]) {
    await box.fill(text);
    await box.press("Enter");
    await bubble(yurii.page, text).waitFor();
  }
  await preview(yurii.page).filter({ hasText: /^Platform 4$/ }).waitFor();
  await preview(hanna.page).filter({ hasText: /^You: Platform 4$/ }).waitFor();

  // An older message changing leaves the preview alone.
  await (await menu(hanna.page, "Train at nine")).getByRole("menuitem", { name: "Edit" }).click();
  await box.fill("Train at ten");
  await box.press("Enter");
  await bubble(yurii.page, "Train at ten").waitFor();
  assert.equal(await preview(yurii.page).innerText(), "Platform 4");

  // The last one edited: both previews show the new text.
  await (await menu(hanna.page, "Platform 4")).getByRole("menuitem", { name: "Edit" }).click();
  await box.fill("Platform 5");
  await box.press("Enter");
  await preview(yurii.page).filter({ hasText: /^Platform 5$/ }).waitFor();
  await preview(hanna.page).filter({ hasText: /^You: Platform 5$/ }).waitFor();

  // Deleted: the placeholder, in italics, as the server draws it after a reload.
  hanna.page.once("dialog", (d) => void d.accept());
  await (await menu(hanna.page, "Platform 5")).getByRole("menuitem", { name: "Delete" }).click();
  await preview(yurii.page).locator(".fst-italic", { hasText: "Message deleted" }).waitFor();
  await preview(hanna.page).filter({ hasText: /^You: Message deleted$/ }).waitFor();
  assert.equal(await preview(yurii.page).innerText(), "Message deleted");
  const [row] = await app.sql<{ message: string; deleted: boolean }>(
    "SELECT m.message, m.deleted_at IS NOT NULL AS deleted FROM chats c JOIN messages m ON m.id = c.last_message_id WHERE c.id = $1",
    [chatId],
  );
  assert.deepEqual(row, { message: "", deleted: true });
  await screenshot(yurii.page, "chat-everyday-preview-deleted-1280");
  await yurii.page.reload();
  assert.equal(await preview(yurii.page).innerText(), "Message deleted");
  assert.equal(await preview(yurii.page).locator(".fst-italic").count(), 1);
  assert.deepEqual([...hanna.errors, ...yurii.errors], [], "no console errors");
});
