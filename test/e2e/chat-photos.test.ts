// Photos in chats (#18), in real Chromium: one person sends photos (the paperclip's file picker, then a paste) with
// a caption and a progress bar; the other, elsewhere on a 375-px-wide page, sees the unread count in the tab title
// and beside the phone menu, then sees the photos live in the open chat; a muted chat's photo stays quiet.
// Screenshots at 1280 and 375 px.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../helpers/app";
import { chatOfTwo, logIn as logInAs, useAppAndBrowser, newPage, screenshot } from "../helpers/browser";
import { animatedGif, jpeg, png } from "../gallery/helpers";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

const PASSWORD = "correct horse battery";

const logIn = (page: Page, username: string) => logInAs(page, app, username, PASSWORD);
const chatWith = (a: number, b: number, name: string | null) => chatOfTwo(app, a, b, name);

/**
 * A file pasted into the message box (as Ctrl+V with an image on the clipboard), or dragged over the messages and
 * dropped there.
 */
async function give(page: Page, how: "paste" | "drop", name: string, type: string, data: Buffer) {
  await page.evaluate(
    ({ how, name, type, b64 }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type }));
      if (how === "paste") {
        document.getElementById("f-text")!.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
        return;
      }
      const target = document.getElementById("chat-scroll")!;
      for (const event of ["dragenter", "dragover", "drop"]) target.dispatchEvent(new DragEvent(event, { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    { how, name, type, b64: data.toString("base64") },
  );
}

it("sends photos in a chat: picked and pasted, seen live by the other, counted while elsewhere, quiet when muted", { timeout: 180_000 }, async () => {
  const ola = await app.auth.signup({ username: "ola", email: "ola@example.test", password: PASSWORD });
  const max = await app.auth.signup({ username: "max", email: "max@example.test", password: PASSWORD });
  const direct = await chatWith(ola.id, max.id, null);
  const club = await chatWith(ola.id, max.id, "Choir");

  const sender = await newPage(browser, app.url);
  const reader = await newPage(browser, app.url);
  await sender.page.setViewportSize({ width: 1280, height: 900 });
  await reader.page.setViewportSize({ width: 375, height: 740 });
  await logIn(sender.page, "ola");
  await logIn(reader.page, "max");
  await reader.page.goto("/gallery");

  // Ola picks two photos with the paperclip: previews, then the caption, then Enter sends them.
  await sender.page.goto(`/chats/${club}`);
  assert.match(await sender.page.locator("#photo-attach").getAttribute("title") ?? "", /Attach photos/);
  // Beside it, the way to photos already in the gallery (the paperclip, with JavaScript, opens the device's picker).
  assert.equal(await sender.page.locator("#photo-gallery").getAttribute("title"), "From your gallery");
  await sender.page.locator("#photo-input").setInputFiles([
    { name: "stage.jpg", mimeType: "image/jpeg", buffer: await jpeg(1200, 800) },
    { name: "wave.gif", mimeType: "image/gif", buffer: await animatedGif(80, 60, 4) },
  ]);
  await sender.page.locator("#photo-tray .chat-tray-item").nth(1).waitFor();
  assert.equal(await sender.page.locator("#photo-tray img").count(), 2);
  await screenshot(sender.page, "chat-photos-1280-previews");
  await sender.page.locator("#f-text").fill("From tonight's rehearsal");
  await sender.page.keyboard.press("Enter");
  const sent = sender.page.locator("#messages .chat-msg.mine .chat-photos .chat-photo");
  await sent.nth(1).waitFor();
  assert.equal(await sender.page.locator("#photo-tray").isHidden(), true, "the tray empties once stored");
  assert.equal(await sent.first().locator("img").getAttribute("alt"), "From tonight's rehearsal");
  await screenshot(sender.page, "chat-photos-1280-sent");

  const [row] = await app.sql<{ id: number; n: number; animated: string }>(
    `SELECT m.id, count(i.id)::int AS n, min(i.path) FILTER (WHERE i.position = 1) AS animated
       FROM messages m JOIN images i ON i.message_id = m.id WHERE m.chat_id = $1 GROUP BY m.id`,
    [club],
  );
  assert.equal(row.n, 2, "one message, two photos");

  // Max is on his gallery on a phone: the title and the badge beside the collapsed menu count it.
  await reader.page.waitForFunction(() => document.title.startsWith("(1) "));
  const phoneBadge = reader.page.locator(".nav-unread-phone [data-unread-badge]");
  assert.ok(await phoneBadge.isVisible());
  assert.equal((await phoneBadge.innerText()).trim().split(/\s/)[0], "1");
  await screenshot(reader.page, "chat-photos-375-unread");

  // He opens the chat and sees the photos; Ola pastes one more and it appears for him live.
  await reader.page.goto(`/chats/${club}`);
  await reader.page.locator("#messages .chat-photos .chat-photo").nth(1).waitFor();
  await give(sender.page, "paste", "pasted.png", "image/png", await png(400, 300));
  await sender.page.locator("#photo-tray .chat-tray-item").waitFor();
  await sender.page.locator("#f-text").press("Enter");
  await reader.page.locator("#messages .chat-msg .chat-photos").nth(1).waitFor();
  // And one dropped on the messages.
  await give(sender.page, "drop", "dropped.jpg", "image/jpeg", await jpeg(300, 400));
  await sender.page.locator("#photo-tray .chat-tray-item").waitFor();
  await sender.page.locator("#f-text").press("Enter");
  await reader.page.locator("#messages .chat-msg .chat-photos").nth(2).waitFor();
  assert.equal(await reader.page.locator("#messages .chat-msg .chat-photos").nth(1).locator("img").getAttribute("alt"), "Photo from ola");
  await reader.page.locator("#messages .chat-msg .chat-photos").nth(1).scrollIntoViewIfNeeded();
  await screenshot(reader.page, "chat-photos-375-chat");
  // Seen on the open page: his read position follows (so nothing of the group is unread when he leaves it).
  for (let i = 0; i < 50; i++) {
    const [r] = await app.sql<{ read: boolean }>(
      "SELECT cm.last_read_message_id >= c.last_message_id AS read FROM chat_members cm JOIN chats c ON c.id = cm.chat_id WHERE cm.chat_id = $1 AND cm.user_id = $2",
      [club, max.id],
    );
    if (r.read) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // A thumbnail opens the photo's page, with the chat as its context.
  await reader.page.locator("#messages .chat-photos .chat-photo").first().click();
  await reader.page.waitForURL(new RegExp(`/chats/${club}/photos/\\d+$`));
  assert.match(await reader.page.title(), /From tonight's rehearsal/);
  await screenshot(reader.page, "chat-photos-375-photo-page");
  await reader.page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(reader.page, "chat-photos-1280-photo-page");
  await reader.page.setViewportSize({ width: 375, height: 740 });

  // From the chat, the gallery button opens the picker of his gallery's photos for this chat.
  await reader.page.goto(`/chats/${club}`);
  await reader.page.locator("#photo-gallery").click();
  await reader.page.waitForURL(`${app.url}/chats/${club}/photos/new#from-gallery`);
  assert.ok(await reader.page.locator("#from-gallery").isVisible());

  // Max mutes the direct chat; a photo there is not counted, a message in the group after it is.
  await reader.page.goto(`/chats/${direct}/mute`);
  await reader.page.getByLabel("8 hours").check();
  await reader.page.getByRole("button", { name: "Mute", exact: true }).click();
  await reader.page.waitForURL(`${app.url}/chats/${direct}`);
  await reader.page.goto("/chats");
  assert.doesNotMatch(await reader.page.title(), /^\(/);
  await sender.page.goto(`/chats/${direct}`);
  await sender.page.locator("#photo-input").setInputFiles([{ name: "quiet.jpg", mimeType: "image/jpeg", buffer: await jpeg(300, 200) }]);
  await sender.page.keyboard.press("Enter");
  await sender.page.locator("#messages .chat-msg.mine .chat-photos").waitFor();
  await sender.page.goto(`/chats/${club}`);
  await sender.page.locator("#f-text").fill("Marker");
  await sender.page.keyboard.press("Enter");
  await sender.page.locator("#messages .chat-text", { hasText: "Marker" }).waitFor();
  await reader.page.waitForFunction(() => document.title.startsWith("("));
  assert.equal(await reader.page.title(), "(1) Chats · Hromada", "only the group's message counts");
  await screenshot(reader.page, "chat-photos-375-muted");

  assert.deepEqual(sender.errors, []);
  assert.deepEqual(reader.errors, []);
});
