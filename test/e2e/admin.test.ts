// A staff member uses the admin site in real Chromium: dashboard, user search, deactivation, a moderation delete.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { it } from "node:test";
import sharp from "sharp";
import type { Browser } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { useAppAndBrowser, newPage, screenshot } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

async function seed() {
  const admin = await app.auth.signup({ username: "olena_admin", email: "olena@example.test", password: "a good long password" }, { isStaff: true });
  const names = ["taras", "mariia.k", "ivan-petrenko", "sofiia", "a_very_long_username_here", "bohdan", "kateryna", "dmytro"];
  const users = [];
  for (const name of names) users.push(await app.auth.signup({ username: name, email: `${name}@example.test`, password: "password1234" }));
  await app.sql("UPDATE users SET is_active = false WHERE username = 'bohdan'");
  await app.sql("UPDATE users SET is_staff = true WHERE username = 'sofiia'");
  await app.sql("UPDATE users SET last_login = now() - interval '2 hours' WHERE username IN ('taras', 'sofiia')");
  for (const [i, u] of users.slice(0, 4).entries()) {
    await app.sql("INSERT INTO notes (data, user_id) VALUES ($1, $2)", [`Shopping list ${i}: bread, milk, apples`, u.id]);
    // Real files in the gallery's layout, so the thumbnails are served by /media like uploaded ones.
    const hex = crypto.randomBytes(16).toString("hex");
    const rel = `${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}.webp`;
    const thumb = `${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}.thumb.webp`;
    for (const [p, size] of [[rel, 640], [thumb, 128]] as const) {
      fs.mkdirSync(path.join(app.mediaRoot, path.dirname(p)), { recursive: true });
      await sharp({ create: { width: size, height: size, channels: 3, background: { r: 40 + i * 50, g: 120, b: 200 - i * 40 } } })
        .webp()
        .toFile(path.join(app.mediaRoot, p));
    }
    await app.sql(
      `INSERT INTO images (gallery_id, owner_id, path, thumb_path, width, height, bytes, original_name) VALUES ($1, $2, $3, $4, 640, 640, 10240, $5)`,
      [u.galleryId, u.id, rel, thumb, `holiday-${i}.jpg`],
    );
  }
  return { admin, users };
}

it("a staff member checks the dashboard, finds and deactivates a user and deletes an image", { timeout: 120_000 }, async () => {
  const { users } = await seed();
  const { page, context, errors } = await newPage(browser, app.url);
  await page.goto("/login");
  await page.getByLabel("Username or email").fill("olena_admin");
  await page.getByLabel("Password").fill("a good long password");
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);

  await page.getByRole("link", { name: "Admin", exact: true }).click();
  await page.getByRole("heading", { name: "Admin dashboard" }).waitFor();
  assert.equal(await page.locator("#count-users").innerText(), "9");
  assert.equal(await page.locator("#count-images").innerText(), "4");
  await screenshot(page, "admin-dashboard");

  await page.getByRole("navigation", { name: "Admin sections" }).getByRole("link", { name: "Users" }).click();
  await page.getByRole("heading", { name: "Users" }).waitFor();
  await screenshot(page, "admin-users");
  // Search with the keyboard only.
  await page.getByLabel("Search by username or email").fill("TARAS");
  await page.keyboard.press("Enter");
  await page.getByText("1 user matching “TARAS”").waitFor();
  await page.getByRole("link", { name: "taras", exact: true }).click();
  await page.getByRole("heading", { name: "taras", exact: true }).waitFor();
  await screenshot(page, "admin-user");

  await page.getByRole("button", { name: "Deactivate account" }).click();
  await page.getByText("taras has been deactivated and logged out everywhere.").waitFor();
  const [row] = await app.sql<{ is_active: boolean }>("SELECT is_active FROM users WHERE username = 'taras'");
  assert.equal(row.is_active, false);

  // A delete asks first (admin.js); dismissing keeps the image, accepting deletes it.
  await page.goto("/admin/images");
  const [{ id: imageId, path: imagePath }] = await app.sql<{ id: number; path: string }>("SELECT id, path FROM images WHERE owner_id = $1", [users[0].id]);
  assert.equal(await page.locator(`img[alt="holiday-0.jpg"]`).evaluate((img: HTMLImageElement) => img.naturalWidth), 128, "thumbnails load");
  page.once("dialog", (d) => void d.dismiss());
  await page.getByRole("button", { name: `Delete image #${imageId}` }).click();
  assert.equal((await app.sql("SELECT 1 FROM images WHERE id = $1", [imageId])).length, 1, "dismissed: nothing deleted");
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: `Delete image #${imageId}` }).click();
  await page.getByText(`Image #${imageId} and its files deleted.`).waitFor();
  assert.equal((await app.sql("SELECT 1 FROM images WHERE id = $1", [imageId])).length, 0);
  assert.ok(!fs.existsSync(path.join(app.mediaRoot, imagePath)));
  await screenshot(page, "admin-images");

  await page.goto("/admin/audit");
  // The log shows the action in the reader's language and keeps the stored name beside it.
  await page.locator('[data-action="image.delete"]', { hasText: "Deleted image" }).first().waitFor();
  await screenshot(page, "admin-audit");

  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto("/admin");
  await screenshot(page, "admin-dashboard-narrow");
  await page.goto("/admin/users");
  await screenshot(page, "admin-users-narrow");
  await page.goto(`/admin/users/${users[1].id}`);
  await screenshot(page, "admin-user-narrow");
  await page.goto("/admin/notes");
  await screenshot(page, "admin-notes-narrow");
  // Nothing spills sideways out of the page on a phone (tables scroll inside their own box).
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);

  assert.deepEqual(errors, [], "no console errors or CSP violations");
  await context.close();
});
