// Promise: "nothing acknowledged is lost" through a database outage. Postgres (an embedded server of this test's
// own, never the shared one) is stopped under the running app while an upload is inside its transaction, while
// sockets are connected, and while forms are posted; then it comes back. Meanwhile: 503 pages and error acks,
// no crash, no unhandled rejection, no file left without its row. Afterwards, without a restart: the same
// sessions and sockets work, the retried message is stored once, the failed form stored nothing.
// test/production/db-outage.test.ts covers the server process side (503 pages in production mode, probes,
// sessions surviving); this file adds what happens to work in flight.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from "../../src/db/embedded";
import { startTestApp, type TestApp } from "../helpers/app";
import { ask, collect, connect, connected, cookieOf, createGroup, socketFor, type MessageLike } from "../chat/helpers";
import { assertMediaConsistent, imageRows, listFiles, png, upload, uploadToken } from "../gallery/helpers";
import { person, tokenOf, type Person } from "../security/helpers";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-fault-outage-"));
let pgPort: number;
let pg: EmbeddedServer | undefined;
let app: TestApp;
let a: Person;
let b: Person;
const savedEnv = { admin: process.env.TEST_ADMIN_URL, template: process.env.TEST_TEMPLATE_DB };
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);

const startPostgres = () => startEmbeddedPostgres({ dataDir, port: pgPort, persistent: true });

before(async () => {
  pgPort = await freePort();
  pg = await startPostgres();
  // The app's database is made on this embedded server (migrated from scratch), not on the shared one.
  process.env.TEST_ADMIN_URL = pg.adminUrl;
  delete process.env.TEST_TEMPLATE_DB;
  app = await startTestApp();
  [a, b] = await Promise.all([person(app, "oa"), person(app, "ob")]);
  process.on("unhandledRejection", onUnhandled);
  process.on("uncaughtException", onUnhandled);
});

after(async () => {
  process.off("unhandledRejection", onUnhandled);
  process.off("uncaughtException", onUnhandled);
  if (!pg) pg = await startPostgres();
  await app?.close();
  await pg.stop();
  process.env.TEST_ADMIN_URL = savedEnv.admin;
  if (savedEnv.template) process.env.TEST_TEMPLATE_DB = savedEnv.template;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, attempts = 1000): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

it("work in flight when Postgres stops fails cleanly, and the app picks up where it left off when it is back", async () => {
  const chatId = await createGroup(a.agent, "through the outage", [b.username]);
  const [sa, sb] = await Promise.all([connect(app, a.agent), connect(app, b.agent)]);
  assert.deepEqual(await ask(sb, "chat:join", { chatId }), { ok: true });
  const atB = collect<MessageLike>(sb, "chat:message");
  const noteToken = await tokenOf(a);
  const uploadAction = await uploadToken(a.agent);
  const notesBefore = (await app.sql("SELECT id FROM notes")).length;

  // An upload held inside its transaction, its files already placed: a trigger in this database makes its INSERT
  // sleep, until the shutdown ends that very backend. (A lock held by another session would not do: the shutdown
  // might end the lock holder first and let the INSERT commit.)
  await app.sql(`CREATE FUNCTION outage_sleep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$`);
  await app.sql("CREATE TRIGGER outage_sleep BEFORE INSERT ON images FOR EACH ROW EXECUTE FUNCTION outage_sleep()");
  const held = upload(a.agent, "/gallery", uploadAction, [{ filename: "in-flight.png", data: await png(40, 40), contentType: "image/png" }]).then((r) => r);
  await until("the upload's INSERT to be inside the database", async () =>
    (await app.sql("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query ILIKE '%INSERT INTO \"images\"%'")).length ? true : undefined);
  assert.equal(listFiles(app.mediaRoot).filter((f) => !f.startsWith(".tmp/")).length, 2, "its files are in place, its row not yet");

  await pg!.stop();
  pg = undefined;

  const uploaded = await held;
  assert.equal(uploaded.status, 503, `the upload: ${uploaded.status}`);
  assert.match(uploaded.text, /briefly unavailable/);
  assert.deepEqual(listFiles(app.mediaRoot).filter((f) => !f.startsWith(".tmp/")), [], "its placed files were removed with the failed transaction");

  const note = await a.agent.post("/notes").type("form").send({ data: "written during the outage", _csrf: noteToken });
  assert.equal(note.status, 503);
  const clientId = crypto.randomUUID();
  const ack = await ask(sa, "chat:message", { chatId, text: "sent during the outage", clientId });
  assert.deepEqual([ack.ok, ack.code], [false, "server"], "an error ack the client can retry on");
  assert.equal(sa.connected, true, "the socket stays open");
  await assert.rejects(connected(socketFor(app, { cookie: cookieOf(b.agent) })), "a new socket cannot be authenticated meanwhile");

  pg = await startPostgres();
  await until("pages to serve again", async () => ((await a.agent.get("/")).status === 200 ? true : undefined));
  await app.sql("DROP TRIGGER outage_sleep ON images");

  // The client retries what was not acknowledged, with the same client id: stored once, seen once.
  const retry = await ask(sa, "chat:message", { chatId, text: "sent during the outage", clientId });
  assert.equal(retry.ok, true);
  assert.equal((await app.sql("SELECT id FROM messages WHERE client_id = $1", [clientId])).length, 1);
  await ask(sa, "chat:message", { chatId, text: "after", clientId: crypto.randomUUID() });
  await until("b to receive the marker", async () => (atB.some((m) => m.text === "after") ? true : undefined));
  assert.deepEqual(atB.map((m) => m.text), ["sent during the outage", "after"], "b saw the message exactly once");

  assert.equal((await app.sql("SELECT id FROM notes")).length, notesBefore, "the failed form stored nothing");
  assert.equal((await a.agent.post("/notes").type("form").send({ data: "after the outage", _csrf: noteToken })).status, 303, "the same session and token work");
  const again = await upload(a.agent, "/gallery", uploadAction, [{ filename: "after.png", data: await png(40, 40), contentType: "image/png" }]);
  assert.equal(again.status, 303);
  assert.equal((await imageRows(app, a.userId)).length, 1);
  await assertMediaConsistent(app);
  const fresh = await connected(socketFor(app, { cookie: cookieOf(b.agent) }));
  fresh.disconnect();
  sa.disconnect();
  sb.disconnect();
  assert.deepEqual(unhandled, [], "no unhandled rejection or exception");
});
