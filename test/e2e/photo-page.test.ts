// The gallery's photo page (#18) in real Chromium: the arrow keys go to the older and newer photo, the lightbox
// opens and closes, a caption saved becomes the title; screenshots at 1280 and 375 px.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { useAppAndBrowser, newPage, screenshot } from "../helpers/browser";
import { imageRows, jpeg, upload, uploadToken } from "../gallery/helpers";
import { loggedInAgent } from "../helpers/agent";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

it("walks the photos with the arrow keys, opens the lightbox and saves a caption", { timeout: 120_000 }, async () => {
  const creds = { username: "iryna", email: "iryna@example.test", password: "a good long password" };
  const u = await loggedInAgent(app, creds);
  const files = await Promise.all([0, 1, 2].map(async (i) => ({ filename: `IMG_${i}.jpg`, data: await jpeg(900, 600) })));
  assert.equal((await upload(u.agent, "/gallery", await uploadToken(u.agent), files)).status, 303);
  const [oldest, middle, newest] = await imageRows(app, u.userId);

  const { page, errors } = await newPage(browser, app.url);
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(creds.username);
  await page.getByLabel("Password").fill(creds.password);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);

  await page.goto(`/gallery/${middle.id}`);
  await page.keyboard.press("ArrowRight");
  await page.waitForURL(`${app.url}/gallery/${oldest.id}`);
  await page.keyboard.press("ArrowLeft");
  await page.waitForURL(`${app.url}/gallery/${middle.id}`);
  await page.keyboard.press("ArrowLeft");
  await page.waitForURL(`${app.url}/gallery/${newest.id}`);

  await page.locator("#photo-zoom").click();
  assert.ok(await page.locator("#photo-lightbox").isVisible(), "the lightbox is open");
  await screenshot(page, "photo-lightbox-1280");
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("#photo-lightbox").isVisible(), false);

  await page.getByLabel("Caption").fill("Morning at the lake");
  await page.getByRole("button", { name: "Save caption" }).click();
  await page.waitForURL(`${app.url}/gallery/${newest.id}`);
  assert.equal(await page.title(), "Morning at the lake · Hromada");
  assert.equal((await app.sql<{ caption: string }>("SELECT caption FROM images WHERE id = $1", [newest.id]))[0].caption, "Morning at the lake");
  await screenshot(page, "photo-page-1280");
  await page.setViewportSize({ width: 375, height: 800 });
  await screenshot(page, "photo-page-375");
  await page.goto("/gallery");
  await screenshot(page, "gallery-375");
  assert.deepEqual(errors, []);
});
