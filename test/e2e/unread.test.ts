// Never miss a message (#18), in real Chromium: two people; the reader's tab title and the phone-width badge beside
// the collapsed menu count messages live; muting a chat on its page leaves its messages out of the count (the
// marker: a message in another chat is counted, the muted one before it is not); screenshots at 375 and 1280 px.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { chatOfTwo, logIn as logInAs, useAppAndBrowser, newPage, screenshot } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

const PASSWORD = "correct horse battery";

const logIn = (page: Page, username: string) => logInAs(page, app, username, PASSWORD);
const chatWith = (a: number, b: number, name: string | null) => chatOfTwo(app, a, b, name);

it("counts unread messages in the title and beside the phone menu, and a muted chat stays quiet", { timeout: 120_000 }, async () => {
  const ola = await app.auth.signup({ username: "ola", email: "ola@example.test", password: PASSWORD });
  const max = await app.auth.signup({ username: "max", email: "max@example.test", password: PASSWORD });
  const direct = await chatWith(ola.id, max.id, null);
  const club = await chatWith(ola.id, max.id, "Choir");

  const sender = await newPage(browser, app.url);
  const reader = await newPage(browser, app.url);
  await reader.page.setViewportSize({ width: 375, height: 740 });
  await logIn(sender.page, "ola");
  await logIn(reader.page, "max");
  await reader.page.goto("/gallery");
  const phoneBadge = reader.page.locator(".nav-unread-phone [data-unread-badge]");
  assert.equal(await phoneBadge.isVisible(), false, "no count while nothing is unread");

  const send = async (chatId: number, text: string) => {
    await sender.page.goto(`/chats/${chatId}`);
    await sender.page.locator("#f-text").fill(text);
    await sender.page.keyboard.press("Enter");
    await sender.page.locator("#messages .chat-text", { hasText: text }).waitFor();
  };
  await send(direct, "Rehearsal moved to 7");
  await send(direct, "Bring the new sheets");
  await reader.page.waitForFunction(() => document.title.startsWith("(2) "));
  assert.equal(await reader.page.title(), "(2) Your gallery · Hromada");
  assert.ok(await phoneBadge.isVisible(), "the count is outside the collapsed menu on a phone");
  assert.equal((await phoneBadge.innerText()).trim().split(/\s/)[0], "2");
  assert.equal(await reader.page.locator("#nav-unread").isVisible(), false, "the menu's own badge is collapsed away");
  await screenshot(reader.page, "unread-375-gallery");

  // Max mutes the direct chat from its page (no JavaScript needed for the form).
  await reader.page.goto(`/chats/${direct}`);
  await reader.page.locator("#chat-mute").click();
  await reader.page.getByLabel("8 hours").check();
  await screenshot(reader.page, "unread-375-mute");
  await reader.page.getByRole("button", { name: "Mute", exact: true }).click();
  await reader.page.waitForURL(`${app.url}/chats/${direct}`);
  assert.equal((await app.sql<{ m: boolean }>("SELECT muted_until > now() + interval '7 hours' AS m FROM chat_members WHERE chat_id = $1 AND user_id = $2", [direct, max.id]))[0].m, true);

  await reader.page.goto("/chats");
  assert.doesNotMatch(await reader.page.title(), /^\(/, "read and muted: nothing counted");
  // A message in the muted chat, then one in the group: only the group's is counted when it arrives.
  await send(direct, "Also: new shoes");
  await send(club, "Who has the key?");
  await reader.page.waitForFunction(() => document.title.startsWith("("));
  assert.equal(await reader.page.title(), "(1) Chats · Hromada");
  const mutedRow = reader.page.locator(`[data-chat-row="${direct}"] .chat-row-unread`);
  assert.equal((await mutedRow.innerText()).trim().split(/\s/)[0], "1", "the muted chat's own count is still shown");
  assert.match(String(await mutedRow.getAttribute("class")), /text-bg-secondary/, "muted colours");
  await screenshot(reader.page, "unread-375-chats");

  await reader.page.setViewportSize({ width: 1280, height: 900 });
  assert.ok(await reader.page.locator("#nav-unread").isVisible());
  assert.equal(await phoneBadge.isVisible(), false, "one badge at desktop width");
  await screenshot(reader.page, "unread-1280-chats");
  await reader.page.goto("/profile");
  assert.ok(await reader.page.getByRole("button", { name: "Turn on notifications" }).first().isVisible());
  await screenshot(reader.page, "unread-1280-profile");

  assert.deepEqual(sender.errors, []);
  assert.deepEqual(reader.errors, []);
});
