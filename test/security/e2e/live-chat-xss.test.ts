// Promise: "the browser is protected", in the live chat, in a real browser (runs with `npm run test:e2e`).
// An attacker in a group sends script, event-handler, javascript: and broken-quote payloads over the socket and
// renames the group to one; the victim has the chat open in one tab and the chat list in another. Every payload
// arrives as text (textContent): no element is created from it, nothing runs, no dialog opens — and not merely
// because the CSP would block it: the DOM itself holds no injected element.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { TestApp } from "../../helpers/app";
import { loggedInAgent, newCredentials, tokenFor } from "../../helpers/agent";
import { useAppAndBrowser, newPage, screenshot } from "../../helpers/browser";
import { ask, connect, createGroup } from "../../chat/helpers";
import { PAYLOADS } from "../markup";

let app: TestApp;
let browser: Browser;
useAppAndBrowser((a, b) => {
  app = a;
  browser = b;
});

/** Payloads that would leave a mark on window if they ever ran. */
const MARKING = [
  `<img src=x onerror="window.__xss=1">`,
  `<script>window.__xss=1</script>`,
  `<svg><animate onbegin="window.__xss=1" attributeName=x dur=1s>`,
  `<a href="javascript:window.__xss=1" id=xsslink>click</a>`,
];

async function injected(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    if ((window as unknown as { __xss?: unknown }).__xss !== undefined) found.push("window.__xss was set");
    for (const el of document.querySelectorAll("#messages *, .chat-row-preview *, #chat-title *, #typing *")) {
      if (!["SPAN", "DIV", "LI", "TIME", "BUTTON", "A"].includes(el.tagName) || el.id === "xsslink") found.push(`<${el.tagName.toLowerCase()}> in ${el.parentElement?.className}`);
      for (const attr of el.getAttributeNames()) if (attr.startsWith("on")) found.push(`${attr} on <${el.tagName.toLowerCase()}>`);
    }
    for (const a of document.querySelectorAll("a[href]")) if (/^javascript:/i.test(a.getAttribute("href") ?? "")) found.push(`javascript: link ${a.outerHTML}`);
    for (const s of document.querySelectorAll("script")) if (!s.src) found.push("an inline script");
    return found;
  });
}

it("payloads sent live render as text in the open chat, the chat list and the title; nothing runs", { timeout: 120_000 }, async () => {
  const victimCreds = newCredentials("victim");
  await app.auth.signup(victimCreds);
  const attacker = await loggedInAgent(app, newCredentials("attacker"));
  const chatId = await createGroup(attacker.agent, "plain name", [victimCreds.username]);

  const chatTab = await newPage(browser, app.url);
  const listTab = await newPage(browser, app.url);
  const dialogs: string[] = [];
  for (const t of [chatTab, listTab]) t.page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await chatTab.page.goto("/login");
  await chatTab.page.getByLabel("Username or email").fill(victimCreds.username);
  await chatTab.page.getByLabel("Password").fill(victimCreds.password);
  await chatTab.page.keyboard.press("Enter");
  await chatTab.page.waitForURL(`${app.url}/`);
  await listTab.context.addCookies(await chatTab.context.cookies());
  await chatTab.page.goto(`/chats/${chatId}`);
  await listTab.page.goto("/chats");
  // Live: the chat page has joined the room (its status line leaves "Connecting…").
  await chatTab.page.waitForFunction(() => !/Connecting/.test(document.getElementById("chat-status")?.textContent ?? "Connecting"));

  const s = await connect(app, attacker.agent);
  try {
    for (const text of [...PAYLOADS, ...MARKING]) {
      const ack = await ask(s, "chat:message", { chatId, text, clientId: crypto.randomUUID() });
      assert.equal(ack.ok, true, text);
      const shown = chatTab.page.locator("#messages .chat-msg[data-id] .chat-text").filter({ hasText: text.trim() }).last();
      await shown.waitFor();
      assert.equal(await shown.textContent(), text, `shown exactly as typed: ${text}`);
      await listTab.page.locator(".chat-row-preview").filter({ hasText: text.trim() }).first().waitFor();
    }
    // A rename arrives live too (chat:renamed) and lands in the heading and the tab title as text.
    const name = MARKING[0];
    const renamed = await attacker.agent.post(`/chats/${chatId}/rename`).type("form").send({ name, _csrf: await tokenFor(attacker.agent, `/chats/${chatId}/settings`) });
    assert.equal(renamed.status, 303);
    await chatTab.page.waitForFunction((n) => document.getElementById("chat-title")?.textContent === n, name);
    assert.ok((await chatTab.page.title()).startsWith(name));
  } finally {
    s.disconnect();
  }

  for (const [label, t] of [["chat", chatTab], ["list", listTab]] as const) {
    assert.deepEqual(await injected(t.page), [], `${label} tab: no element, handler or script came from the payloads`);
  }
  // After a reload the server-rendered page is just as inert.
  await chatTab.page.reload();
  await chatTab.page.locator("#messages .chat-msg[data-id]").last().waitFor();
  assert.deepEqual(await injected(chatTab.page), [], "reloaded chat page");
  assert.deepEqual(dialogs, [], "no dialog opened");
  await screenshot(chatTab.page, "security-live-chat-xss");
  // The check itself sees an element that was inserted as HTML (so its empty answers above mean something).
  await chatTab.page.evaluate(() => document.getElementById("messages")!.insertAdjacentHTML("beforeend", "<li class=chat-msg><img src=x></li>"));
  assert.equal((await injected(chatTab.page)).length, 1);
});
