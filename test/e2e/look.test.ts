// Every main page in real Chromium, in the light and the dark scheme, 1280 and 375 wide: axe-core finds no
// serious or critical accessibility violation, nothing scrolls sideways, and a screenshot of each is saved
// (test-results/look-<page>-<scheme>-<width>.png) for a person to look at.
import assert from "node:assert/strict";
import { it } from "node:test";
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials } from "../helpers/agent";
import { useAppAndBrowser, screenshot } from "../helpers/browser";
import { createGroup, openDirect, postMessage } from "../chat/helpers";
import { jpeg, upload, uploadToken } from "../gallery/helpers";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

const SCHEMES = ["light", "dark"] as const;
const WIDTHS = [1280, 375] as const;

let pages: [name: string, url: string][] = [];
const staff = newCredentials("daryna");

let seeded: Promise<void> | undefined;
/** A staff user with a note, a direct chat, a group and a photo: every page has something to show. */
const seed = () => (seeded ??= seedWorld());

async function seedWorld() {
  const me = await loggedInAgent(app, staff, { isStaff: true });
  const friend = await loggedInAgent(app, newCredentials("bohdan"));
  const third = await loggedInAgent(app, newCredentials("ivanna"));
  const post = async (url: string, form: Record<string, string>) => {
    const home = await me.agent.get("/");
    const token = /name="_csrf" value="([^"]+)"/.exec(home.text)![1];
    return me.agent.post(url).type("form").send({ ...form, _csrf: token });
  };
  await post("/notes", { data: "Buy bread and milk.\nCall the plumber about the kitchen pipe on Tuesday morning." });
  const [{ id: noteId }] = await app.sql<{ id: number }>("SELECT id FROM notes WHERE user_id = $1", [me.userId]);
  const direct = await openDirect(me.agent, friend.userId);
  await postMessage(me.agent, direct, "Hi! Are we still on for Saturday?");
  await postMessage(friend.agent, direct, "Yes, see you at ten.");
  const group = await createGroup(me.agent, "Weekend hike", [friend.creds.username, third.creds.username]);
  await postMessage(third.agent, group, "I will bring the map.");
  const res = await upload(me.agent, "/gallery", await uploadToken(me.agent), [{ filename: "hill.jpg", data: await jpeg() }]);
  assert.equal(res.status, 303);
  const [{ id: imageId }] = await app.sql<{ id: number }>("SELECT id FROM images WHERE owner_id = $1", [me.userId]);
  // Photos in the group (#18): a grid in the bubble, and a chat photo's page.
  const photos = await upload(friend.agent, `/chats/${group}/photos`, await uploadToken(friend.agent, `/chats/${group}/photos/new`), [
    { filename: "trail.jpg", data: await jpeg(), field: "photos" },
    { filename: "view.jpg", data: await jpeg(480, 640), field: "photos" },
  ], { field: "photos", fields: { text: "The trail from the top" } });
  assert.equal(photos.status, 303);
  const [{ id: chatPhotoId }] = await app.sql<{ id: number }>("SELECT id FROM images WHERE owner_id = $1 AND message_id IS NOT NULL ORDER BY position LIMIT 1", [friend.userId]);
  pages = [
    ["notes", "/"],
    ["notes-search", "/notes/search?q=bread"],
    ["note-edit", `/notes/${noteId}/edit`],
    ["note-delete", `/notes/${noteId}/delete`],
    ["chats", "/chats"],
    ["chat-direct", `/chats/${direct}`],
    ["chat-group", `/chats/${group}`],
    ["chat-new", "/chats/new"],
    ["chat-settings", `/chats/${group}/settings`],
    ["chat-remove-member", `/chats/${group}/members/${friend.userId}/remove`],
    ["chat-leave", `/chats/${group}/leave`],
    ["chat-photos-new", `/chats/${group}/photos/new`],
    ["chat-photo", `/chats/${group}/photos/${chatPhotoId}`],
    ["people", "/people"],
    ["person", `/people/${friend.creds.username}`],
    ["gallery", "/gallery"],
    ["photo", `/gallery/${imageId}`],
    ["profile", "/profile"],
    ["account-export", "/account/export"],
    ["account-delete", "/account/delete"],
    ["two-factor", "/account/two-factor"],
    ["admin", "/admin"],
    ["admin-users", "/admin/users"],
    ["admin-audit", "/admin/audit"],
    ["not-found", "/nothing-here"],
  ];
}

/** axe's serious and critical findings on the page, one line each. */
async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")} ${n.failureSummary?.split("\n")[1] ?? ""}`));
}

async function login(page: Page) {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(staff.username);
  await page.getByLabel("Password").fill(staff.password);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);
}

