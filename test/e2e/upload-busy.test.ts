// A person with too many images still being processed (IMAGE_BACKLOG_PER_USER) is told so in real Chromium: on the
// gallery's upload form (sent by its script, with the progress bar) and in the chat composer (the paperclip), in
// words, and can send again once the earlier images are done. Screenshots at 1280 and 375 px.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser } from "playwright-core";
import { admitImages } from "../../src/gallery/image-pipeline";
import type { TestApp } from "../helpers/app";
import { chatOfTwo, E2E_PASSWORD, logIn, newPage, screenshot, signUp, useAppAndBrowser } from "../helpers/browser";
import { assertMediaConsistent, imageRows, jpeg } from "../gallery/helpers";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

const BUSY = /You already have 20 images being processed\. Wait until they are done, then send these again\./;

it("says the earlier images are still being processed, on the gallery form and in the chat, and takes the upload once they are done", { timeout: 180_000 }, async () => {
  const lena = await signUp(app, "lena");
  const ivan = await signUp(app, "ivan");
  const chatId = await chatOfTwo(app, lena, ivan, "Hikes");
  const { page, errors } = await newPage(browser, app.url);
  await page.setViewportSize({ width: 1280, height: 900 });
  await logIn(page, app, "lena", E2E_PASSWORD);

  // Lena's places in the image queue, held as a full gallery upload in progress holds them.
  const held = admitImages(lena, 20);
  assert.ok(held);
  try {
    await page.goto("/gallery");
    await page.getByLabel("Photos", { exact: true }).setInputFiles({ name: "ridge.jpg", mimeType: "image/jpeg", buffer: await jpeg(900, 600) });
    const response = page.waitForResponse((r) => r.url().includes("/gallery?_csrf="));
    await page.getByRole("button", { name: "Upload" }).click();
    assert.equal((await response).status(), 429);
    await page.getByText(BUSY).waitFor();
    await screenshot(page, "upload-busy-gallery-1280");
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, "upload-busy-gallery-375");
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.goto(`/chats/${chatId}`);
    await page.locator("#photo-input").setInputFiles({ name: "summit.jpg", mimeType: "image/jpeg", buffer: await jpeg(900, 600) });
    await page.locator("#photo-tray .chat-tray-item").first().waitFor();
    await page.keyboard.press("Enter");
    await page.getByText(BUSY).waitFor();
    await screenshot(page, "upload-busy-chat-1280");
    assert.deepEqual(await imageRows(app, lena), [], "nothing stored");
    assert.equal((await app.sql<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE chat_id = $1", [chatId]))[0].n, 0);
  } finally {
    held.release();
  }

  // Done: the photo still in the tray goes with the next Enter.
  await page.locator("#f-text").focus();
  await page.keyboard.press("Enter");
  await page.locator("#messages .chat-msg.mine .chat-photos .chat-photo").first().waitFor();
  await screenshot(page, "upload-busy-chat-sent-1280");
  assert.equal((await imageRows(app, lena)).length, 1);
  assert.deepEqual(errors, [], "no console errors or CSP violations");
  await assertMediaConsistent(app);
});
