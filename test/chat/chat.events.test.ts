// The browser's list of socket event names (public/js/chat/events.js) and the server's declarations
// (src/chat/chat.events.ts) name the same events: a renamed or added event cannot be missed on one side.
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { it } from "node:test";
import { eventNames } from "../../src/chat/chat.events";

it("declares the same client->server and server->client events for the browser as for the server", async () => {
  const browser = (await import(pathToFileURL(path.resolve(__dirname, "../../public/js/chat/events.js")).href)) as {
    CLIENT: Record<string, string>;
    SERVER: Record<string, string>;
  };
  assert.deepEqual(Object.values(browser.CLIENT).sort(), [...eventNames.client].sort());
  assert.deepEqual(Object.values(browser.SERVER).sort(), [...eventNames.server].sort());
});
