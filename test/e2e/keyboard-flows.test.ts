// Keyboard only, in real Chromium, the flows keyboard.test.ts does not walk: the gallery (upload through the file
// input, a photo page, newer/older with the arrows, the lightbox, a delete with its question), the profile (its
// fields, an avatar, the colour scheme and the language), two-factor (on with the key read off the page and a code
// typed, the recovery codes, off again) and the admin site (the users list, a search, a user, a deactivation and an
// image deleted after its question). Nothing but page.keyboard drives the page (a file chooser is answered as the
// person's system dialog would be); every stop shows its focus; every result is checked in the database.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { it } from "node:test";
import { generate } from "otplib";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { newCredentials } from "../helpers/agent";
import { useAppAndBrowser, screenshot, logIn, signUp, seriousViolations, E2E_PASSWORD } from "../helpers/browser";
import { catchFileChoosers, chooseFiles, focused, skipToContent, tabOrder, tabTo } from "../helpers/keyboard";
import { imageRows, jpeg, assertMediaConsistent } from "../gallery/helpers";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

/** A confirmed account (no banner asking to confirm the address above every page); its id. */
async function person(username: string): Promise<number> {
  return (await app.auth.signup({ username, email: `${username}@example.test`, password: E2E_PASSWORD }, { verified: true })).id;
}

async function keyboardPage(username: string, password = E2E_PASSWORD) {
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  catchFileChoosers(page);
  await logIn(page, app, username, password);
  return { context, page, errors };
}

/** Runs `walk`; on a failure keeps a screenshot of where it stopped. */
async function walking(page: Page, name: string, walk: () => Promise<void>) {
  try {
    await walk();
  } catch (err) {
    await screenshot(page, `${name}-failure`).catch(() => {});
    throw new Error(`${(err as Error).message}\n(at ${page.url()}; screenshot test-results/${name}-failure.png)`, { cause: err });
  }
}

