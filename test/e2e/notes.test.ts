// A person keeps notes through the pages in real Chromium: add, edit, search and delete, with JavaScript
// on (the delete confirm()) and off (the confirmation page).
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { useAppAndBrowser, newPage, screenshot } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

async function signUp(page: Page, username: string) {
  await page.goto("/signup");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Email").fill(`${username}@example.test`);
  await page.getByLabel("Password", { exact: true }).fill("a good long password");
  await page.getByLabel("Repeat password").fill("a good long password");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(`${app.url}/`);
  await page.getByRole("heading", { name: "Your notes" }).waitFor();
}

const bodies = (page: Page) => page.locator(".note-body").allInnerTexts();

it("adds, edits, searches and deletes notes through the pages", { timeout: 90_000 }, async () => {
  const { page, context, errors } = await newPage(browser, app.url);
  await signUp(page, "mykola");
  assert.equal(page.url(), `${app.url}/`);
  await page.getByText("No notes yet").waitFor();

  // Spaces only: refused, with the message next to the field and the list still there.
  await page.getByLabel("Your note", { exact: true }).fill("   ");
  await page.getByRole("button", { name: "Add note" }).click();
  await page.getByText("Write something first: a note cannot be empty or only spaces.").waitFor();
  assert.equal(await page.getByLabel("Your note", { exact: true }).getAttribute("aria-invalid"), "true");
  await screenshot(page, "notes-add-error");

  // Typed and sent from the keyboard alone.
  await page.getByLabel("Your note", { exact: true }).fill("Groceries:\n- milk\n- <b>bread</b>");
  await page.getByLabel("Your note", { exact: true }).press("Tab");
  await page.keyboard.press("Enter");
  await page.getByText("Note added.").waitFor();
  await page.getByLabel("Your note", { exact: true }).fill("Call the plumber about the pipe");
  await page.getByRole("button", { name: "Add note" }).click();
  await page.getByText("Note added.").waitFor();
  assert.deepEqual(await bodies(page), ["Call the plumber about the pipe", "Groceries:\n- milk\n- <b>bread</b>"]);
  assert.equal(await page.locator(".note-body b").count(), 0, "HTML in a note is shown as text");

  // Edit the older note from its card.
  await page.locator(".note-card", { hasText: "Groceries" }).getByRole("link", { name: /^Edit/ }).click();
  await page.waitForURL(/\/notes\/\d+\/edit$/);
  assert.equal(await page.getByLabel("Note", { exact: true }).inputValue(), "Groceries:\n- milk\n- <b>bread</b>");
  await screenshot(page, "notes-edit");
  await page.getByLabel("Note", { exact: true }).fill("Groceries:\n- milk\n- bread\n- OK tomatoes");
  await page.getByRole("button", { name: "Save note" }).click();
  await page.getByText("Note saved.").waitFor();
  const edited = page.locator(".note-card", { hasText: "Groceries" });
  assert.match(await edited.innerText(), /edited/);

  // Search: a whole word through the index, then a short word as a substring.
  await page.getByLabel("Search your notes").fill("MILK");
  await page.getByLabel("Search your notes").press("Enter");
  await page.waitForURL(/\/notes\/search\?q=MILK$/);
  await page.getByText("1 note matches").waitFor();
  assert.deepEqual(await page.locator(".note-body mark").allInnerTexts(), ["milk"]);
  await screenshot(page, "notes-search");
  await page.getByLabel("Search your notes").fill("ok");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("1 note matches").waitFor();
  assert.deepEqual(await page.locator(".note-body mark").allInnerTexts(), ["OK"]);

  // Delete with JavaScript: cancelling the confirm() keeps the note, accepting deletes it.
  await page.goto("/");
  const dialogs: string[] = [];
  page.once("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const plumber = page.locator(".note-card", { hasText: "plumber" });
  await plumber.getByRole("link", { name: /^Delete/ }).click();
  assert.equal(page.url(), `${app.url}/`, "dismissed: still on the list");
  assert.equal(await plumber.count(), 1);
  page.once("dialog", (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  await plumber.getByRole("link", { name: /^Delete/ }).click();
  await page.getByText("Note deleted.").waitFor();
  assert.deepEqual(dialogs, ["Delete this note? This cannot be undone.", "Delete this note? This cannot be undone."]);
  assert.deepEqual(await bodies(page), ["Groceries:\n- milk\n- bread\n- OK tomatoes"]);

  // Enough notes for two pages, to look at the list and its pagination at two widths.
  const [{ id: userId }] = await app.sql<{ id: number }>("SELECT id FROM users WHERE username = 'mykola'");
  await app.sql(
    `INSERT INTO notes (data, user_id) SELECT 'Note ' || i || E' about the week\\nsecond line', $1 FROM generate_series(1, 21) AS i`,
    [userId],
  );
  await page.goto("/");
  assert.equal(await page.locator(".note-card").count(), 20);
  await page.getByRole("navigation", { name: "Pages of notes" }).waitFor();
  await screenshot(page, "notes-home-1280");
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto("/");
  await screenshot(page, "notes-home-375");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 375px (${overflow}px too wide)`);
  await page.getByRole("navigation", { name: "Pages of notes" }).getByRole("link", { name: "Next" }).click();
  await page.waitForURL(/\?page=2$/);
  assert.deepEqual(await bodies(page), ["Note 1 about the week\nsecond line", "Groceries:\n- milk\n- bread\n- OK tomatoes"]);
  await page.setViewportSize({ width: 1280, height: 900 });

  // Delete through the confirmation page (the edit page's link goes there, as every link does without JS).
  await page.locator(".note-card", { hasText: "Groceries" }).getByRole("link", { name: /^Edit/ }).click();
  await page.getByRole("link", { name: "Delete…" }).click();
  await page.waitForURL(/\/notes\/\d+\/delete$/);
  await page.getByRole("heading", { name: "Delete this note?" }).waitFor();
  await screenshot(page, "notes-delete-confirm");
  await page.getByRole("button", { name: "Delete note" }).click();
  await page.getByText("Note deleted.").waitFor();

  const rows = await app.sql<{ data: string }>("SELECT data FROM notes WHERE user_id = $1 ORDER BY id", [userId]);
  assert.equal(rows.length, 21);
  assert.ok(rows.every((r) => /^Note \d+ about the week\nsecond line$/.test(r.data)), "only the inserted notes are left");
  assert.deepEqual(errors, [], "no console errors or CSP violations");
  await context.close();
});

it("works with JavaScript turned off", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ baseURL: app.url, javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signUp(page, "oksana");
  await page.getByLabel("Your note", { exact: true }).fill("Plan the trip to Lviv");
  await page.getByRole("button", { name: "Add note" }).click();
  await page.getByText("Note added.").waitFor();

  await page.getByRole("link", { name: /^Edit/ }).click();
  await page.getByLabel("Note", { exact: true }).fill("Plan the trip to Lviv and Kyiv");
  await page.getByRole("button", { name: "Save note" }).click();
  await page.getByText("Note saved.").waitFor();

  await page.getByLabel("Search your notes").fill("kyiv");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("1 note matches").waitFor();
  assert.deepEqual(await page.locator(".note-body mark").allInnerTexts(), ["Kyiv"]);

  // Without JavaScript the list's Delete link opens the confirmation page.
  await page.getByRole("link", { name: /^Delete/ }).click();
  await page.waitForURL(/\/notes\/\d+\/delete$/);
  await page.getByRole("button", { name: "Delete note" }).click();
  await page.getByText("Note deleted.").waitFor();
  await page.getByText("No notes yet").waitFor();

  const rows = await app.sql("SELECT n.id FROM notes n JOIN users u ON u.id = n.user_id WHERE u.username = 'oksana'");
  assert.equal(rows.length, 0);
  await context.close();
});
