// A message refused by the flood limit is marked "Not sent" with a Retry button; retrying a reply sends it as a
// reply (its quote and reply_to_id), not as a plain message; the bubble not yet stored shows its quote too. The app here allows two messages per 10 s.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { Browser } from "playwright-core";
import { startTestApp, type TestApp } from "../helpers/app";
import { launchBrowser, newPage, screenshot } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
let closeBrowser: () => Promise<void>;
before(async () => {
  app = await startTestApp({ CHAT_MESSAGES_PER_10S: "2" });
  ({ browser, close: closeBrowser } = await launchBrowser());
});
after(async () => {
  await closeBrowser?.();
  await app?.close();
});

const PASSWORD = "correct horse battery";

it("retrying a failed reply keeps what it answers", { timeout: 60_000 }, async () => {
  const ids = [];
  for (const name of ["olena", "petro"]) ids.push((await app.auth.signup({ username: name, email: `${name}@example.test`, password: PASSWORD })).id);
  const [{ id: chatId }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (is_group, direct_key, creator_id, last_message_at) VALUES (false, $1, $2, now()) RETURNING id",
    [`${Math.min(...ids)}:${Math.max(...ids)}`, ids[0]],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [chatId, ids[0], ids[1]]);
  const { page, errors } = await newPage(browser, app.url);
  await page.goto("/login");
  await page.getByLabel("Username or email").fill("olena");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);
  await page.goto(`/chats/${chatId}`);
  const box = page.getByLabel("Message", { exact: true });
  const stored = page.locator("#messages .chat-msg[data-id]");

  // The two messages of the window; the reply to the first is the third, refused.
  for (const text of ["Who has the tent?", "I can bring the stove"]) {
    await box.fill(text);
    await box.press("Enter");
    await stored.filter({ hasText: text }).waitFor();
  }
  const [{ id: tentId }] = await app.sql<{ id: number }>("SELECT id FROM messages WHERE message = 'Who has the tent?'");
  await stored.filter({ hasText: "Who has the tent?" }).locator(".chat-actions-link").click();
  await page.locator(".chat-menu").getByRole("menuitem", { name: "Reply" }).click();
  await box.fill("Petro has it");
  await box.press("Enter");
  const failed = page.locator("#messages .chat-msg.failed", { hasText: "Petro has it" });
  await failed.locator(".chat-msg-error", { hasText: "Not sent" }).waitFor();
  // Not stored (never acknowledged), the bubble still shows what it answers, as the stored reply will.
  await failed.locator(`.chat-quote[data-reply-to="${tentId}"]`, { hasText: "Who has the tent?" }).waitFor();
  assert.equal(await failed.locator(".chat-quote-author").innerText(), "olena");
  await screenshot(page, "chat-retry-failed-1280");
  assert.equal((await app.sql("SELECT 1 FROM messages WHERE message = 'Petro has it'")).length, 0, "nothing stored");

  // Once the window has passed, Retry stores it as the reply it was.
  await page.waitForTimeout(10_500);
  await failed.getByRole("button", { name: "Retry" }).click();
  const reply = stored.filter({ has: page.locator(".chat-bubble > .chat-text", { hasText: "Petro has it" }) });
  await reply.locator(`.chat-quote[data-reply-to="${tentId}"]`, { hasText: "Who has the tent?" }).waitFor();
  const rows = await app.sql<{ reply_to_id: number | null }>("SELECT reply_to_id FROM messages WHERE message = 'Petro has it'");
  assert.deepEqual(rows, [{ reply_to_id: tentId }], "stored once, as a reply");
  assert.equal(await page.locator("#messages .chat-msg.failed, #messages .chat-msg.pending").count(), 0);
  assert.deepEqual(errors.filter((e) => !/429/.test(e)), [], "no console errors");
});