it("gallery by keyboard: upload, a photo page, the arrows, the lightbox and a delete with its question", { timeout: 180_000 }, async () => {
  const id = await person("halyna_keys");
  const { context, page, errors } = await keyboardPage("halyna_keys");
  await walking(page, "keyboard-gallery", async () => {
    // The empty gallery's next step, "Upload a photo", leads the focus to the file input.
    await page.goto("/gallery");
    await skipToContent(page);
    await tabTo(page, /^Upload a photo$/);
    await page.keyboard.press("Enter");
    const input = await focused(page);
    assert.equal(input.id, "f-images", `"Upload a photo" puts the focus on the file input (it is on ${input.tag} "${input.name}")`);
    assert.ok(input.visible);
    await chooseFiles(page, [
      { name: "first.jpg", mimeType: "image/jpeg", buffer: await jpeg(400, 300) },
      { name: "second.jpg", mimeType: "image/jpeg", buffer: await jpeg(300, 400) },
    ]);
    await page.locator("#upload-preview li", { hasText: "second.jpg" }).waitFor();
    assert.equal((await focused(page)).name, "Photos", "choosing files leaves the focus on the file input");
    await tabTo(page, /^Upload$/, "Tab", 3);
    await page.keyboard.press("Enter");
    // Processing two photos can take a while on a loaded machine: the upload's wait is longer than the default.
    await page.getByRole("img", { name: "second.jpg" }).waitFor({ timeout: 120_000 });
    const rows = await imageRows(app, id);
    assert.deepEqual(rows.map((r) => r.original_name).sort(), ["first.jpg", "second.jpg"]);

    // The grid: each photo's checkbox, its picture (the link to its page), then its buttons.
    await skipToContent(page);
    const order = await tabOrder(page, /^second\.jpg$/);
    assert.deepEqual(order.slice(-2), ["Select for deleting: second.jpg", "second.jpg"], `the grid's order: ${order.join(" | ")}`);
    await page.keyboard.press("Enter");
    const second = rows.find((r) => r.original_name === "second.jpg")!.id;
    const first = rows.find((r) => r.original_name === "first.jpg")!.id;
    await page.waitForURL(`${app.url}/gallery/${second}`);

    // The arrows: → the older photo, ← back to the newer one.
    await page.keyboard.press("ArrowRight");
    await page.waitForURL(`${app.url}/gallery/${first}`);
    await page.keyboard.press("ArrowLeft");
    await page.waitForURL(`${app.url}/gallery/${second}`);

    // The lightbox: the button is reachable, Enter opens it with the focus inside, Escape closes it and the focus
    // comes back to the button.
    await skipToContent(page);
    await tabTo(page, /^View large$/);
    await page.keyboard.press("Enter");
    await page.locator("#photo-lightbox[open]").waitFor();
    const inside = await focused(page);
    assert.ok(inside.inDialog, `the focus is in the lightbox (${inside.tag} "${inside.name}")`);
    assert.ok(inside.visible, "and drawn");
    await screenshot(page, "keyboard-lightbox");
    assert.deepEqual(await seriousViolations(page), [], "axe with the lightbox open");
    // Tab stays in the modal lightbox (its close button is all there is).
    await page.keyboard.press("Tab");
    assert.ok((await focused(page)).inDialog, "Tab stays inside the lightbox");
    await page.keyboard.press("Escape");
    await page.locator("#photo-lightbox:not([open])").waitFor({ state: "attached" });
    assert.equal((await focused(page)).name, "View large", "the focus is back on the button that opened the lightbox");

    // Delete: the question page, Cancel first (nothing goes), then Delete photo.
    await tabTo(page, /^Delete…$/);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/gallery/${second}/delete`);
    await skipToContent(page);
    assert.deepEqual(await tabOrder(page, /^Cancel$/), ["Delete photo", "Cancel"]);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/gallery/${second}`);
    assert.equal((await imageRows(app, id)).length, 2, "Cancel deleted nothing");
    await page.goto(`/gallery/${second}/delete`);
    await skipToContent(page);
    await tabTo(page, /^Delete photo$/);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/gallery`);
    assert.deepEqual((await imageRows(app, id)).map((r) => r.original_name), ["first.jpg"]);
    await assertMediaConsistent(app);
  });
  assert.deepEqual(errors, []);
  await context.close();
});

it("profile by keyboard: the account's fields, an avatar, the colour scheme and the language", { timeout: 180_000 }, async () => {
  const id = await person("petro_keys");
  const { context, page, errors } = await keyboardPage("petro_keys");
  await walking(page, "keyboard-profile", async () => {
    await page.goto("/profile");
    await skipToContent(page);
    // The avatar card comes first (the left column), then the security links, then the account's fields.
    await tabTo(page, /^New avatar$/);
    await chooseFiles(page, [{ name: "me.jpg", mimeType: "image/jpeg", buffer: await jpeg(500, 500) }]);
    await tabTo(page, /^Upload avatar$/, "Tab", 2);
    await page.keyboard.press("Enter");
    await page.getByText("Your new avatar is set.").waitFor({ timeout: 120_000 });
    const [avatar] = await app.sql<{ profile_picture_id: number | null }>("SELECT profile_picture_id FROM users WHERE id = $1", [id]);
    assert.ok(avatar.profile_picture_id, "the avatar is set");

    await skipToContent(page);
    await tabTo(page, /^Username$/);
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("petro_keyboard");
    await tabTo(page, /^Save profile$/, "Tab", 3);
    await page.keyboard.press("Enter");
    await page.getByText("Your profile has been saved.").waitFor();
    const [account] = await app.sql<{ username: string }>("SELECT username FROM users WHERE id = $1", [id]);
    assert.equal(account.username, "petro_keyboard");

    // The time zone: a select walked with the arrows.
    await skipToContent(page);
    await tabTo(page, /^Time zone$/);
    await page.keyboard.type("Europe");
    const steps = await page.evaluate(() => {
      const select = document.activeElement as HTMLSelectElement;
      return [...select.options].findIndex((o) => o.value === "Europe/Warsaw") - select.selectedIndex;
    });
    for (let i = 0; i < Math.abs(steps); i++) await page.keyboard.press(steps > 0 ? "ArrowDown" : "ArrowUp");
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLSelectElement).value), "Europe/Warsaw");
    await tabTo(page, /^Save$/, "Tab", 3);
    await page.keyboard.press("Enter");
    await page.getByText("Your language and time zone have been saved.").waitFor();
    const [prefs] = await app.sql<{ time_zone: string | null }>("SELECT time_zone FROM users WHERE id = $1", [id]);
    assert.equal(prefs.time_zone, "Europe/Warsaw");

    // The colour scheme in the navbar: Shift+Tab back up from the content to Dark.
    await skipToContent(page);
    await tabTo(page, /^Dark$/, "Shift+Tab");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.documentElement.dataset.bsTheme === "dark");
    const [dark] = await app.sql<{ theme: string | null }>("SELECT theme FROM users WHERE id = $1", [id]);
    assert.equal(dark.theme, "dark");
    // Back on the same page, and the focus is still drawn in the dark scheme.
    assert.match(page.url(), /\/profile$/);
    await skipToContent(page);
    await tabTo(page, /^New avatar$/);
    await screenshot(page, "keyboard-profile-dark");

    // The language: Українська, then the page speaks Ukrainian and the choice is saved.
    await tabTo(page, /^Українська$/, "Shift+Tab");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.documentElement.lang === "uk");
    const [lang] = await app.sql<{ locale: string | null }>("SELECT locale FROM users WHERE id = $1", [id]);
    assert.equal(lang.locale, "uk");
    await tabTo(page, /^English$/);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.documentElement.lang === "en");
  });
  assert.deepEqual(errors, []);
  await context.close();
});

/** A code for `secret` now (or `steps` steps on), well inside its 30-second step. */
async function code(secret: string, steps = 0): Promise<string> {
  const into = Date.now() % 30_000;
  if (into > 25_000) await new Promise((r) => setTimeout(r, 30_000 - into + 200));
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
}

it("two-factor by keyboard: on with the key read off the page, the recovery codes, and off again", { timeout: 180_000 }, async () => {
  const id = await person("oksana_keys");
  const { context, page, errors } = await keyboardPage("oksana_keys");
  await walking(page, "keyboard-two-factor", async () => {
    await page.goto("/profile");
    await skipToContent(page);
    await tabTo(page, /^Two-factor authentication$/);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/account/two-factor`);
    await skipToContent(page);
    await tabTo(page, /^Set up two-factor authentication$/);
    await page.keyboard.press("Enter");
    await page.getByRole("img", { name: /QR code/ }).waitFor();
    assert.deepEqual(await seriousViolations(page), [], "axe on the setup step");

    // The key for typing into the app by hand is a stop of its own: Ctrl+A selects it whole, for Ctrl+C.
    await skipToContent(page);
    const key = await tabTo(page, /^Cannot scan it\? Add the account by hand with this key/);
    assert.ok(key.inMain);
    await page.keyboard.press("ControlOrMeta+A");
    const secret = await page.evaluate(() => {
      const el = document.activeElement as HTMLTextAreaElement;
      return el.value.slice(el.selectionStart ?? 0, el.selectionEnd ?? 0);
    });
    assert.match(secret.replace(/\s/g, ""), /^[A-Z2-7]{32}$/, "Ctrl+A in the key selects all of it (and nothing else)");
    await tabTo(page, /^Code from the app$/, "Tab", 2);
    await page.keyboard.type(await code(secret.replace(/\s/g, "")));
    await page.keyboard.press("Enter");
    await page.getByText("This is the only time these codes are shown.").waitFor();
    await screenshot(page, "keyboard-two-factor-codes");
    assert.deepEqual(await seriousViolations(page), [], "axe on the recovery codes");

    const recovery = await page.locator(".recovery-codes li").allInnerTexts();
    assert.equal(recovery.length, 10);
    // Kept without a mouse: the codes as a text file, then the way on.
    await skipToContent(page);
    await tabTo(page, /^Download as a text file$/);
    const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    assert.equal(download.suggestedFilename(), "hromada-recovery-codes.txt");
    const file = await download.path();
    assert.equal(fs.readFileSync(file, "utf8"), recovery.join("\n") + "\n", "the file holds the ten codes shown");
    await tabTo(page, /^I have saved them$/, "Tab", 1);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/account/two-factor`);
    const [on] = await app.sql<{ totp_enabled_at: Date | null; n: number }>(
      "SELECT totp_enabled_at, (SELECT count(*)::int FROM recovery_codes WHERE user_id = $1) AS n FROM users WHERE id = $1", [id]);
    assert.ok(on.totp_enabled_at);
    assert.equal(on.n, 10);

    // Log out and back in: the password, then the second step starts in its code field; a recovery code.
    await tabTo(page, /^Log out$/, "Shift+Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/login`);
    assert.equal((await focused(page)).name, "Username or email");
    await page.keyboard.type("oksana_keys");
    await tabTo(page, /^Password$/);
    await page.keyboard.type(E2E_PASSWORD);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/login/two-factor`);
    // autofocus is applied at the page's next rendering step, which on a busy machine can come after "load".
    let step = await focused(page);
    for (let i = 0; i < 40 && step.name !== "Code from the app or a recovery code"; i++) {
      await page.waitForTimeout(50);
      step = await focused(page);
    }
    assert.equal(step.name, "Code from the app or a recovery code", "the second step starts in its field");
    await page.keyboard.type(recovery[3]);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/`);
    const [used] = await app.sql<{ n: number }>("SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL", [id]);
    assert.equal(used.n, 1, "the recovery code is spent");
    await page.goto("/account/two-factor");

    // Off: the password, then the code of the same card (the first card's code field is its own stop).
    await skipToContent(page);
    assert.deepEqual((await tabOrder(page, /^Turn off two-factor authentication$/)).slice(-6), [
      "Your profile", "Code from the app or a recovery code", "Make new codes",
      "Your password", "Code from the app or a recovery code", "Turn off two-factor authentication",
    ]);
    await tabTo(page, /^Your password$/, "Shift+Tab", 3);
    await page.keyboard.type(E2E_PASSWORD);
    await page.keyboard.press("Tab");
    await page.keyboard.type(await code(secret.replace(/\s/g, ""), 1));
    await page.keyboard.press("Enter");
    await page.getByText("Two-factor authentication is off.").first().waitFor();
    const [off] = await app.sql<{ totp_enabled_at: Date | null; n: number }>(
      "SELECT totp_enabled_at, (SELECT count(*)::int FROM recovery_codes WHERE user_id = $1) AS n FROM users WHERE id = $1", [id]);
    assert.deepEqual(off, { totp_enabled_at: null, n: 0 });
  });
  assert.deepEqual(errors, []);
  await context.close();
});

