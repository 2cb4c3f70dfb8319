// A person signs up, logs out and logs in again through the pages, in real Chromium.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { useAppAndBrowser, newPage, screenshot } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

it("signs up, logs out and logs in again through the pages", { timeout: 60_000 }, async () => {
  const { page, context, errors } = await newPage(browser, app.url);
  await page.goto("/");
  assert.match(page.url(), /\/login$/, "anonymous visitors land on the login page");
  await screenshot(page, "auth-login");
  await page.getByRole("link", { name: "Create an account" }).click();

  // A mistake first: the form comes back with the error and what was typed, minus the password.
  await page.getByLabel("Username").fill("olena");
  await page.getByLabel("Email").fill("olena@example.test");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Repeat password").fill("short");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByText("Password must be at least 8 characters.").waitFor();
  assert.equal(await page.getByLabel("Username").inputValue(), "olena");
  assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "");
  await screenshot(page, "auth-signup-error");

  // A weak password: refused with the reason under the field.
  await page.getByLabel("Password", { exact: true }).fill("olena2024");
  await page.getByLabel("Repeat password").fill("olena2024");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByText("This password is too similar to your username or email.").waitFor();
  assert.equal(await page.getByLabel("Password", { exact: true }).getAttribute("aria-invalid"), "true");
  await screenshot(page, "auth-signup-weak-password");

  await page.getByLabel("Password", { exact: true }).fill("a good long password");
  await page.getByLabel("Repeat password").fill("a good long password");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByText("Welcome to Hromada, olena!").waitFor();
  assert.match(await page.locator("#nav-profile").innerText(), /olena/, "the navbar shows who is logged in");

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByText("You have been logged out.").waitFor();
  assert.match(page.url(), /\/login$/);

  await page.getByLabel("Username or email").fill("OLENA@example.test");
  await page.getByLabel("Password").fill("a good long password");
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);
  assert.ok(await page.getByRole("button", { name: "Log out" }).isVisible());

  await page.goto("/profile");
  await screenshot(page, "auth-profile");
  await page.setViewportSize({ width: 375, height: 800 });
  await screenshot(page, "auth-profile-narrow");

  const rows = await app.sql<{ username: string; last_login: Date | null }>("SELECT username, last_login FROM users");
  assert.equal(rows.length, 1);
  assert.equal(rows[0].username, "olena");
  assert.ok(rows[0].last_login);
  assert.deepEqual(errors, [], "no console errors or CSP violations");
  await context.close();
});
