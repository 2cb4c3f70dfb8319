// Two people chat live in two real Chromium contexts: the Message button, sending with Enter, live
// delivery both ways, typing, presence, the navbar badge raised live and cleared on reading (also with the
// chat open in a hidden tab), older history on scroll, and the pages at desktop and phone widths
// (screenshots in test-results/); and the same live chat in Ukrainian, in the readers' saved time zone.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { dateFormatter } from "../../src/i18n/format";
import type { TestApp } from "../helpers/app";
import { useAppAndBrowser, newPage, screenshot } from "../helpers/browser";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

const PASSWORD = "correct horse battery";

async function signup(username: string) {
  const user = await app.auth.signup({ username, email: `${username}@example.test`, password: PASSWORD });
  return user.id;
}

async function logIn(page: Page, username: string) {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app.url}/`);
}

const badge = (page: Page) => page.locator("#nav-unread");
const messages = (page: Page) => page.locator("#messages .chat-msg[data-id] .chat-text");


/** A direct chat between two users, made in the database (as the "Message" button would); returns its id. */
async function directChat(creator: number, other: number): Promise<number> {
  const [{ id }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (is_group, direct_key, creator_id, last_message_at) VALUES (false, $1, $2, now()) RETURNING id",
    [`${Math.min(creator, other)}:${Math.max(creator, other)}`, creator],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [id, creator, other]);
  return id;
}

it("two people exchange messages live, with typing, presence and the unread badge", { timeout: 120_000 }, async () => {
  const aliceId = await signup("alice");
  const bobId = await signup("bob");
  const carolId = await signup("carol");
  const alice = await newPage(browser, app.url);
  const bob = await newPage(browser, app.url);
  await logIn(alice.page, "alice");
  await logIn(bob.page, "bob");

  // A group with some history, so the list and the pages look lived-in.
  const group = await app.sql<{ id: number }>(
    "INSERT INTO chats (chat_name, is_group, creator_id, last_message_at) VALUES ('Weekend hike', true, $1, now() - interval '2 hours') RETURNING id",
    [carolId],
  );
  const groupId = group[0].id;
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3), ($1, $4)", [groupId, aliceId, bobId, carolId]);
  const lines: [number, string][] = [
    [carolId, "Who's up for the Hoverla trail on Saturday?"],
    [aliceId, "Me! What time do we leave?"],
    [carolId, "7:00 from the station. Bring water and a rain jacket, the forecast is mixed."],
    [carolId, "And snacks 🍫"],
    [bobId, "Count me in. I can drive two people."],
  ];
  for (const [who, text] of lines) {
    await app.sql("INSERT INTO messages (chat_id, user_id, message, created_at) VALUES ($1, $2, $3, now() - interval '3 hours')", [groupId, who, text]);
  }
  // Everyone has read the group up to here; carol's weather update is unread for alice only.
  await app.sql(
    "UPDATE chat_members SET last_read_message_id = (SELECT max(id) FROM messages WHERE chat_id = $1) WHERE chat_id = $1",
    [groupId],
  );
  await app.sql("INSERT INTO messages (chat_id, user_id, message, created_at) VALUES ($1, $2, 'Weather update: sunny all day ☀️', now() - interval '2 hours')", [groupId, carolId]);
  await app.sql("UPDATE chat_members SET last_read_message_id = (SELECT max(id) FROM messages WHERE chat_id = $1) WHERE chat_id = $1 AND user_id = $2", [groupId, bobId]);

  // Alice finds Bob in the directory and presses Message.
  await alice.page.goto("/people?q=bo");
  await alice.page.getByRole("button", { name: "Message bob" }).click();
  await alice.page.waitForURL(/\/chats\/\d+$/);
  const chatId = Number(/\/chats\/(\d+)$/.exec(alice.page.url())![1]);
  await alice.page.getByRole("heading", { name: "bob" }).waitFor();
  await alice.page.getByText("Say hello!").waitFor();

  // Bob is on the home page: no unread yet.
  await bob.page.goto("/");
  assert.equal(await badge(bob.page).isHidden(), true, "no badge yet");

  // Alice sends with Enter; the message is confirmed (it gets its stored id) and Bob's badge rises live.
  const input = alice.page.getByLabel("Message", { exact: true });
  await input.fill("Hi Bob! Are you coming on Saturday?");
  await input.press("Enter");
  await alice.page.locator("#messages .chat-msg.mine[data-id]").first().waitFor();
  assert.equal(await input.inputValue(), "", "the box is cleared");
  await badge(bob.page).getByText("1", { exact: false }).waitFor();
  assert.match(await badge(bob.page).innerText(), /^1/);

  // Bob opens his chats: the new chat is first, with its preview and unread count.
  await bob.page.goto("/chats");
  const row = bob.page.locator(`[data-chat-row="${chatId}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Hi Bob! Are you coming on Saturday\?/);
  assert.match(await row.locator(".chat-row-unread").innerText(), /^1/);
  assert.equal(await bob.page.locator("[data-chat-row]").first().getAttribute("data-chat-row"), String(chatId), "most recent first");
  await screenshot(bob.page, "chat-list-1280");
  await bob.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(bob.page, "chat-list-375");
  await bob.page.setViewportSize({ width: 1280, height: 900 });

  // Bob opens the chat: the message is there, the badge is gone, and Alice sees him online.
  await row.locator("a").click();
  await bob.page.waitForURL(`${app.url}/chats/${chatId}`);
  await bob.page.locator("#messages .chat-text", { hasText: "Hi Bob! Are you coming on Saturday?" }).waitFor();
  assert.equal(await badge(bob.page).isHidden(), true, "reading clears the badge");
  await alice.page.locator("#chat-status.chat-online").getByText("online").waitFor();

  // Bob types: Alice sees it; Bob sends: Alice receives it live.
  const bobInput = bob.page.getByLabel("Message", { exact: true });
  await bobInput.pressSequentially("Yes!");
  await alice.page.locator("#typing").getByText("typing…").waitFor();
  await bobInput.fill("Yes! I'll drive. <b>not bold</b>");
  await bob.page.getByRole("button", { name: "Send" }).click();
  await alice.page.locator("#messages .chat-text", { hasText: "I'll drive." }).waitFor();
  assert.equal(
    await alice.page.locator("#messages .chat-text", { hasText: "I'll drive." }).innerText(),
    "Yes! I'll drive. <b>not bold</b>",
    "shown as text, not HTML",
  );
  assert.equal(await alice.page.locator("#messages .chat-text b").count(), 0);
  await alice.page.locator("#typing:empty").waitFor();

  // A few more back and forth, then the pages at both widths.
  for (const [page, text] of [
    [alice.page, "Great, see you at 7 at the station 🚉"],
    [bob.page, "Deal. I'll bring the thermos."],
    [alice.page, "Perfect 👍"],
  ] as const) {
    const box = page.getByLabel("Message", { exact: true });
    await box.fill(text);
    await box.press("Enter");
    await alice.page.locator("#messages .chat-text", { hasText: text }).waitFor();
    await bob.page.locator("#messages .chat-text", { hasText: text }).waitFor();
  }
  assert.deepEqual(await messages(alice.page).allInnerTexts(), await messages(bob.page).allInnerTexts(), "both see the same history");
  const rows = await app.sql<{ user_id: number; message: string }>("SELECT user_id, message FROM messages WHERE chat_id = $1 ORDER BY id", [chatId]);
  assert.deepEqual(rows.map((r) => r.message), await messages(alice.page).allInnerTexts(), "as stored, in id order");
  assert.deepEqual(rows.map((r) => r.user_id), [aliceId, bobId, aliceId, bobId, aliceId]);
  await screenshot(alice.page, "chat-direct-1280");
  await alice.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(alice.page, "chat-direct-375");
  await alice.page.setViewportSize({ width: 1280, height: 900 });

  // A message in another chat raises Alice's badge while she stays here; the sidebar row shows it.
  const carol = await newPage(browser, app.url);
  await logIn(carol.page, "carol");
  await carol.page.goto(`/chats/${groupId}`);
  await carol.page.getByLabel("Message", { exact: true }).fill("Bob, can you pick me up too?");
  await carol.page.getByLabel("Message", { exact: true }).press("Enter");
  await badge(alice.page).getByText("2", { exact: false }).waitFor();
  await alice.page.locator(`[data-chat-row="${groupId}"] .chat-row-preview`, { hasText: "carol: Bob, can you pick me up too?" }).waitFor();

  await alice.page.goto(`/chats/${groupId}`);
  await alice.page.locator("#messages .chat-text", { hasText: "Bob, can you pick me up too?" }).waitFor();
  assert.equal(await alice.page.locator("#unread").count(), 1, "a divider where the unread messages start");
  assert.equal(await badge(alice.page).isHidden(), true);
  await screenshot(alice.page, "chat-group-1280");

  // A live group message is a clone of the page's one message template: the same markup as the server renders.
  const shape = (page: Page, text: string) =>
    page.locator("#messages .chat-msg", { hasText: text }).evaluate((li) =>
      [li, ...li.querySelectorAll("*")].map((n) => `${n.tagName}.${[...n.classList].filter((c) => c !== "continued").sort().join(".")}[${n.getAttribute("aria-label") ?? ""}]${n.children.length ? "" : n.textContent}`));
  await carol.page.getByLabel("Message", { exact: true }).fill("Leaving at 7 sharp");
  await carol.page.getByLabel("Message", { exact: true }).press("Enter");
  await alice.page.locator("#messages .chat-text", { hasText: "Leaving at 7 sharp" }).waitFor();
  const live = await shape(alice.page, "Leaving at 7 sharp");
  assert.ok(live.includes("DIV.chat-author[]carol") && live.some((n) => n.startsWith("SPAN.avatar.avatar-32.avatar-placeholder.rounded-circle[carol's avatar]")), live.join("\n"));
  await screenshot(alice.page, "chat-group-live-1280");
  await alice.page.reload();
  assert.deepEqual(await shape(alice.page, "Leaving at 7 sharp"), live, "rendered by the server after a reload: the same markup");
  await alice.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(alice.page, "chat-group-375");

  // The other chat pages, as people see them (screenshots only; their behaviour is tested over HTTP).
  await carol.page.goto(`/chats/${groupId}/settings`);
  await carol.page.getByLabel("Add people").fill("nobody_by_this_name");
  await carol.page.getByRole("button", { name: "Add", exact: true }).click();
  await carol.page.getByText('There is no user called "nobody_by_this_name".').waitFor();
  await screenshot(carol.page, "chat-settings-1280");
  await carol.page.goto("/chats/new?with=bob");
  // The profile's "new group with" name is already chosen in the member picker.
  await carol.page.getByRole("button", { name: "Remove bob" }).waitFor();
  assert.equal(await carol.page.locator('input[type=hidden][name="members"]').inputValue(), "bob");
  await carol.page.getByRole("button", { name: "Create group" }).click();
  await carol.page.getByText("Give the group a name.").waitFor();
  await screenshot(carol.page, "chat-new-error-1280");
  await carol.page.goto("/people");
  await screenshot(carol.page, "people-1280");
  await carol.page.goto("/people/bob");
  await screenshot(carol.page, "people-profile-1280");
  await carol.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(carol.page, "people-profile-375");
  await carol.page.goto("/people");
  await screenshot(carol.page, "people-375");
  await carol.page.goto(`/chats/${groupId}/settings`);
  await screenshot(carol.page, "chat-settings-375");

  for (const p of [alice, bob, carol]) assert.deepEqual(p.errors, [], "no console errors or CSP violations");
  await Promise.all([alice.context.close(), bob.context.close(), carol.context.close()]);
});

