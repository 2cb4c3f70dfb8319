// A client flooding messages over its socket: error acks past the limit, then a disconnect.
// Its own file: the app here runs with a low CHAT_MESSAGES_PER_10S.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, it } from "node:test";
import type { Socket } from "socket.io-client";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials } from "../helpers/agent";
import { ask, connect, openDirect } from "./helpers";

let limited: TestApp;
before(async () => {
  limited = await startTestApp({ CHAT_MESSAGES_PER_10S: "5" });
});
after(() => limited.close());

const send = (s: Socket, chatId: number, text: string) => ask(s, "chat:message", { chatId, text, clientId: crypto.randomUUID() });
const disconnected = (s: Socket) => new Promise<string>((resolve) => s.once("disconnect", (reason) => resolve(reason)));

it("rate-limits a flood (error acks), then disconnects a persistent flooder; the limit is per socket", async () => {
  const a = await loggedInAgent(limited, newCredentials("flood"));
  const b = await loggedInAgent(limited, newCredentials("flood"));
  const chatId = await openDirect(a.agent, b.userId);
  const sa = await connect(limited, a.agent);
  const sb = await connect(limited, b.agent);
  for (let i = 0; i < 5; i++) assert.equal((await send(sa, chatId, `ok ${i}`)).ok, true);
  for (let i = 0; i < 5; i++) {
    const refused = await send(sa, chatId, `too fast ${i}`);
    assert.deepEqual(refused, { ok: false, error: "You are sending messages too fast. Wait a few seconds.", code: "rate_limited" });
  }
  assert.equal((await send(sb, chatId, "b is not limited by a")).ok, true, "per socket");
  const gone = disconnected(sa);
  const last = await send(sa, chatId, "still flooding");
  assert.equal(last.code, "rate_limited");
  assert.equal(await gone, "io server disconnect");
  const stored = await limited.sql<{ message: string }>("SELECT message FROM messages WHERE chat_id = $1 AND user_id = $2 ORDER BY id", [chatId, a.userId]);
  assert.deepEqual(stored.map((r) => r.message), ["ok 0", "ok 1", "ok 2", "ok 3", "ok 4"]);
  sb.disconnect();
});
