// Two-factor authentication in real Chromium: turned on from the profile with a code computed here from the key the
// page shows (as an authenticator app would), which logs out the account's other browser; the recovery codes read
// off the answer to that form, then a logout and a login with the password and a code. Screenshots at 1280 and 375
// pixels.
import assert from "node:assert/strict";
import { it } from "node:test";
import { generate } from "otplib";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { newCredentials } from "../helpers/agent";
import { useAppAndBrowser, newPage, screenshot } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

/** A code for `secret` at this moment (or `steps` steps on), well inside its 30-second step. */
async function code(secret: string, steps = 0): Promise<string> {
  const into = Date.now() % 30_000;
  if (into > 25_000) await new Promise((r) => setTimeout(r, 30_000 - into + 200));
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
}

async function both(page: Page, name: string) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, name);
  await page.setViewportSize({ width: 375, height: 800 });
  await screenshot(page, `${name}-narrow`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

it("turns two-factor authentication on, logs out, and logs in with the password and a code", { timeout: 90_000 }, async () => {
  const creds = newCredentials("e2e2fa");
  const user = await app.auth.signup(creds, { verified: true });
  const { page, context, errors } = await newPage(browser, app.url);
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(creds.username);
  await page.getByLabel("Password").fill(creds.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${app.url}/`);
  // The same account in another browser, logged in before two-factor authentication is turned on.
  const elsewhere = await newPage(browser, app.url);
  await elsewhere.page.goto("/login");
  await elsewhere.page.getByLabel("Username or email").fill(creds.username);
  await elsewhere.page.getByLabel("Password").fill(creds.password);
  await elsewhere.page.getByRole("button", { name: "Log in" }).click();
  await elsewhere.page.waitForURL(`${app.url}/`);

  await page.goto("/profile");
  await page.getByRole("link", { name: "Two-factor authentication" }).click();
  await page.getByText("Turning it on logs you out everywhere else").waitFor();
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  const qr = page.getByRole("img", { name: /QR code/ });
  await qr.waitFor();
  assert.ok(((await qr.boundingBox())?.width ?? 0) >= 150, "the QR code is drawn at a size a camera reads");
  assert.equal(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), true, "the data: URL loads under the CSP");
  const secret = (await page.locator(".two-factor-secret").inputValue()).replace(/\s/g, "");
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await both(page, "two-factor-setup");

  await page.getByLabel("Code from the app").fill("000000" === (await code(secret)) ? "111111" : "000000");
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByText("That code does not match.").first().waitFor();
  await screenshot(page, "two-factor-setup-error");

  await page.getByLabel("Code from the app").fill(await code(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByText("This is the only time these codes are shown.").waitFor();
  await page.getByText("Your other sessions have been logged out.").waitFor();
  const codes = await page.locator(".recovery-codes li").allInnerTexts();
  assert.equal(codes.length, 10);
  await both(page, "two-factor-codes");
  await elsewhere.page.goto("/profile");
  assert.match(elsewhere.page.url(), /\/login$/, "the other browser is logged out");
  await elsewhere.context.close();
  await page.getByRole("link", { name: "I have saved them" }).click();
  await page.getByText("You have 10 unused recovery codes left.").waitFor();
  await both(page, "two-factor-on");
  const [row] = await app.sql<{ totp_secret: string; n: number }>(
    "SELECT u.totp_secret, (SELECT count(*)::int FROM recovery_codes r WHERE r.user_id = u.id) AS n FROM users u WHERE u.id = $1", [user.id]);
  assert.deepEqual(row, { totp_secret: secret, n: 10 });

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByText("You have been logged out.").waitFor();
  await page.getByLabel("Username or email").fill(creds.username);
  await page.getByLabel("Password").fill(creds.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${app.url}/login/two-factor`);
  await page.getByRole("heading", { name: "Enter your code" }).waitFor();
  await both(page, "two-factor-login");
  await page.goto("/profile");
  assert.match(page.url(), /\/login$/, "half logged in is not logged in");
  await page.goto("/login/two-factor");
  await page.getByLabel("Code from the app or a recovery code").fill(await code(secret, 1));
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/profile`);
  assert.ok(await page.getByRole("button", { name: "Log out" }).isVisible());
  const [after] = await app.sql<{ last_login: Date | null }>("SELECT last_login FROM users WHERE id = $1", [user.id]);
  assert.ok(after.last_login);
  assert.deepEqual(errors, []);
  await context.close();
});
