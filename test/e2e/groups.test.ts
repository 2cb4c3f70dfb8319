// Group settings in real Chromium: "Remove" and "Leave group" ask in a dialog (focus inside it, on Cancel first;
// Escape closes it and focus returns to the button that opened it); the last member is told the group will be
// deleted. Screenshots of the dialogs at 1280 and 375, light and dark, checked by axe with the dialog open.
import assert from "node:assert/strict";
import { it } from "node:test";
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials, type Credentials } from "../helpers/agent";
import { useAppAndBrowser, screenshot } from "../helpers/browser";
import { createGroup } from "../chat/helpers";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

async function login(page: Page, creds: Credentials) {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(creds.username);
  await page.getByLabel("Password").fill(creds.password);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);
}

async function seriousAxe(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}

const focusedText = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.textContent?.trim() ?? "");
const members = async (chatId: number) => (await app.sql<{ user_id: number }>("SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY user_id", [chatId])).map((r) => r.user_id);

for (const scheme of ["light", "dark"] as const) {
  it(`remove and leave ask in a dialog (${scheme}); the last member is warned; nothing happens until confirmed`, { timeout: 120_000 }, async () => {
    const owner = await loggedInAgent(app, newCredentials(`own${scheme[0]}`));
    const friend = await loggedInAgent(app, newCredentials(`fr${scheme[0]}`));
    const other = await loggedInAgent(app, newCredentials(`ot${scheme[0]}`));
    const id = await createGroup(owner.agent, `Book club ${scheme}`, [friend.creds.username, other.creds.username]);
    const context = await browser.newContext({ baseURL: app.url, colorScheme: scheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const found: string[] = [];
    await login(page, owner.creds);
    await page.goto(`/chats/${id}/settings`);

    // Remove: the dialog names the person; Escape closes it, focus back on the button, nobody removed.
    const removeFriend = page.getByRole("button", { name: `Remove ${friend.creds.username}` });
    await removeFriend.click();
    const dialog = page.getByRole("dialog", { name: "Remove from the group" });
    await dialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.hasAttribute("data-dialog-cancel"));
    assert.match(await dialog.innerText(), new RegExp(`Remove ${friend.creds.username} from the group\\?`));
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
      found.push(...(await seriousAxe(page)).map((v) => `remove dialog ${width}: ${v}`));
      await screenshot(page, `groups-remove-dialog-${scheme}-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    // Focus stays in the dialog: Tab from its last control comes round to its first, Shift+Tab back again.
    for (const key of ["Tab", "Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]) {
      await page.keyboard.press(key);
      assert.ok(await page.evaluate(() => !!document.activeElement?.closest("#remove-dialog")), `focus stays inside the dialog (${key})`);
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-confirm-dialog") === "remove-dialog");
    assert.match(await focusedText(page), new RegExp(`Remove\\s+${friend.creds.username}`));
    assert.deepEqual(await members(id), [owner.userId, friend.userId, other.userId].sort((a, b) => a - b), "Escape removed no one");

    // The other member's Remove: the same dialog now names them, and its button removes exactly them.
    await page.getByRole("button", { name: `Remove ${other.creds.username}` }).click();
    await dialog.waitFor();
    assert.match(await dialog.innerText(), new RegExp(`Remove ${other.creds.username} from the group\\?`));
    await dialog.getByRole("button", { name: "Remove" }).click();
    await page.getByText(`Removed ${other.creds.username} from the group.`).waitFor();
    assert.deepEqual(await members(id), [owner.userId, friend.userId].sort((a, b) => a - b));

    // Leave, as the owner with a member left: who takes over; Cancel keeps everything.
    await page.getByRole("button", { name: "Leave group" }).click();
    const leave = page.getByRole("dialog", { name: `Leave “Book club ${scheme}”?` });
    await leave.waitFor();
    assert.match(await leave.innerText(), /The longest-standing member becomes the group's admin\./);
    await leave.getByRole("button", { name: "Cancel" }).click();
    await leave.waitFor({ state: "hidden" });
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-confirm-dialog") === "leave-dialog");
    assert.equal(await focusedText(page), "Leave group");

    // The friend leaves from the other side; now the owner is the last one and is warned.
    const friendLeaves = await friend.agent.get(`/chats/${id}/leave`);
    const token = /name="_csrf" value="([^"]+)"/.exec(friendLeaves.text)![1];
    assert.equal((await friend.agent.post(`/chats/${id}/leave`).type("form").send({ _csrf: token })).status, 303);
    await page.reload();
    await page.getByRole("button", { name: "Leave group" }).click();
    await leave.waitFor();
    // Once it has faded in (focus lands on Cancel then): mid-fade colours are not the dialog's.
    await page.waitForFunction(() => document.activeElement?.closest("#leave-dialog") && document.activeElement.hasAttribute("data-dialog-cancel"));
    assert.match(await leave.getByRole("alert").innerText(), /You are the last member\. If you leave, the group and all its messages are deleted for good/);
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
      found.push(...(await seriousAxe(page)).map((v) => `leave dialog ${width}: ${v}`));
      await screenshot(page, `groups-leave-last-dialog-${scheme}-${width}`);
    }
    await leave.getByRole("button", { name: "Leave and delete the group" }).click();
    await page.waitForURL(`${app.url}/chats`);
    await page.getByText(`You left “Book club ${scheme}”, its last member: the group is deleted.`).waitFor();
    assert.equal((await app.sql("SELECT 1 FROM chats WHERE id = $1", [id])).length, 0, "the group is gone");
    assert.deepEqual(found, [], found.join("\n"));
    assert.deepEqual(errors, []);
    await context.close();
  });
}

it("without JavaScript, Remove and Leave open a page that asks, with the same forms", { timeout: 60_000 }, async () => {
  const owner = await loggedInAgent(app, newCredentials("nojs"));
  const friend = await loggedInAgent(app, newCredentials("nojsf"));
  const id = await createGroup(owner.agent, "Quiet room", [friend.creds.username]);
  const context = await browser.newContext({ baseURL: app.url, javaScriptEnabled: false, viewport: { width: 375, height: 812 } });
  const page = await context.newPage();
  await login(page, owner.creds);
  await page.goto(`/chats/${id}/settings`);
  await page.getByRole("link", { name: `Remove ${friend.creds.username}` }).click();
  await page.waitForURL(`${app.url}/chats/${id}/members/${friend.userId}/remove`);
  await screenshot(page, "groups-remove-page-375");
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.waitForURL(`${app.url}/chats/${id}/settings`);
  assert.equal((await members(id)).length, 2);
  await page.getByRole("link", { name: `Remove ${friend.creds.username}` }).click();
  await page.getByRole("button", { name: "Remove" }).click();
  await page.getByText(`Removed ${friend.creds.username} from the group.`).waitFor();
  await page.getByRole("link", { name: "Leave group" }).click();
  await page.waitForURL(`${app.url}/chats/${id}/leave`);
  assert.match(await page.getByRole("alert").innerText(), /You are the last member/);
  await screenshot(page, "groups-leave-page-375");
  await page.getByRole("button", { name: "Leave and delete the group" }).click();
  await page.waitForURL(`${app.url}/chats`);
  assert.equal((await app.sql("SELECT 1 FROM chats WHERE id = $1", [id])).length, 0);
  await context.close();
});

for (const scheme of ["light", "dark"] as const) {
  it(`a new group's members are picked from suggestions with the keyboard, and added the same way in settings (${scheme})`, { timeout: 120_000 }, async () => {
    const me = await loggedInAgent(app, newCredentials(`pk${scheme[0]}`));
    const [olha, oleh, taras] = await Promise.all(
      [`olha_${scheme}`, `oleh_${scheme}`, `taras_${scheme}`].map((username) =>
        loggedInAgent(app, { username, email: `${username}@example.test`, password: "correct horse battery" })),
    );
    const context = await browser.newContext({ baseURL: app.url, colorScheme: scheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const found: string[] = [];
    await login(page, me.creds);
    await page.goto("/chats/new");
    await page.getByLabel("Group name").fill(`Picked ${scheme}`);
    const box = page.getByRole("combobox", { name: "Members" });
    await box.focus();
    await page.keyboard.type(`ol`);
    const list = page.getByRole("listbox", { name: "Suggestions" });
    // Each option: the picture (initials hidden from screen readers) and the name.
    const optionNames = () => list.locator("[role=option] > span:last-child").allInnerTexts();
    await list.waitFor();
    assert.equal(await box.getAttribute("aria-expanded"), "true");
    assert.deepEqual(
      (await optionNames()).filter((n) => n.endsWith(scheme)).sort(),
      [oleh.creds.username, olha.creds.username].sort(),
    );
    await page.getByRole("status").filter({ hasText: /people found/ }).waitFor({ state: "attached" });
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
      found.push(...(await seriousAxe(page)).map((v) => `picker ${width}: ${v}`));
      await screenshot(page, `groups-picker-${scheme}-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    // The arrows walk the list (aria-activedescendant follows), Enter chooses.
    await page.keyboard.type(`ha_${scheme}`);
    await page.waitForFunction((n) => [...document.querySelectorAll("[role=option]")].map((o) => o.lastChild?.textContent).join() === n, olha.creds.username);
    await page.keyboard.press("ArrowDown");
    const activeId = await box.getAttribute("aria-activedescendant");
    assert.ok(activeId);
    assert.equal(await page.locator(`#${activeId}`).getAttribute("aria-selected"), "true");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: `Remove ${olha.creds.username}` }).waitFor();
    assert.equal(await box.inputValue(), "");
    assert.equal(await box.getAttribute("aria-expanded"), "false");
    // Escape closes the list without choosing.
    await page.keyboard.type("tar");
    await list.waitFor();
    await page.keyboard.press("Escape");
    await list.waitFor({ state: "hidden" });
    assert.equal(await box.inputValue(), "tar");
    // A chosen person is no longer suggested; a second one chosen, then removed with their button (focus kept).
    await page.keyboard.press("ArrowDown");
    await list.waitFor();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    const tarasChip = page.getByRole("button", { name: `Remove ${taras.creds.username}` });
    await tarasChip.waitFor();
    await tarasChip.focus();
    await page.keyboard.press("Enter");
    await tarasChip.waitFor({ state: "detached" });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), `Remove ${olha.creds.username}`, "focus moves to the chip before");
    await box.focus();
    await page.keyboard.type("ol");
    await list.waitFor();
    assert.ok(!(await optionNames()).includes(olha.creds.username), "the chosen one is not offered again");
    await page.keyboard.press("Escape");
    await box.fill("");
    await page.getByRole("button", { name: "Create group" }).click();
    await page.waitForURL(/\/chats\/\d+$/);
    const chatId = Number(/\/chats\/(\d+)$/.exec(page.url())![1]);
    assert.deepEqual(await members(chatId), [me.userId, olha.userId].sort((a, b) => a - b));

    // Settings: members already in are not suggested; a typed-out name becomes a chip too.
    await page.goto(`/chats/${chatId}/settings`);
    const add = page.getByRole("combobox", { name: "Add people" });
    await add.focus();
    await page.keyboard.type(`ol`);
    await list.waitFor();
    const offered = await optionNames();
    assert.ok(offered.includes(oleh.creds.username) && !offered.includes(olha.creds.username), `members are not offered: ${offered}`);
    await page.keyboard.press("Escape");
    await add.fill(taras.creds.username);
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: `Remove ${taras.creds.username}` }).waitFor();
    await screenshot(page, `groups-settings-picker-${scheme}`);
    await page.keyboard.press("Enter"); // the box is empty now: Enter sends the form
    await page.getByText(`Added ${taras.creds.username}.`).waitFor();
    assert.deepEqual(await members(chatId), [me.userId, olha.userId, taras.userId].sort((a, b) => a - b));
    assert.deepEqual(found, [], found.join("\n"));
    assert.deepEqual(errors, []);
    await context.close();
  });
}
