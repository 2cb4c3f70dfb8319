// Search across my chats: full text (Latin and Cyrillic) and substring, the notes' query language, only my chats,
// never deleted text, and a result opens the chat at that message with its context.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials } from "../helpers/agent";
import { createGroup, openDirect, postMessage } from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const ids = (html: string) => [...html.matchAll(/\?around=(\d+)#m-/g)].map((m) => Number(m[1]));

it("finds messages in my chats only, in both alphabets, with chat, author, time and a marked excerpt", async () => {
  const a = await loggedInAgent(app, newCredentials("srch"));
  const b = await loggedInAgent(app, newCredentials("srch"));
  const outsider = await loggedInAgent(app, newCredentials("srch"));
  const direct = await openDirect(a.agent, b.userId);
  const group = await createGroup(b.agent, "Похід", [a.creds.username]);
  const theirs = await openDirect(outsider.agent, b.userId);
  await postMessage(a.agent, direct, "Let's meet at the station tomorrow");
  await postMessage(b.agent, group, "Зустрічаємося на вокзалі о дев'ятій");
  await postMessage(b.agent, group, "deleted station talk");
  await postMessage(outsider.agent, theirs, "secret station meeting");
  const [{ id: gone }] = await app.sql<{ id: number }>("SELECT id FROM messages WHERE message = 'deleted station talk'");
  await app.sql("UPDATE messages SET message = '', deleted_at = now() WHERE id = $1", [gone]);
  const [{ id: latin }] = await app.sql<{ id: number }>("SELECT id FROM messages WHERE chat_id = $1", [direct]);

  const res = await a.agent.get("/chats/search?q=station");
  assert.equal(res.status, 200);
  assert.deepEqual(ids(res.text), [latin], "not another's chat, not a deleted message");
  assert.match(res.text, new RegExp(`href="/chats/${direct}\\?around=${latin}#m-${latin}"`));
  assert.match(res.text, /<mark>station<\/mark>/);
  assert.match(res.text, new RegExp(`data-user-content>${b.creds.username}</span>`), "a direct chat is titled by the other person");

  const uk = await a.agent.get(`/chats/search?q=${encodeURIComponent("вокзалі")}`);
  assert.equal(ids(uk.text).length, 1);
  assert.match(uk.text, /data-user-content>Похід<\/span>/);
  assert.match(uk.text, /<mark>вокзалі<\/mark>/);
  // The notes' language: -exclusion and a short substring query.
  assert.deepEqual(ids((await a.agent.get("/chats/search?q=station -tomorrow")).text), []);
  assert.equal(ids((await a.agent.get("/chats/search?q=о%20д")).text).length, 1);
  assert.match((await a.agent.get("/chats/search?q=nothinglikethis")).text, /id="search-empty"/);
  assert.doesNotMatch((await a.agent.get("/chats/search")).text, /search-empty|search-results/);

  // The result opens the chat at that message.
  const opened = await a.agent.get(`/chats/${direct}?around=${latin}`);
  assert.equal(opened.status, 200);
  assert.match(opened.text, new RegExp(`id="m-${latin}"`));
  assert.equal((await outsider.agent.get(`/chats/${direct}?around=${latin}`)).status, 404);
});
