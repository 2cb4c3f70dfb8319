// A browser that prefers Ukrainian, in Kyiv: sign-up (with a mistake), notes (add, edit, delete, plural
// counts, "how long ago") and a refused gallery upload, all in Ukrainian, in real Chromium. The chat's
// Ukrainian run is in chat.test.ts.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { useAppAndBrowser, screenshot } from "../helpers/browser";
import { assertMediaConsistent, imageRows, jpeg } from "../gallery/helpers";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

/** A Ukrainian browser in Kyiv: Accept-Language uk-UA, the zone the page reports at sign-up. */
async function ukrainianPage() {
  const context = await browser.newContext({
    baseURL: app.url, locale: "uk-UA", timezoneId: "Europe/Kiev", viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return { context, page, errors };
}

/** No English word of the interface on screen (user content aside). */
async function assertNoEnglish(page: Page) {
  const text = await page.evaluate(() => {
    const clone = document.body.cloneNode(true) as HTMLElement;
    clone.querySelectorAll("[data-user-content], [translate=no], script, template, .visually-hidden").forEach((e) => e.remove());
    return clone.innerText;
  });
  const english = text.match(/\b(?:the|and|your|note|notes|photo|photos|upload|delete|edit|save|sign|log|password|email|username|edited|ago|now|not|stored)\b/gi);
  assert.equal(english, null, `English words on ${page.url()}: ${english?.join(", ")}`);
}

const bodies = (page: Page) => page.locator(".note-body").allInnerTexts();

it("signs up, keeps notes and is refused an upload in Ukrainian", { timeout: 120_000 }, async () => {
  const { page, context, errors } = await ukrainianPage();

  // Sign-up, with a mistake first.
  await page.goto("/signup");
  assert.equal(await page.locator("html").getAttribute("lang"), "uk");
  assert.match(await page.title(), /Громада$/);
  await page.getByLabel("Ім’я користувача").fill("олена");
  await page.getByLabel("Електронна пошта").fill("olena@example.test");
  await page.getByLabel("Пароль", { exact: true }).fill("short");
  await page.getByLabel("Повторіть пароль").fill("short");
  await page.getByRole("button", { name: "Зареєструватися" }).click();
  await page.getByText("Пароль має містити щонайменше 8 символів.").waitFor();
  assert.equal(await page.getByLabel("Пароль", { exact: true }).getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Ім’я користувача").inputValue(), "олена");
  await assertNoEnglish(page);
  await screenshot(page, "uk-signup-error");
  await page.getByLabel("Пароль", { exact: true }).fill("довгий добрий пароль");
  await page.getByLabel("Повторіть пароль").fill("довгий добрий пароль");
  await page.getByRole("button", { name: "Зареєструватися" }).click();
  await page.getByText("Вітаємо в Громаді, олена!").waitFor();
  const [user] = await app.sql<{ id: number; time_zone: string | null }>("SELECT id, time_zone FROM users WHERE username = 'олена'");
  assert.equal(user.time_zone, "Europe/Kyiv", "the zone the browser reported is saved, under its current name");

  // Notes: add, edit (now "змінено зараз"), delete after a Ukrainian confirm().
  await page.getByText("Нотаток ще немає", { exact: true }).waitFor();
  await page.getByRole("link", { name: "Напишіть першу нотатку" }).waitFor();
  await page.getByLabel("Ваша нотатка", { exact: true }).fill("Купити хліб і молоко");
  await page.getByRole("button", { name: "Додати нотатку" }).click();
  await page.getByText("Нотатку додано.").waitFor();
  await page.getByText("1 нотатка", { exact: true }).waitFor();
  await page.getByLabel("Ваша нотатка", { exact: true }).fill("Зателефонувати сантехніку");
  await page.getByRole("button", { name: "Додати нотатку" }).click();
  await page.getByText("2 нотатки", { exact: true }).waitFor();
  await page.locator(".note-card", { hasText: "хліб" }).getByRole("link", { name: /^Редагувати/ }).click();
  await page.getByLabel("Нотатка", { exact: true }).fill("Купити хліб, молоко і яблука");
  await page.getByRole("button", { name: "Зберегти нотатку" }).click();
  await page.getByText("Нотатку збережено.").waitFor();
  const edited = page.locator(".note-card", { hasText: "яблука" });
  assert.match(await edited.locator(".card-footer").innerText(), /^зараз · змінено зараз/);
  const dialogs: string[] = [];
  page.once("dialog", (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  await page.locator(".note-card", { hasText: "сантехніку" }).getByRole("link", { name: /^Видалити/ }).click();
  await page.getByText("Нотатку видалено.").waitFor();
  assert.deepEqual(dialogs, ["Видалити цю нотатку? Це не можна скасувати."]);
  assert.deepEqual(await bodies(page), ["Купити хліб, молоко і яблука"]);
  assert.deepEqual((await app.sql<{ data: string }>("SELECT data FROM notes WHERE user_id = $1", [user.id])).map((r) => r.data),
    ["Купити хліб, молоко і яблука"]);

  // Plurals as counts grow: 5 нотаток, 21 нотатка; an older note says when, in Kyiv's time.
  await app.sql(`INSERT INTO notes (data, user_id, date) VALUES ('Давня нотатка', $1, '2026-11-20T17:09:00Z')`, [user.id]);
  await app.sql(`INSERT INTO notes (data, user_id) SELECT 'Нотатка ' || i, $1 FROM generate_series(1, 3) i`, [user.id]);
  await page.goto("/");
  await page.getByText("5 нотаток", { exact: true }).waitFor();
  assert.equal(await page.locator(".note-card", { hasText: "Давня" }).locator("time").first().innerText(), "20 лист. 2026 р., 19:09");
  await assertNoEnglish(page);
  await screenshot(page, "uk-notes-1280");
  await page.setViewportSize({ width: 375, height: 812 });
  await screenshot(page, "uk-notes-375");
  await page.setViewportSize({ width: 1280, height: 900 });
  await app.sql(`INSERT INTO notes (data, user_id) SELECT 'Ще нотатка ' || i, $1 FROM generate_series(1, 16) i`, [user.id]);
  await page.goto("/");
  await page.getByText(/^\s*21 нотатка · сторінка 1 з 2\s*$/).waitFor();

  // The gallery: one good photo and one that is not an image; then only a bad one (422).
  await page.getByRole("link", { name: "Галерея" }).click();
  await page.getByLabel("Фотографії", { exact: true }).setInputFiles([
    { name: "вечір.jpg", mimeType: "image/jpeg", buffer: await jpeg() },
    { name: "нотатки.png", mimeType: "image/png", buffer: Buffer.from("просто текст") },
  ]);
  await page.getByRole("button", { name: "Завантажити" }).click();
  await page.getByText("Завантажено 1 з 2 фотографій.").waitFor();
  await page.getByText("Не збережено: «нотатки.png» — не зображення JPEG, PNG, WebP або GIF.").waitFor();
  await assertNoEnglish(page);
  await screenshot(page, "uk-gallery-partial-upload");
  await page.getByLabel("Фотографії", { exact: true }).setInputFiles({ name: "креслення.svg", mimeType: "image/svg+xml", buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
  const response = page.waitForResponse((r) => r.url().includes("/gallery") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Завантажити" }).click();
  assert.equal((await response).status(), 422);
  await page.getByText("«креслення.svg» — це малюнок SVG.").waitFor();
  await screenshot(page, "uk-gallery-upload-error");
  assert.deepEqual((await imageRows(app, user.id)).map((r) => r.original_name), ["вечір.jpg"]);
  await assertMediaConsistent(app);

  assert.deepEqual(errors, [], "no console errors or CSP violations");
  await context.close();
});
