// Keyboard-only walks in real Chromium (test/e2e/keyboard*.test.ts): where the focus is, whether it is drawn, and
// pressing a key until a named control has it. Every stop on the way must show its focus, so a control whose
// :focus-visible style was lost fails the walk that passes it.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";

export interface Stop {
  name: string;
  tag: string;
  id: string;
  visible: boolean;
  inMain: boolean;
  inDialog: boolean;
}

/** The focused element: its accessible-ish name, and whether its focus is drawn (outline or box-shadow). */
export function focused(page: Page): Promise<Stop> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { name: "", tag: "BODY", id: "", visible: false, inMain: false, inDialog: false };
    const label = (el as HTMLInputElement).labels?.[0]?.textContent ?? "";
    const labelledBy = el.getAttribute("aria-labelledby")?.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
    // A link that holds only a picture is named by the picture's alt text.
    const alt = [...el.querySelectorAll("img[alt]")].map((img) => img.getAttribute("alt")).join(" ");
    const name = (el.getAttribute("aria-label") || labelledBy || label || el.innerText || alt || "").replace(/\s+/g, " ").trim();
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow !== "none" && cs.boxShadow !== "";
    return {
      name, tag: el.tagName, id: el.id,
      visible: el.matches(":focus-visible") && (outline || shadow),
      inMain: !!el.closest("main"),
      inDialog: !!el.closest("dialog, [role=dialog], .modal"),
    };
  });
}

/** Presses `key` until the focused element's name matches; every stop on the way must show its focus. */
export async function tabTo(page: Page, match: RegExp, key = "Tab", max = 80): Promise<Stop> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const stop = await focused(page);
    seen.push(`${stop.tag}:${stop.name.slice(0, 30)}`);
    if (stop.tag !== "BODY") assert.ok(stop.visible, `focus is visible on ${stop.tag} "${stop.name}" (${page.url()})`);
    if (match.test(stop.name)) return stop;
  }
  assert.fail(`no ${match} within ${max} presses of ${key} on ${page.url()}: ${seen.join(" | ")}`);
}

/** The names of the stops Tab visits from here until `until` matches (that stop included): the focus order. */
export async function tabOrder(page: Page, until: RegExp, max = 40): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const stop = await focused(page);
    if (stop.tag !== "BODY") assert.ok(stop.visible, `focus is visible on ${stop.tag} "${stop.name}" (${page.url()})`);
    names.push(stop.name);
    if (until.test(stop.name)) return names;
  }
  assert.fail(`no ${until} within ${max} Tabs on ${page.url()}: ${names.join(" | ")}`);
}

/** The first Tab of a freshly loaded page lands on the skip link, and Enter on it puts focus on the main content. */
export async function skipToContent(page: Page): Promise<void> {
  await page.keyboard.press("Tab");
  const first = await focused(page);
  assert.equal(first.name, "Skip to content", `the first stop on ${page.url()}`);
  assert.ok(first.visible, "the skip link shows when focused");
  await page.keyboard.press("Enter");
  assert.equal((await focused(page)).id, "main", "Enter on the skip link moves focus to the main content");
}

/**
 * Turns on the catching of file choosers for `page` before any key is pressed. Playwright starts catching them
 * when the first listener is added, asynchronously: a chooser opened by the very next key press could slip past
 * and leave a real (headless) dialog open, after which no chooser is reported (seen about one run in three).
 */
export function catchFileChoosers(page: Page): void {
  page.on("filechooser", () => {});
}

/** Presses Space on the focused file input and answers the browser's file chooser with `files` (catchFileChoosers first). */
export async function chooseFiles(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.keyboard.press("Space")]);
  await chooser.setFiles(files);
}
