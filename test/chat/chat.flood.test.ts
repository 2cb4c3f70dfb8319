// The chat flood limit: one budget per person (CHAT_MESSAGES_PER_10S) over every socket and the plain form.
// Its own file: the app here runs with a low limit. (Across processes: chat.cluster.test.ts.)
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { Socket } from "socket.io-client";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials } from "../helpers/agent";
import { connect, openDirect, postMessage } from "./helpers";
import { send } from "./removal";

const LIMIT = 5;
let limited: TestApp;
before(async () => {
  limited = await startTestApp({ CHAT_MESSAGES_PER_10S: String(LIMIT) });
});
after(() => limited.close());

const tooFast = { ok: false, error: "You are sending messages too fast. Wait a few seconds.", code: "rate_limited" };
const disconnected = (s: Socket) => new Promise<string>((resolve) => s.once("disconnect", (reason) => resolve(reason)));

async function pair() {
  const a = await loggedInAgent(limited, newCredentials("flood"));
  const b = await loggedInAgent(limited, newCredentials("flood"));
  const chatId = await openDirect(a.agent, b.userId);
  const stored = async (userId: number) =>
    (await limited.sql<{ message: string }>("SELECT message FROM messages WHERE chat_id = $1 AND user_id = $2 ORDER BY id", [chatId, userId]))
      .map((r) => r.message);
  return { a, b, chatId, stored };
}

it("counts two sockets of one person against one budget, and disconnects a persistent flooder", async () => {
  const { a, b, chatId, stored } = await pair();
  const [one, two, other] = await Promise.all([connect(limited, a.agent), connect(limited, a.agent), connect(limited, b.agent)]);
  for (let i = 0; i < LIMIT; i++) assert.equal((await send(i % 2 ? one : two, chatId, `ok ${i}`)).ok, true);
  assert.deepEqual(await send(one, chatId, "over, first tab"), tooFast);
  assert.deepEqual(await send(two, chatId, "over, second tab"), tooFast, "a second connection starts no fresh budget");
  assert.equal((await send(other, chatId, "b has a budget of its own")).ok, true);
  for (let i = 0; i < LIMIT - 2; i++) assert.deepEqual(await send(one, chatId, `still over ${i}`), tooFast);
  const gone = disconnected(one);
  assert.deepEqual(await send(one, chatId, "flooding"), tooFast);
  assert.equal(await gone, "io server disconnect");
  assert.deepEqual(await stored(a.userId), ["ok 0", "ok 1", "ok 2", "ok 3", "ok 4"]);
  two.disconnect();
  other.disconnect();
});

it("counts the plain form and the socket against one budget; the form answers 429 and keeps the text", async () => {
  const { a, chatId, stored } = await pair();
  const socket = await connect(limited, a.agent);
  for (let i = 0; i < 3; i++) assert.equal((await postMessage(a.agent, chatId, `form ${i}`)).status, 303);
  for (let i = 0; i < 2; i++) assert.equal((await send(socket, chatId, `socket ${i}`)).ok, true);
  assert.deepEqual(await send(socket, chatId, "socket, over"), tooFast, "the form's messages count for the socket");
  const res = await postMessage(a.agent, chatId, "Typed with care <and kept>");
  assert.equal(res.status, 429);
  assert.match(res.text, /You are sending messages too fast\. Wait a few seconds\./);
  assert.match(res.text, /<textarea[^>]*id="f-text"[^>]*aria-invalid="true"[^>]*>Typed with care &lt;and kept&gt;<\/textarea>/, "the text is back in the composer");
  assert.deepEqual(await stored(a.userId), ["form 0", "form 1", "form 2", "socket 0", "socket 1"]);
  socket.disconnect();
});
