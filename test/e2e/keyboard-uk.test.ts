// The member picker and the Remove/Leave dialogs of a group's settings in Ukrainian, by keyboard alone, in real
// Chromium: a browser that asks for Ukrainian (Accept-Language uk), a person types part of a name, walks the
// suggestions with the arrows and picks with Enter, adds them, opens the remove and leave dialogs (Escape closes
// them, the focus comes back) and confirms. Every text on screen, every name given to assistive technology
// (aria-label, the listbox's and chips' names, the live announcements, title, alt) is Ukrainian: no English word of the
// interface anywhere. Screenshots at 1280 and 375 wide; each result checked in the database.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { useAppAndBrowser, screenshot, chatOfTwo, seriousViolations, E2E_PASSWORD } from "../helpers/browser";
import { focused, tabTo } from "../helpers/keyboard";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

// Words of the English interface that must not show up in the Ukrainian one (people's names aside).
const ENGLISH = /\b(?:the|and|you|your|group|groups|remove|removed|leave|cancel|close|add|added|members?|people|person|found|suggestions|chosen|choose|arrows?|settings|delete|no one|admin|chat|chats|send|search|name)\b/gi;

/** The interface's words on the page or in `scope`, what a screen reader is told included, user content left out. */
function interfaceText(page: Page, scope = "body"): Promise<string> {
  return page.evaluate((selector) => {
    const root = document.querySelector(selector)!;
    const parts: string[] = [];
    const clone = root.cloneNode(true) as HTMLElement;
    clone.querySelectorAll("[data-user-content], [translate=no], script, template").forEach((e) => e.remove());
    parts.push(clone.textContent ?? "");
    for (const el of [clone, ...clone.querySelectorAll("*")]) {
      for (const name of ["aria-label", "title", "alt", "placeholder"]) {
        const value = el.getAttribute(name);
        if (value) parts.push(value);
      }
    }
    // Names made of other elements' text (aria-labelledby/-describedby) are read from the live page.
    return parts.join(" \n ");
  }, scope);
}

async function assertUkrainian(page: Page, where: string, scope = "body") {
  const text = await interfaceText(page, scope);
  const english = text.match(ENGLISH);
  assert.equal(english, null, `English words in ${where}: ${english?.join(", ")}`);
  assert.match(text, /[а-яіїєґ]/i, `${where} has Ukrainian text`);
}

/** What the polite live regions hold now (the picker's status). */
const announced = (page: Page) => page.locator("[data-people-picker] [role=status]").textContent();