it("admin site by keyboard: the users list, a search, a user, a deactivation and an image deleted after its question", { timeout: 180_000 }, async () => {
  const creds = newCredentials("staffkeys");
  await app.auth.signup(creds, { isStaff: true, verified: true });
  const taras = await signUp(app, "taras_keys");
  await signUp(app, "mariia_keys");
  const [{ gallery_id }] = await app.sql<{ gallery_id: number }>("SELECT gallery_id FROM users WHERE id = $1", [taras]);
  const hex = "ab" + "cd" + "0123456789abcdef0123456789ab";
  const rel = `ab/cd/${hex}.webp`;
  const thumb = `ab/cd/${hex}.thumb.webp`;
  fs.mkdirSync(path.join(app.mediaRoot, "ab/cd"), { recursive: true });
  for (const p of [rel, thumb]) fs.writeFileSync(path.join(app.mediaRoot, p), await jpeg(64, 64));
  const [{ id: imageId }] = await app.sql<{ id: number }>(
    "INSERT INTO images (gallery_id, owner_id, path, thumb_path, width, height, bytes, original_name) VALUES ($1, $2, $3, $4, 64, 64, 1000, 'lake.jpg') RETURNING id",
    [gallery_id, taras, rel, thumb],
  );
  const { context, page, errors } = await keyboardPage(creds.username, creds.password);
  await walking(page, "keyboard-admin", async () => {
    await skipToContent(page);
    await tabTo(page, /^Admin$/, "Shift+Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/admin`);
    await skipToContent(page);
    await tabTo(page, /^Users$/);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/admin/users`);
    await skipToContent(page);
    await tabTo(page, /^Search by username or email$/);
    await page.keyboard.type("taras");
    await page.keyboard.press("Enter");
    await page.getByText("1 user matching “taras”").waitFor();
    await skipToContent(page);
    await tabTo(page, /^taras_keys$/);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/admin/users/${taras}`);
    await skipToContent(page);
    await tabTo(page, /^Deactivate account$/);
    await page.keyboard.press("Enter");
    await page.getByText("taras_keys has been deactivated and logged out everywhere.").waitFor();
    const [row] = await app.sql<{ is_active: boolean }>("SELECT is_active FROM users WHERE id = $1", [taras]);
    assert.equal(row.is_active, false);

    // The user's images, then a delete: the browser's question answered "no" keeps the image and the focus on
    // its button, "yes" deletes it.
    await skipToContent(page);
    await tabTo(page, /^Images$/); // the admin site's section
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/admin/images`);
    await skipToContent(page);
    await tabTo(page, new RegExp(`^Delete image #${imageId}$`));
    page.once("dialog", (d) => void d.dismiss());
    await page.keyboard.press("Enter"); // returns once the question is answered
    assert.equal((await app.sql("SELECT 1 FROM images WHERE id = $1", [imageId])).length, 1, "answered no: nothing deleted");
    assert.equal((await focused(page)).name, `Delete image #${imageId}`, "the focus stays on the button");
    page.once("dialog", (d) => void d.accept());
    await page.keyboard.press("Enter");
    await page.getByText(`Image #${imageId} and its files deleted.`).waitFor();
    assert.equal((await app.sql("SELECT 1 FROM images WHERE id = $1", [imageId])).length, 0);
    assert.ok(!fs.existsSync(path.join(app.mediaRoot, rel)));
    const audit = await app.sql("SELECT 1 FROM audit_logs WHERE action = 'image.delete' AND target_id = $1", [String(imageId)]);
    assert.equal(audit.length, 1);
  });
  assert.deepEqual(errors, []);
  await context.close();
});