for (const scheme of SCHEMES) {
  it(`every main page in the ${scheme} scheme (the system's, as a new visitor has it): no serious axe finding at 1280 and 375`, { timeout: 900_000 }, async () => {
    await seed();
    const context = await browser.newContext({ baseURL: app.url, colorScheme: scheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const found: string[] = [];

    await page.goto("/login");
    assert.equal(await page.locator("html").getAttribute("data-bs-theme"), scheme, "auto follows the system before anything is shown");
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
      for (const url of ["/login", "/signup"]) {
        await page.goto(url);
        found.push(...(await violations(page)).map((v) => `${url} ${width}: ${v}`));
        await screenshot(page, `look-${url.slice(1)}-${scheme}-${width}`);
      }
    }
    await login(page);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
      for (const [name, url] of pages) {
        await page.goto(url);
        assert.equal(await page.locator("html").getAttribute("data-bs-theme"), scheme);
        found.push(...(await violations(page)).map((v) => `${name} ${width}: ${v}`));
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (overflow > 0) found.push(`${name} ${width}: scrolls sideways by ${overflow}px`);
        await screenshot(page, `look-${name}-${scheme}-${width}`);
      }
    }
    assert.deepEqual(found, [], found.join("\n"));
    assert.deepEqual(errors, []);
    await context.close();
  });
}

it("the switch in the navbar picks a scheme without JavaScript, saved on the account, and back to the system's", { timeout: 60_000 }, async () => {
  await seed();
  const context = await browser.newContext({ baseURL: app.url, colorScheme: "light", javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await login(page);
  assert.equal(await page.locator("html").getAttribute("data-bs-theme"), null, "without JavaScript, auto is Bootstrap's light");
  await page.getByRole("button", { name: "Dark" }).click();
  await page.waitForURL(`${app.url}/`);
  assert.equal(await page.locator("html").getAttribute("data-bs-theme"), "dark");
  assert.equal(await page.getByRole("button", { name: "Dark" }).getAttribute("aria-pressed"), "true");
  const [row] = await app.sql<{ theme: string | null }>("SELECT theme FROM users WHERE username = $1", [staff.username]);
  assert.equal(row.theme, "dark");
  await screenshot(page, "look-switch-dark");
  await page.getByRole("button", { name: "As the system" }).click();
  await page.waitForURL(`${app.url}/`);
  assert.equal(await page.locator("html").getAttribute("data-theme"), "auto");
  await context.close();
});

for (const scheme of SCHEMES) {
  it(`a phone (375 × 812, ${scheme}): a new group's chat fills the screen, its flash floats as a toast, the message box stays fully on screen`, { timeout: 90_000 }, async () => {
    await seed();
    const context = await browser.newContext({ baseURL: app.url, colorScheme: scheme, viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await login(page);
    const friend = (await app.sql<{ username: string }>("SELECT username FROM users WHERE username LIKE 'bohdan%'"))[0].username;
    await page.goto("/chats/new");
    await page.getByLabel("Group name").fill(`Phone group ${scheme}`);
    await page.getByLabel("Members").fill(friend);
    await page.getByLabel("Members").press("Enter"); // the typed name becomes a chosen person, the suggestions close
    await page.getByRole("button", { name: "Create group" }).click();
    await page.waitForURL(/\/chats\/\d+$/);
    const toast = page.locator(".chat-toasts .alert", { hasText: `Group “Phone group ${scheme}” created.` });
    await toast.waitFor();
    const box = await page.locator("#f-text").boundingBox();
    assert.ok(box, "the message box is shown");
    assert.ok(box.y >= 0 && box.y + box.height <= 812 && box.x >= 0 && box.x + box.width <= 375, `message box inside the screen: ${JSON.stringify(box)}`);
    const send = await page.getByRole("button", { name: "Send" }).boundingBox();
    assert.ok(send && send.y + send.height <= 812 && send.x + send.width <= 375, "and its Send button");
    assert.equal(await page.locator("footer").count(), 0, "no site footer in a chat");
    assert.equal(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight), true, "the page itself does not scroll");
    const back = page.getByRole("link", { name: "Back to chats" });
    assert.ok(await back.isVisible(), "a clear back button");
    const backBox = (await back.boundingBox())!;
    assert.ok(backBox.width >= 40 && backBox.height >= 40, "big enough to tap");
    await screenshot(page, `look-phone-chat-flash-${scheme}`);
    // Escape closes the toast; the back button was never under it.
    await page.keyboard.press("Escape");
    await toast.waitFor({ state: "detached" });
    await page.locator("#f-text").fill("On my way");
    await page.keyboard.press("Enter");
    await page.locator(".chat-msg.mine", { hasText: "On my way" }).waitFor();
    await back.click();
    await page.waitForURL(`${app.url}/chats`);
    await context.close();
  });
}
