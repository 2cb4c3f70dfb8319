// Keyboard only, in real Chromium: a person logs in, writes a note, opens a chat, sends a message, makes a group
// picking its member from the suggestions, and leaves it through the dialog, with nothing but Tab, Shift+Tab,
// Enter, Space, Escape and the arrows (and typing the words themselves). At every stop the focus must be visible
// (an outline or a box-shadow on :focus-visible), and the first stop of every page is the skip link to its content.
// Each step is checked in the database. Then: at most one primary button per card on the main pages.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials } from "../helpers/agent";
import { useAppAndBrowser, screenshot, logIn } from "../helpers/browser";
import { openDirect, postMessage } from "../chat/helpers";
import { focused, skipToContent, tabTo } from "../helpers/keyboard";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

const sql = <T>(q: string, p: unknown[]) => app.sql<T>(q, p);

it("logs in, writes a note, sends a message, makes a group with the picker and leaves it, by keyboard alone", { timeout: 180_000 }, async () => {
  const creds = newCredentials("keys");
  const me = await loggedInAgent(app, creds);
  const friend = await loggedInAgent(app, { username: "olesia_keys", email: "olesia_keys@example.test", password: "correct horse battery" });
  const direct = await openDirect(friend.agent, me.userId);
  await postMessage(friend.agent, direct, "Are you there?");
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    // Log in.
    await page.goto("/login");
    // The login page starts in its first field (autofocus): Shift+Tab still reaches the skip link above it.
    assert.equal((await focused(page)).name, "Username or email");
    await tabTo(page, /^Skip to content$/, "Shift+Tab");
    await page.keyboard.press("Enter");
    assert.equal((await focused(page)).id, "main");
    await tabTo(page, /^Username or email$/);
    await page.keyboard.type(creds.username);
    await tabTo(page, /^Password$/);
    await page.keyboard.type(creds.password);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/`);

    // A note: the compose box, then its button.
    await skipToContent(page);
    await tabTo(page, /^Your note/);
    await page.keyboard.type("Written without a mouse");
    await tabTo(page, /^Add note$/);
    await page.keyboard.press("Enter");
    await page.getByText("Written without a mouse").first().waitFor();
    assert.equal((await sql("SELECT 1 FROM notes WHERE user_id = $1 AND data = 'Written without a mouse'", [me.userId])).length, 1);

    // The chat: Shift+Tab back up to the navbar's Chats, then the chat's row, then the message box.
    await skipToContent(page);
    await tabTo(page, /^Chats/, "Shift+Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/chats`);
    await tabTo(page, /olesia_keys/);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/chats/${direct}`);
    await tabTo(page, /^Message$/);
    await page.keyboard.type("Yes, typing with the keyboard");
    await page.keyboard.press("Enter");
    await page.locator(".chat-msg.mine", { hasText: "Yes, typing with the keyboard" }).waitFor();
    assert.equal((await sql("SELECT 1 FROM messages WHERE chat_id = $1 AND user_id = $2 AND message = 'Yes, typing with the keyboard'", [direct, me.userId])).length, 1);
    await screenshot(page, "keyboard-chat");

    // A new group: its name, its member picked from the suggestions with the arrows, then Create.
    await tabTo(page, /^New group$/, "Shift+Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/chats/new`);
    await skipToContent(page);
    await tabTo(page, /^Group name$/);
    await page.keyboard.type("Keyboard club");
    await tabTo(page, /^Members$/);
    await page.keyboard.type("oles");
    await page.getByRole("option", { name: "olesia_keys" }).waitFor();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Remove olesia_keys" }).waitFor();
    await screenshot(page, "keyboard-new-group");
    await tabTo(page, /^Create group$/);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/chats\/\d+$/);
    const group = Number(/(\d+)$/.exec(page.url())![1]);
    const members = async () => (await sql<{ user_id: number }>("SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY user_id", [group])).map((r) => r.user_id);
    assert.deepEqual(await members(), [me.userId, friend.userId].sort((a, b) => a - b));

    // Leave it: Group settings, Leave group, the dialog (Escape closes it first, focus back), then confirm.
    await page.keyboard.press("Escape"); // the "created" toast
    await tabTo(page, /^Group settings$/);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/chats/${group}/settings`);
    await tabTo(page, /^Leave group$/);
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Leave “Keyboard club”?" });
    await dialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.hasAttribute("data-dialog-cancel"));
    assert.ok((await focused(page)).visible, "focus is visible on the dialog's Cancel");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-confirm-dialog") === "leave-dialog");
    assert.deepEqual(await members(), [me.userId, friend.userId].sort((a, b) => a - b), "Escape left nothing");
    await page.keyboard.press("Space");
    await dialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.hasAttribute("data-dialog-cancel"));
    await screenshot(page, "keyboard-leave-dialog");
    await tabTo(page, /^Leave group$/, "Shift+Tab", 3);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/chats`);
    assert.deepEqual(await members(), [friend.userId]);
    assert.deepEqual(errors, []);
  } catch (err) {
    await screenshot(page, "keyboard-failure").catch(() => {});
    throw new Error(`${(err as Error).message}\n(at ${page.url()}; screenshot test-results/keyboard-failure.png)`, { cause: err });
  } finally {
    await context.close();
  }
});

it("the main pages have at most one primary button per card or section", { timeout: 90_000 }, async () => {
  const creds = newCredentials("primary");
  const me = await loggedInAgent(app, creds);
  const friend = await loggedInAgent(app, newCredentials("primaryf"));
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await logIn(page, app, creds.username, creds.password);
  const crowded = () =>
    page.evaluate(() =>
      [...document.querySelectorAll(".card, section, aside, .modal-content")]
        .map((box) => ({ box, primaries: [...box.querySelectorAll(".btn-primary")].filter((b) => b.closest(".card, section, aside, .modal-content") === box && b.checkVisibility()) }))
        .filter((c) => c.primaries.length > 1)
        .map((c) => `${c.box.tagName}.${c.box.className}: ${c.primaries.map((b) => b.textContent!.trim()).join(", ")}`));
  const check = async (url: string) => {
    await page.goto(url);
    assert.deepEqual(await crowded(), [], `${url}: more than one primary button in one card`);
  };
  await check("/chats"); // no chats yet: the empty list's "Find people" is the one
  await check("/");
  await check("/gallery");
  await check("/profile");
  const direct = await openDirect(me.agent, friend.userId);
  await postMessage(me.agent, direct, "hello");
  await check("/chats");
  await check(`/chats/${direct}`);
  await check(`/chats/${direct}?before=${Number.MAX_SAFE_INTEGER % 2147483647}`);
  await check("/chats/new");
  const [{ id: group }] = await sql<{ id: number }>(
    "INSERT INTO chats (is_group, chat_name, creator_id, last_message_at) VALUES (true, 'Cards', $1, now()) RETURNING id",
    [me.userId],
  );
  await sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [group, me.userId, friend.userId]);
  await check(`/chats/${group}/settings`);
  await context.close();
});