it("loads older history when scrolled to the top, and works with JavaScript off", { timeout: 120_000 }, async () => {
  const daria = await signup("daria");
  const egor = await signup("egor");
  const chatId = await directChat(daria, egor);
  await app.sql(
    "INSERT INTO messages (chat_id, user_id, message) SELECT $1, CASE WHEN i % 3 = 0 THEN $2::int ELSE $3::int END, 'line ' || i FROM generate_series(1, 130) i ORDER BY i",
    [chatId, daria, egor],
  );

  const d = await newPage(browser, app.url);
  await logIn(d.page, "daria");
  await d.page.goto(`/chats/${chatId}`);
  await d.page.locator("#messages .chat-text", { hasText: /^line 130$/ }).waitFor();
  assert.equal(await messages(d.page).count(), 50);
  assert.ok(await d.page.locator("#messages .chat-text", { hasText: /^line 130$/ }).isVisible(), "opens at the newest message");
  // Scrolling to the top loads older pages in place until the beginning.
  for (let i = 0; i < 5 && (await d.page.locator("#history-start, #older-wrap p").count()) === 0; i++) {
    await d.page.locator("#load-older").scrollIntoViewIfNeeded().catch(() => {});
    await d.page.waitForFunction((n) => document.querySelectorAll("#messages .chat-msg[data-id]").length > n || !document.getElementById("load-older"), await messages(d.page).count());
  }
  await d.page.getByText("This is the beginning of the chat.").waitFor();
  const texts = await messages(d.page).allInnerTexts();
  assert.equal(texts.length, 130);
  assert.deepEqual(texts, Array.from({ length: 130 }, (_, i) => `line ${i + 1}`), "in order, no gaps or duplicates");
  assert.deepEqual(d.errors, []);
  await d.context.close();

  // With JavaScript off, the page shows the history and the form posts.
  const context = await browser.newContext({ baseURL: app.url, javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await logIn(page, "egor");
  await page.goto(`/chats/${chatId}`);
  assert.equal(await messages(page).count(), 50);
  await page.getByRole("link", { name: "Load older messages" }).click();
  await page.waitForURL(/\?before=\d+$/);
  assert.equal(await messages(page).first().innerText(), "line 31");
  await page.getByRole("link", { name: "Jump to the latest messages" }).click();
  await page.getByLabel("Message", { exact: true }).fill("Sent without JavaScript");
  await page.getByRole("button", { name: "Send" }).click();
  await page.waitForURL(`${app.url}/chats/${chatId}`);
  await page.locator("#messages .chat-text", { hasText: "Sent without JavaScript" }).waitFor();
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByText("Write a message.").waitFor();
  const stored = await app.sql<{ user_id: number }>("SELECT user_id FROM messages WHERE chat_id = $1 AND message = 'Sent without JavaScript'", [chatId]);
  assert.deepEqual(stored, [{ user_id: egor }]);
  await context.close();
});

it("counts a message as unread while its chat is open in a hidden tab, and clears it once the tab is shown", { timeout: 120_000 }, async () => {
  const frank = await signup("frank");
  const gina = await signup("gina");
  const chatId = await directChat(frank, gina);
  const readPosition = async () =>
    (await app.sql<{ id: number }>("SELECT last_read_message_id AS id FROM chat_members WHERE chat_id = $1 AND user_id = $2", [chatId, gina]))[0].id;
  const newest = async () => (await app.sql<{ id: number }>("SELECT max(id) AS id FROM messages WHERE chat_id = $1", [chatId]))[0].id;

  const f = await newPage(browser, app.url);
  const g = await newPage(browser, app.url);
  // Headless Chromium never hides a tab; chat.js and notify.js only read document.visibilityState and listen
  // for visibilitychange, so the test drives exactly those (through the DevTools protocol: the CSP still holds).
  // (Strings: tsx compiles a named inner function to a call of a helper the page does not have.)
  await g.context.addInitScript({
    content: `{
      let state = "visible";
      Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get() { return state; } });
      Object.defineProperty(Document.prototype, "hidden", { configurable: true, get() { return state !== "visible"; } });
      window.setVisibility = function (s) { state = s; document.dispatchEvent(new Event("visibilitychange")); };
    }`,
  });
  const setVisibility = (page: Page, s: "visible" | "hidden") => page.evaluate(`window.setVisibility(${JSON.stringify(s)})`);
  await logIn(f.page, "frank");
  await logIn(g.page, "gina");
  await f.page.goto(`/chats/${chatId}`);
  await g.page.goto(`/chats/${chatId}`);
  const elsewhere = await g.context.newPage(); // gina's second tab, on her chat list
  await elsewhere.goto("/chats");
  await Promise.all([f.page, g.page].map((p) => p.locator("#chat-status.chat-online").waitFor())); // both joined the room
  // Every number a tab's badge shows from now on, not just the last one ("" when hidden).
  const watchBadge = (page: Page) =>
    page.evaluate(`{
      const b = document.getElementById("nav-unread");
      const now = function () { return b.firstChild && b.firstChild.nodeType === Node.TEXT_NODE ? b.firstChild.nodeValue : ""; };
      const seen = [now()];
      window.badgeSeen = seen;
      new MutationObserver(function () { if (now() !== seen.at(-1)) seen.push(now()); })
        .observe(b, { childList: true, characterData: true, subtree: true });
    }`);
  const badgeSeen = (page: Page) => page.evaluate<string[]>("window.badgeSeen");
  const badgeWent = (page: Page, values: string[]) =>
    page.waitForFunction((v) => JSON.stringify((window as unknown as { badgeSeen: string[] }).badgeSeen) === v, JSON.stringify(values));
  await Promise.all([watchBadge(g.page), watchBadge(elsewhere)]);
  const pill = (page: Page) => page.locator(`[data-chat-row="${chatId}"] .chat-row-unread`);
  const send = async (text: string) => {
    const box = f.page.getByLabel("Message", { exact: true });
    await box.fill(text);
    await box.press("Enter");
    await g.page.locator("#messages .chat-text", { hasText: text }).waitFor();
  };

  // Open and visible: read at once. The open tab's badge never rises; the other tab's rises, then clears.
  await send("Are you there?");
  await badgeWent(elsewhere, ["", "1", ""]);
  assert.equal(await readPosition(), await newest());
  assert.deepEqual(await badgeSeen(g.page), [""], "the open, visible tab never counted it");

  // Open but hidden: it counts in both tabs and in the open tab's chat list, and is not read.
  await setVisibility(g.page, "hidden");
  await send("Call me when you see this");
  await badgeWent(g.page, ["", "1"]);
  await pill(g.page).getByText("1", { exact: false }).waitFor();
  await send("And this one");
  await badgeWent(g.page, ["", "1", "2"]);
  await badgeWent(elsewhere, ["", "1", "", "1", "2"]);
  assert.match(await pill(g.page).innerText(), /^2/);
  assert.match(await pill(elsewhere).innerText(), /^2/);
  assert.ok((await readPosition()) < (await newest()), "not read while hidden");

  // Shown again: read, and both badges and the row clear.
  await setVisibility(g.page, "visible");
  await badgeWent(g.page, ["", "1", "2", ""]);
  await badgeWent(elsewhere, ["", "1", "", "1", "2", ""]);
  assert.equal(await pill(g.page).isHidden(), true);
  assert.equal(await badge(g.page).isHidden(), true);
  assert.equal(await readPosition(), await newest());

  for (const p of [f, g]) assert.deepEqual(p.errors, [], "no console errors or CSP violations");
  await Promise.all([f.context.close(), g.context.close()]);
});

it("tells a member whose group page is open that they were removed: the composer disables, the chat leaves the list", { timeout: 120_000 }, async () => {
  const danaId = await signup("dana");
  const erikId = await signup("erik");
  const [{ id: groupId }] = await app.sql<{ id: number }>(
    "INSERT INTO chats (chat_name, is_group, creator_id, last_message_at) VALUES ('Book club', true, $1, now()) RETURNING id",
    [danaId],
  );
  await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3)", [groupId, danaId, erikId]);
  await app.sql("INSERT INTO messages (chat_id, user_id, message) VALUES ($1, $2, 'Next book: Shadows of Forgotten Ancestors')", [groupId, danaId]);
  const dana = await newPage(browser, app.url);
  const erik = await newPage(browser, app.url);
  await logIn(dana.page, "dana");
  await logIn(erik.page, "erik");
  await erik.page.goto(`/chats/${groupId}`);
  await erik.page.locator("#chat-status").getByText(/online|member/).waitFor();
  await erik.page.getByLabel("Message", { exact: true }).fill("I have started reading");
  const row = erik.page.locator(`[data-chat-row="${groupId}"]`);
  assert.equal(await row.count(), 1, "the group is in erik's sidebar");

  await dana.page.goto(`/chats/${groupId}/settings`);
  await dana.page.getByRole("button", { name: /Remove erik/ }).click();
  await dana.page.getByRole("dialog", { name: "Remove from the group" }).getByRole("button", { name: "Remove" }).click();
  await dana.page.getByText("Removed erik from the group.").waitFor();

  const notice = erik.page.getByRole("status").filter({ hasText: "You were removed from this group" });
  await notice.waitFor();
  assert.equal(await erik.page.getByLabel("Message", { exact: true }).isDisabled(), true, "the composer is disabled");
  assert.equal(await erik.page.getByRole("button", { name: "Send" }).isDisabled(), true);
  await row.waitFor({ state: "detached" });
  assert.equal(await erik.page.locator("#chat-status").textContent(), "You are no longer a member");
  await screenshot(erik.page, "chat-removed-1280");
  const members = await app.sql("SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2", [groupId, erikId]);
  assert.deepEqual(members, []);
  assert.deepEqual([...dana.errors, ...erik.errors], []);
  await dana.context.close();
  await erik.context.close();
});

it("in Ukrainian: a live message arrives under its Ukrainian day divider, with its time in the reader's saved zone", { timeout: 120_000 }, async () => {
  const olenaId = await signup("olena_uk");
  const tarasId = await signup("taras_uk");
  const chatId = await directChat(olenaId, tarasId);
  await app.sql("INSERT INTO messages (chat_id, user_id, message, created_at) VALUES ($1, $2, 'Привіт! Як справи?', now() - interval '1 day')", [chatId, tarasId]);
  // The browsers are in New York (logging in saves that zone); then each account is set to Ukrainian and Kyiv, as
  // on the profile page: the page must show Kyiv time, the zone saved on the account, not the browser's.
  const open = async (username: string, userId: number) => {
    const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 }, timezoneId: "America/New_York" });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await logIn(page, username);
    await app.sql("UPDATE users SET locale = 'uk', time_zone = 'Europe/Kiev' WHERE id = $1", [userId]);
    await page.goto(`/chats/${chatId}`);
    return { context, page, errors };
  };
  const olena = await open("olena_uk", olenaId);
  const taras = await open("taras_uk", tarasId);
  assert.equal(await olena.page.locator("html").getAttribute("lang"), "uk");
  await olena.page.locator("#chat-status.chat-online").getByText("у мережі").waitFor();

  const box = taras.page.getByLabel("Повідомлення", { exact: true });
  await box.pressSequentially("Усе");
  await olena.page.locator("#typing").getByText("друкує…").waitFor();
  await box.fill("Усе добре, дякую! Зустрінемося о сьомій?");
  await taras.page.getByRole("button", { name: "Надіслати" }).click();
  const live = olena.page.locator("#messages .chat-msg[data-id]", { hasText: "Зустрінемося о сьомій?" });
  await live.waitFor();

  const [stored] = await app.sql<{ created_at: Date }>("SELECT created_at FROM messages WHERE chat_id = $1 AND user_id = $2 AND message LIKE 'Усе добре%'", [chatId, tarasId]);
  const kyiv = dateFormatter("uk", "Europe/Kiev");
  assert.equal(await live.locator(".chat-time").innerText(), kyiv.time(stored.created_at), "the time in Kyiv, as notes print it");
  assert.equal(await live.locator(".chat-time").getAttribute("title"), kyiv.dateTime(stored.created_at));
  assert.deepEqual(await olena.page.locator("#messages .chat-day").allInnerTexts(), ["Учора", "Сьогодні"], "day dividers in Ukrainian");
  // The divider right before the live message is today's.
  assert.equal(await live.evaluate((li) => li.previousElementSibling?.textContent), "Сьогодні");
  assert.equal(await olena.page.locator("#chat-empty").count(), 0);
  await screenshot(olena.page, "chat-uk-live-1280");
  await olena.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(olena.page, "chat-uk-live-375");

  // Her chat list, in Ukrainian with the same clock time.
  await olena.page.setViewportSize({ width: 1280, height: 900 });
  await olena.page.goto("/chats");
  assert.equal(await olena.page.locator(`[data-chat-row="${chatId}"] .chat-row-time`).innerText(), kyiv.time(stored.created_at));
  await screenshot(olena.page, "chat-uk-list-1280");
  assert.deepEqual([...olena.errors, ...taras.errors], [], "no console errors or CSP violations");
  await Promise.all([olena.context.close(), taras.context.close()]);
});
