// Real Chromium (Debian's package) driven by playwright-core, against a test app.
import fs from "node:fs";
import path from "node:path";
import { after, before } from "node:test";
import AxeBuilder from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startTestApp, type TestApp } from "./app";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  // launch() gives each run a fresh, throwaway profile (playwright refuses --user-data-dir here).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
    },
  };
}

/**
 * A browser test file's app and Chromium: both started before its tests and closed after them. The callback
 * hands them to the file's own variables once they exist.
 */
export function useAppAndBrowser(ready: (app: TestApp, browser: Browser) => void): void {
  let app: TestApp | undefined;
  let close: (() => Promise<void>) | undefined;
  before(async () => {
    app = await startTestApp();
    const launched = await launchBrowser();
    close = launched.close;
    ready(app, launched.browser);
  });
  after(async () => {
    await close?.();
    await app?.close();
  });
}

/** A fresh context (its own cookies) with console errors and CSP violations collected. */
export async function newPage(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    // A 4xx answer to a form post is the app working (422 re-renders); everything else counts.
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return { context, page, errors };
}

/** Saves a screenshot under test-results/ (git-ignored) for a human to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.resolve(__dirname, "../../test-results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Logs in through the login form (the page lands on the home page). */
export async function logIn(page: Page, app: TestApp, username: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);
}

/** The password of the accounts signUp makes. */
export const E2E_PASSWORD = "correct horse battery";

/** A new account (its address <username>@example.test, password E2E_PASSWORD); its id. */
export async function signUp(app: TestApp, username: string): Promise<number> {
  return (await app.auth.signup({ username, email: `${username}@example.test`, password: E2E_PASSWORD })).id;
}

/** A chat of two people made in the database: direct (name null, a the one who opened it) or a group named `name`. */
export async function chatOfTwo(app: TestApp, a: number, b: number, name: string | null): Promise<number> {
  const [{ id }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (is_group, chat_name, direct_key, creator_id, last_message_at) VALUES ($1, $2, $3, $4, now()) RETURNING id",
    [name !== null, name, name === null ? `${Math.min(a, b)}:${Math.max(a, b)}` : null, a],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [id, a, b]);
  return id;
}

/** axe's serious and critical findings on the page (as test/e2e/look.test.ts counts them), one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")} ${n.failureSummary?.split("\n")[1] ?? ""}`));
}
