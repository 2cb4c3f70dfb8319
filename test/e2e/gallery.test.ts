// A person uploads photos through the gallery page, makes one their avatar and sees it in the navbar, in real Chromium.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import type { TestApp } from "../helpers/app";
import { useAppAndBrowser, newPage, screenshot } from "../helpers/browser";
import { assertMediaConsistent, imageRows } from "../gallery/helpers";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

/** A photo-like JPEG: a sky gradient with a sun (drawn by sharp from an SVG made here, not uploaded as one). */
function photo(sky: [string, string], sun: string, w = 1800, h = 1200): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${sky[0]}"/><stop offset="1" stop-color="${sky[1]}"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/><circle cx="${w * 0.65}" cy="${h * 0.4}" r="${h * 0.15}" fill="${sun}"/>
    <rect y="${h * 0.75}" width="100%" height="${h * 0.25}" fill="#2d4a2b"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

const navAvatarSrc = (page: Page) => page.locator("#nav-profile img.avatar").getAttribute("src");

it("uploads two photos, sets one as avatar and sees it in the navbar", { timeout: 120_000 }, async () => {
  const creds = { username: "marta", email: "marta@example.test", password: "a good long password" };
  const user = await app.auth.signup(creds);
  const { page, errors } = await newPage(browser, app.url);
  try {
    await journey(page, user, creds);
  } catch (err) {
    // What the page looked like when it went wrong, for whoever reads the failure.
    await screenshot(page, "gallery-failure").catch(() => {});
    throw new Error(`${(err as Error).message}\n(at ${page.url()}; screenshot test-results/gallery-failure.png)`, { cause: err });
  }
  assert.deepEqual(errors, [], "no console errors or CSP violations");
  await assertMediaConsistent(app);
});