async function bothWidths(page: Page, name: string) {
  await screenshot(page, name);
  await page.setViewportSize({ width: 375, height: 812 });
  await screenshot(page, `${name}-narrow`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

it("picks a member and removes and leaves through the dialogs in Ukrainian, by keyboard alone", { timeout: 180_000 }, async () => {
  const signup = async (username: string) =>
    (await app.auth.signup({ username, email: `${encodeURIComponent(username).replace(/%/g, "")}@example.test`, password: E2E_PASSWORD }, { verified: true })).id;
  const me = await signup("ганна");
  const olesia = await signup("олеся");
  const taras = await signup("тарас_коваль");
  const group = await chatOfTwo(app, me, olesia, "Книжковий клуб");
  const members = async () => (await app.sql<{ user_id: number }>("SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY user_id", [group])).map((r) => r.user_id);

  const context = await browser.newContext({ baseURL: app.url, locale: "uk-UA", timezoneId: "Europe/Kiev", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    // Logging in by keyboard: the login page starts in its first field.
    await page.goto("/login");
    assert.equal(await page.locator("html").getAttribute("lang"), "uk");
    assert.equal((await focused(page)).name, "Ім’я користувача або пошта");
    await page.keyboard.type("ганна");
    await tabTo(page, /^Пароль$/);
    await page.keyboard.type(E2E_PASSWORD);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/`);

    await page.goto(`/chats/${group}/settings`);
    await assertUkrainian(page, "the settings page");

    // The picker: type part of a name, the suggestions are announced, the arrows walk them, Enter picks.
    const box = await tabTo(page, /^Додати людей$/);
    assert.equal(box.id, "f-members");
    assert.equal(await page.locator("#f-members").getAttribute("role"), "combobox");
    await page.keyboard.type("тар");
    const option = page.getByRole("option", { name: "тарас_коваль" });
    await option.waitFor();
    assert.equal(await page.getByRole("listbox").getAttribute("aria-label"), "Підказки");
    await page.waitForFunction(() => /Знайдено/.test(document.querySelector("[data-people-picker] [role=status]")?.textContent ?? ""));
    assert.equal(await announced(page), "Знайдено 1 людину. Виберіть стрілками вгору й униз.");
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.locator("#f-members").getAttribute("aria-activedescendant"), await option.getAttribute("id"));
    assert.equal(await option.getAttribute("aria-selected"), "true");
    await bothWidths(page, "uk-picker-suggestions");
    await page.keyboard.press("Enter");
    const chip = page.getByRole("button", { name: "Прибрати тарас_коваль" });
    await chip.waitFor();
    await page.waitForFunction(() => document.querySelector("[data-people-picker] [role=status]")?.textContent === "Додано: тарас_коваль");
    assert.equal((await focused(page)).id, "f-members", "the focus is back in the box after a pick");
    assert.equal(await page.locator("[data-people-picker] ul.people-chips").getAttribute("aria-label"), "Вибрані люди");
    // A name no one has: said so, in Ukrainian.
    await page.keyboard.type("ніхто");
    await page.waitForFunction(() => document.querySelector("[data-people-picker] [role=status]")?.textContent === "Нікого з таким ім’ям не знайдено.");
    for (let i = 0; i < 5; i++) await page.keyboard.press("Backspace");
    await assertUkrainian(page, "the picker", "[data-people-picker]");
    await bothWidths(page, "uk-picker-chosen");
    await tabTo(page, /^Додати$/, "Tab", 2);
    await page.keyboard.press("Enter");
    await page.getByRole("link", { name: "тарас_коваль", exact: true }).waitFor();
    assert.deepEqual(await members(), [me, olesia, taras].sort((a, b) => a - b));
    await assertUkrainian(page, "the settings page after adding");

    // Remove: the dialog, its texts, Escape closes it and the focus comes back; then confirmed.
    await page.goto(`/chats/${group}/settings`);
    const removeLink = await tabTo(page, /^Видалити тарас_коваль$/);
    assert.equal(removeLink.tag, "A");
    await page.keyboard.press("Space");
    const removeDialog = page.getByRole("dialog", { name: "Видалення з групи" });
    await removeDialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.hasAttribute("data-dialog-cancel"));
    assert.equal((await focused(page)).name, "Скасувати");
    assert.equal(await page.locator("#remove-dialog-question").textContent(), "Видалити тарас_коваль з групи?");
    await assertUkrainian(page, "the remove dialog", "#remove-dialog");
    await bothWidths(page, "uk-remove-dialog");
    assert.deepEqual(await seriousViolations(page), [], "axe with the remove dialog open");
    await page.keyboard.press("Escape");
    await removeDialog.waitFor({ state: "hidden" });
    // Bootstrap gives the focus back once the backdrop has faded too.
    await page.waitForFunction((href) => document.activeElement?.getAttribute("href") === href, `/chats/${group}/members/${taras}/remove`);
    assert.equal((await focused(page)).name, "Видалити тарас_коваль", "the focus is back on the link that opened the dialog");
    assert.deepEqual(await members(), [me, olesia, taras].sort((a, b) => a - b), "Escape removed no one");
    await page.keyboard.press("Enter");
    await removeDialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.hasAttribute("data-dialog-cancel"));
    await tabTo(page, /^Видалити$/, "Shift+Tab", 2);
    await page.keyboard.press("Enter");
    await page.getByText("тарас_коваль більше не в групі.").waitFor();
    assert.deepEqual(await members(), [me, olesia].sort((a, b) => a - b));
    await assertUkrainian(page, "the settings page after removing");

    // Leave: the dialog, its texts, Escape, the focus back; then confirmed.
    const leaveLink = await tabTo(page, /^Вийти з групи$/);
    assert.equal(leaveLink.tag, "A");
    await page.keyboard.press("Enter");
    const leaveDialog = page.getByRole("dialog", { name: "Вийти з групи «Книжковий клуб»?" });
    await leaveDialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.hasAttribute("data-dialog-cancel"));
    await assertUkrainian(page, "the leave dialog", "#leave-dialog .modal-footer");
    await assertUkrainian(page, "the leave dialog", "#leave-dialog .modal-body");
    assert.equal(await page.locator("#leave-dialog").getAttribute("aria-describedby"), "leave-dialog-text");
    assert.equal(await page.locator("#leave-dialog-text").innerText(), "Адміністратором групи стане учасник, який перебуває в ній найдовше.");
    await bothWidths(page, "uk-leave-dialog");
    assert.deepEqual(await seriousViolations(page), [], "axe with the leave dialog open");
    await page.keyboard.press("Escape");
    await leaveDialog.waitFor({ state: "hidden" });
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-confirm-dialog") === "leave-dialog");
    assert.equal((await focused(page)).name, "Вийти з групи", "the focus is back on the link that opened the dialog");
    await page.keyboard.press("Space");
    await leaveDialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.hasAttribute("data-dialog-cancel"));
    await tabTo(page, /^Вийти з групи$/, "Shift+Tab", 2);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/chats`);
    assert.deepEqual(await members(), [olesia]);
    await assertUkrainian(page, "the chats page after leaving");
    assert.deepEqual(errors, []);
  } catch (err) {
    await screenshot(page, "uk-dialogs-failure").catch(() => {});
    throw new Error(`${(err as Error).message}\n(at ${page.url()}; screenshot test-results/uk-dialogs-failure.png)`, { cause: err });
  } finally {
    await context.close();
  }
});

it("the last member's leave dialog warns in Ukrainian that the group goes with them", { timeout: 90_000 }, async () => {
  const me = (await app.auth.signup({ username: "останній", email: "ostannii@example.test", password: E2E_PASSWORD }, { verified: true })).id;
  const other = (await app.auth.signup({ username: "мандрівник", email: "mandrivnyk@example.test", password: E2E_PASSWORD }, { verified: true })).id;
  const group = await chatOfTwo(app, me, other, "Порожня кімната");
  await app.sql("DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2", [group, other]);
  const context = await browser.newContext({ baseURL: app.url, locale: "uk-UA", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto("/login");
    await page.keyboard.type("останній");
    await tabTo(page, /^Пароль$/);
    await page.keyboard.type(E2E_PASSWORD);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/`);
    await page.goto(`/chats/${group}/settings`);
    // "Вийти" alone is the navbar's Log out: the group's button says what it leaves.
    assert.equal(await page.getByRole("button", { name: "Вийти", exact: true }).count(), 1);
    await tabTo(page, /^Вийти з групи$/);
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Вийти з групи «Порожня кімната»?" });
    await dialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.hasAttribute("data-dialog-cancel"));
    // The warning is the dialog's description: a screen reader reads it as the dialog opens.
    const description = await page.evaluate(() => {
      const ids = document.querySelector("#leave-dialog")!.getAttribute("aria-describedby")?.split(/\s+/) ?? [];
      return ids.map((id) => document.getElementById(id)?.textContent?.replace(/\s+/g, " ").trim() ?? "").join(" ");
    });
    assert.match(description, /^Ви — останній учасник\. Якщо ви вийдете, групу й усі її повідомлення буде видалено назавжди/);
    const warning = dialog.getByRole("alert");
    assert.match(await warning.innerText(), /^Ви — останній учасник\. Якщо ви вийдете, групу й усі її повідомлення буде видалено назавжди/);
    await assertUkrainian(page, "the last member's leave dialog", "#leave-dialog .modal-body");
    await assertUkrainian(page, "the last member's leave dialog", "#leave-dialog .modal-footer");
    await bothWidths(page, "uk-leave-last-dialog");
    await tabTo(page, /^Вийти й видалити групу$/, "Shift+Tab", 2);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/chats`);
    assert.equal((await app.sql("SELECT 1 FROM chats WHERE id = $1", [group])).length, 0, "the group is gone with its last member");
  } finally {
    await context.close();
  }
});
