// An account's life in real Chromium: a forgotten password reset through the development outbox (/dev/outbox),
// two-factor authentication on, "Download my data" (the file the browser saves is a zip with the account's note),
// and "Delete my account" with the password and a code computed here from the stored secret, as an app would.
import assert from "node:assert/strict";
import fs from "node:fs";
import { it } from "node:test";
import { generate, generateSecret } from "otplib";
import type { Browser } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { newCredentials } from "../helpers/agent";
import { newPage, screenshot, useAppAndBrowser } from "../helpers/browser";
import { json, unzip } from "../account/zip";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

it("resets a forgotten password from the outbox, downloads the data, and deletes the account with a second factor", { timeout: 120_000 }, async () => {
  const creds = newCredentials("olena");
  const user = await app.auth.signup(creds);
  // A confirmed address: reset links go only to those (UNVERIFIED_ACCOUNTS).
  await app.sql("UPDATE users SET email_verified_at = now() WHERE id = $1", [user.id]);
  const { page, context, errors } = await newPage(browser, app.url);

  // Forgot the password: ask for a link, read it in the development outbox, choose a new one.
  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Email").fill(creds.email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await page.waitForURL(/\/password\/reset/);
  let found = false;
  for (let i = 0; i < 100 && !found; i++) {
    await app.mailer.drain();
    await page.goto("/dev/outbox");
    found = (await page.locator(".list-group-item", { hasText: creds.email }).filter({ hasText: "Reset your Hromada password" }).count()) > 0;
    if (!found) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(found, "the reset mail is in the outbox");
  await page.locator(".list-group-item", { hasText: creds.email }).filter({ hasText: "Reset your Hromada password" }).first().click();
  // The outbox links into this server whatever PUBLIC_URL says.
  await page.locator(".mail-links a", { hasText: "/password/reset/" }).first().click();
  await page.waitForURL(/\/password\/reset\/.+/);
  const fresh = "amber willow lighthouse";
  await page.locator("input[name=new_password]").fill(fresh);
  await page.locator("input[name=new_password_confirm]").fill(fresh);
  await page.getByRole("button", { name: "Save the new password" }).click();
  await page.waitForURL(/\/login/);
  await page.getByLabel("Username or email").fill(creds.username);
  await page.getByLabel("Password").fill(fresh);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);
  await page.getByLabel("Your note", { exact: true }).fill("Remember the milk.");
  await page.getByRole("button", { name: "Add note" }).click();
  await page.getByText("Remember the milk.").first().waitFor();

  // Two-factor authentication on, with a secret an authenticator app would hold (set as its setup would store it).
  const secret = generateSecret();
  await app.sql("UPDATE users SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1", [user.id, secret]);

  // Download my data: the browser saves a zip holding the note.
  await page.goto("/profile");
  await page.getByRole("link", { name: "Download my data" }).click();
  await page.waitForURL(/\/account\/export$/);
  await screenshot(page, "account-export-1280");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download my data" }).click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^hromada-${creds.username}-\\d{4}-\\d{2}-\\d{2}\\.zip$`));
  const saved = await download.path();
  assert.ok(saved);
  const zip = await unzip(fs.readFileSync(saved));
  assert.deepEqual(json<{ text: string }[]>(zip, "notes.json").map((n) => n.text), ["Remember the milk."]);
  assert.ok(zip.has("README.txt"));

  // Delete my account: what goes is listed, a wrong code is refused, the right one deletes it.
  await page.goto("/profile");
  await page.getByRole("link", { name: "Delete my account" }).click();
  await page.waitForURL(/\/account\/delete$/);
  await page.getByText("1 note;").waitFor();
  await screenshot(page, "account-delete-1280");
  await page.setViewportSize({ width: 375, height: 812 });
  await screenshot(page, "account-delete-375");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, "nothing scrolls sideways on a phone");
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByLabel("Your password").fill(fresh);
  const near = await Promise.all([-1, 0, 1].map((k) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + k * 30 })));
  await page.getByLabel("Code from your authenticator app").fill(["000000", "111111", "222222", "333333"].find((c) => !near.includes(c))!);
  await page.getByRole("button", { name: "Delete my account for good" }).click();
  await page.getByText("That code is not right").waitFor();
  assert.equal((await app.sql("SELECT 1 FROM users WHERE id = $1", [user.id])).length, 1, "a wrong code deletes nothing");
  await screenshot(page, "account-delete-refused-1280");
  await page.getByLabel("Your password").fill(fresh);
  await page.getByLabel("Code from your authenticator app").fill(await generate({ secret }));
  await page.getByRole("button", { name: "Delete my account for good" }).click();
  await page.waitForURL(/\/login$/);
  await page.getByText("Your account and everything in it have been deleted").waitFor();
  await screenshot(page, "account-deleted-1280");
  await page.setViewportSize({ width: 375, height: 812 });
  await screenshot(page, "account-deleted-375");
  assert.equal((await app.sql("SELECT 1 FROM users WHERE id = $1", [user.id])).length, 0);
  assert.equal((await app.sql("SELECT 1 FROM notes WHERE user_id = $1", [user.id])).length, 0);
  assert.equal((await app.sql("SELECT 1 FROM audit_logs WHERE action = 'user.self_delete' AND target_id = $1", [String(user.id)])).length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});