async function journey(page: Page, user: { id: number }, creds: { username: string; password: string }) {

  await page.goto("/login");
  await page.getByLabel("Username or email").fill(creds.username);
  await page.getByLabel("Password").fill(creds.password);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);
  assert.ok(await page.locator("#nav-profile .avatar-placeholder").isVisible(), "initials before any avatar");

  await page.getByRole("link", { name: "Gallery" }).click();
  await page.getByText("No photos yet.").waitFor();
  await page.getByLabel("Photos", { exact: true }).setInputFiles([
    { name: "Sunset over the Dnipro.jpg", mimeType: "image/jpeg", buffer: await photo(["#ff7e5f", "#feb47b"], "#fff3b0") },
    { name: "Morning.jpg", mimeType: "image/jpeg", buffer: await photo(["#4facfe", "#c2e9fb"], "#ffe066") },
  ]);
  // The page script lists the chosen files before anything is sent.
  await page.locator("#upload-preview li").nth(1).waitFor();
  assert.match(await page.locator("#upload-preview").innerText(), /Sunset over the Dnipro\.jpg[\s\S]*Morning\.jpg/);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByText("Uploaded 2 images.").waitFor();

  const rows = await imageRows(app, user.id);
  assert.deepEqual(rows.map((r) => r.original_name), ["Sunset over the Dnipro.jpg", "Morning.jpg"]);
  assert.equal(await page.locator(".gallery-item").count(), 2);
  // Thumbnails really load (served from /media, allowed by the CSP).
  await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>(".gallery-thumb")).every((i) => i.complete && i.naturalWidth === 256));
  await screenshot(page, "gallery-grid");

  const sunset = rows[0];
  await page
    .locator(".gallery-item", { hasText: "Sunset over the Dnipro.jpg" })
    .getByRole("button", { name: /Set as avatar/ })
    .click();
  await page.getByText("Your avatar has been changed.").waitFor();
  assert.equal(await navAvatarSrc(page), `/media/${sunset.thumb_path}`, "the navbar shows the new avatar");
  assert.ok(await page.locator("#nav-profile img.avatar").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0));
  const [{ profile_picture_id }] = await app.sql<{ profile_picture_id: number }>("SELECT profile_picture_id FROM users WHERE id = $1", [user.id]);
  assert.equal(profile_picture_id, sunset.id);
  await screenshot(page, "gallery-avatar-set");

  // Full size view, then delete the other photo through the confirmation page.
  await page.getByRole("link", { name: "Morning.jpg" }).first().click();
  await page.locator("img.gallery-full").waitFor();
  await page.waitForFunction(() => (document.querySelector<HTMLImageElement>("img.gallery-full")?.naturalWidth ?? 0) === 1600);
  await screenshot(page, "gallery-show");
  await page.getByRole("link", { name: "Delete…" }).click();
  await page.getByRole("heading", { name: "Delete this photo?" }).waitFor();
  await screenshot(page, "gallery-delete-confirm");
  await page.getByRole("button", { name: "Delete photo" }).click();
  await page.getByText("Photo deleted.").waitFor();
  assert.equal(await page.locator(".gallery-item").count(), 1);
  assert.equal((await imageRows(app, user.id)).length, 1);

  await page.goto("/profile");
  assert.equal(await page.locator("section[aria-labelledby=avatar-heading] img.avatar").getAttribute("src"), `/media/${sunset.thumb_path}`);
  await screenshot(page, "gallery-profile");

  // A new avatar straight from the profile page; a bad file first.
  await page.getByLabel("New avatar").setInputFiles({ name: "notes.png", mimeType: "image/png", buffer: Buffer.from("just some text") });
  await page.getByRole("button", { name: "Upload avatar" }).click();
  await page.getByText("“notes.png” is not a JPEG, PNG, WebP or GIF image.").waitFor();
  await screenshot(page, "gallery-profile-avatar-error");
  await page.getByLabel("New avatar").setInputFiles({ name: "portrait.jpg", mimeType: "image/jpeg", buffer: await photo(["#654ea3", "#eaafc8"], "#fff", 900, 1200) });
  await page.getByRole("button", { name: "Upload avatar" }).click();
  await page.getByText("Your new avatar is set.").waitFor();
  const latest = (await imageRows(app, user.id)).at(-1)!;
  assert.equal(latest.original_name, "portrait.jpg");
  assert.equal(await navAvatarSrc(page), `/media/${latest.thumb_path}`);

  // One good and one bad file: the good one is stored, the bad one named with the reason.
  await page.goto("/gallery");
  await page.getByLabel("Photos", { exact: true }).setInputFiles([
    { name: "Evening.jpg", mimeType: "image/jpeg", buffer: await photo(["#0f2027", "#2c5364"], "#f5f5f5") },
    { name: "drawing.svg", mimeType: "image/svg+xml", buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') },
  ]);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByText("Uploaded 1 of 2 images.").waitFor();
  await page.getByText("Not stored: “drawing.svg” is an SVG drawing.").waitFor();
  await screenshot(page, "gallery-partial-upload");

  // Too large: the page script warns first; the server answers with a friendly 413 page, not a reset connection.
  const big = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(11 * 1024 * 1024, 7)]);
  await page.getByLabel("Photos", { exact: true }).setInputFiles({ name: "huge.jpg", mimeType: "image/jpeg", buffer: big });
  await page.getByText("huge.jpg (11.0 MB) is larger than 10.0 MB and will be refused.").waitFor();
  const response = page.waitForResponse((r) => r.url().includes("/gallery?_csrf="));
  await page.getByRole("button", { name: "Upload" }).click();
  assert.equal((await response).status(), 413);
  await page.getByText("“huge.jpg” is larger than 10 MB.").waitFor();
  await screenshot(page, "gallery-too-large");
  const countAfter = (await imageRows(app, user.id)).length;
  assert.equal(countAfter, 3, "sunset, portrait, evening: nothing from the refused uploads");

  // Narrow screens.
  await page.setViewportSize({ width: 375, height: 800 });
  await screenshot(page, "gallery-profile-narrow");
  await page.goto("/gallery");
  await screenshot(page, "gallery-grid-narrow");
  await page.setViewportSize({ width: 1280, height: 900 });

}
