// One account must not monopolise image processing (#18): a burst of large animations from one person leaves the
// next person's upload waiting for at most the job already running, and an upload that would take a person past
// IMAGE_BACKLOG_PER_USER images in progress is refused whole (429, in words, in both languages) on every upload
// path, leaving no row and no file. Real Postgres, real images, the app's own shared worker pool.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import { admitImages, imageBacklogOf, imageWorkerStats } from "../../src/gallery/image-pipeline";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent, newCredentials, type Agent } from "../helpers/agent";
import { ask, closeAll, connect, createGroup } from "../chat/helpers";
import { animatedGif, assertMediaConsistent, imageRows, jpeg, png, upload, uploadToken, type FilePart } from "./helpers";

const BACKLOG = 4;
let app: TestApp;
/** An animation that keeps a worker busy for a second or so (a maximal one takes 9-14 s). */
let anim: Buffer;
before(async () => {
  app = await startTestApp({ IMAGE_BACKLOG_PER_USER: String(BACKLOG), IMAGE_JOBS_PER_USER: "1" });
  anim = await animatedGif(200, 200, 40);
});
after(() => app.close());

const user = () => loggedInAgent(app, newCredentials("fair"));

async function until<T>(what: string, probe: () => T | undefined | false, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 5))) {
    const v = probe();
    if (v) return v;
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A person's jobs in the shared pool right now. */
const jobsOf = (userId: number) => imageWorkerStats().owners.find((o) => o.owner === userId) ?? { running: 0, queued: 0 };

const counts = async (userId: number) =>
  (
    await app.sql<{ messages: number; images: number }>(
      "SELECT (SELECT count(*)::int FROM messages WHERE user_id = $1) AS messages, (SELECT count(*)::int FROM images WHERE owner_id = $1) AS images",
      [userId],
    )
  )[0];

/** The chat photo form's token (in its action URL). */
const photoToken = (a: Agent, chatId: number) => uploadToken(a, `/chats/${chatId}/photos/new`);

function sendPhotos(a: Agent, chatId: number, token: string, files: FilePart[], { json = true, lang }: { json?: boolean; lang?: string } = {}) {
  let req = upload(a, `/chats/${chatId}/photos`, token, files.map((f) => ({ field: "photos", ...f })), {
    field: "photos",
    fields: { client_id: crypto.randomUUID() },
  });
  if (json) req = req.set("Accept", "application/json");
  if (lang) req = req.set("Accept-Language", lang);
  return req;
}

describe("one person's burst of animations", () => {
  it("does not hold up another person's upload for more than the job already running; the burst is stored whole later", async () => {
    const [a, b] = await Promise.all([user(), user()]);
    const [tokenA, tokenB] = await Promise.all([uploadToken(a.agent), uploadToken(b.agent)]);
    const burst = upload(a.agent, "/gallery", tokenA, Array.from({ length: BACKLOG }, (_, i) => ({ filename: `anim-${i}.gif`, data: anim, contentType: "image/gif" })))
      .then((r) => r);
    // A's whole upload is in the pool: one running (IMAGE_JOBS_PER_USER), the rest waiting.
    await until("A's burst to be queued", () => {
      const j = jobsOf(a.userId);
      return j.running === 1 && j.queued === BACKLOG - 1;
    });

    const res = await upload(b.agent, "/gallery", tokenB, [{ filename: "mine.jpg", data: await jpeg(640, 480) }]);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.deepEqual((await imageRows(app, b.userId)).map((r) => r.original_name), ["mine.jpg"]);
    // B's image is stored while A's burst is still going: at most the job that was running when B came (and, with a
    // second worker, the one beside B's) has finished; in order of arrival all of A's would have come first.
    const left = jobsOf(a.userId);
    assert.ok(left.running + left.queued >= BACKLOG - 2, `A still has images in progress: ${JSON.stringify(left)}`);
    assert.equal((await imageRows(app, a.userId)).length, 0, "A's upload (one transaction) has not been stored yet");

    const stored = await burst;
    assert.equal(stored.status, 303, stored.text.slice(0, 300));
    assert.deepEqual((await imageRows(app, a.userId)).map((r) => r.original_name), Array.from({ length: BACKLOG }, (_, i) => `anim-${i}.gif`));
    assert.equal(imageBacklogOf(a.userId), 0, "every place given back");
    assert.deepEqual(jobsOf(a.userId), { running: 0, queued: 0 });
    await assertMediaConsistent(app);
  });

  it("while it is in progress, the same person's next gallery upload is refused whole (429, on the form), and accepted once it is done", async () => {
    const a = await user();
    const token = await uploadToken(a.agent);
    const burst = upload(a.agent, "/gallery", token, Array.from({ length: BACKLOG }, (_, i) => ({ filename: `anim-${i}.gif`, data: anim, contentType: "image/gif" })))
      .then((r) => r);
    await until("A's burst to be admitted", () => imageBacklogOf(a.userId) === BACKLOG);

    const refused = await upload(a.agent, "/gallery", token, [{ filename: "one-more.png", data: await png(), contentType: "image/png" }]);
    assert.ok(imageBacklogOf(a.userId) > 0, "the burst was still in progress when the refusal came");
    assert.equal(refused.status, 429, refused.text.slice(0, 300));
    assert.match(refused.text, /You already have \d images? being processed\. Wait until (they are|it is) done, then send these again\./);
    assert.match(refused.text, /<form[^>]+action="\/gallery\?_csrf=/, "on the gallery's own form, not an error page");

    assert.equal((await burst).status, 303);
    assert.deepEqual((await imageRows(app, a.userId)).map((r) => r.original_name).filter((n) => n === "one-more.png"), [], "nothing of the refused upload");
    assert.equal((await imageRows(app, a.userId)).length, BACKLOG);
    await assertMediaConsistent(app);

    const again = await upload(a.agent, "/gallery", token, [{ filename: "one-more.png", data: await png(), contentType: "image/png" }]);
    assert.equal(again.status, 303, "accepted once the burst is done");
    assert.equal((await imageRows(app, a.userId)).length, BACKLOG + 1);
    await assertMediaConsistent(app);
  });
});

describe("a person whose backlog is full", () => {
  // The person's places held as an upload in progress holds them (the burst above shows a real one doing so); held
  // here so that every refusal below is checked against a backlog that surely has not drained in the meantime.
  async function withFullBacklog(userId: number, check: () => Promise<void>, places = BACKLOG) {
    const held = admitImages(userId, places);
    assert.ok(held, "nothing of theirs in progress before");
    try {
      await check();
    } finally {
      held.release();
    }
    assert.equal(imageBacklogOf(userId), 0);
  }

  it("is refused on the chat photo path as JSON and as the plain form, in English and Ukrainian; no message, no image, no file", async () => {
    const [a, b] = await Promise.all([user(), user()]);
    const chatId = await createGroup(a.agent, `Fair ${crypto.randomBytes(3).toString("hex")}`, [b.creds.username]);
    const token = await photoToken(a.agent, chatId);
    const photo = async () => [{ filename: "cat.jpg", data: await jpeg(300, 200) }];
    const before = await counts(a.userId);
    await withFullBacklog(a.userId, async () => {
      const json = await sendPhotos(a.agent, chatId, token, await photo());
      assert.equal(json.status, 429, json.text.slice(0, 300));
      assert.equal(json.body.ok, false);
      assert.equal(json.body.error, `You already have ${BACKLOG} images being processed. Wait until they are done, then send these again.`);

      const uk = await sendPhotos(a.agent, chatId, token, await photo(), { lang: "uk" });
      assert.equal(uk.status, 429);
      assert.equal(uk.body.error, `У вас уже обробляються ${BACKLOG} зображення. Зачекайте, доки їх буде оброблено, і надішліть ці ще раз.`);

      const form = await sendPhotos(a.agent, chatId, token, await photo(), { json: false });
      assert.equal(form.status, 429);
      assert.match(form.text, /id="photo-errors"/);
      assert.match(form.text, /You already have 4 images being processed/);

      assert.deepEqual(await counts(a.userId), before, "no message and no image stored");
      await assertMediaConsistent(app);
    });

    // Once the backlog is free the same photo goes through.
    const sent = await sendPhotos(a.agent, chatId, token, await photo());
    assert.equal(sent.status, 200, sent.text.slice(0, 300));
    assert.equal(sent.body.message.photos.length, 1);
    assert.deepEqual(await counts(a.userId), { messages: before.messages + 1, images: before.images + 1 });
    await assertMediaConsistent(app);
  });

  it("is refused a new profile picture and a new group picture (429 on their forms); both stay as they were", async () => {
    const [a, b] = await Promise.all([user(), user()]);
    const chatId = await createGroup(a.agent, `Fair ${crypto.randomBytes(3).toString("hex")}`, [b.creds.username]);
    const [profileToken, groupToken] = await Promise.all([uploadToken(a.agent, "/profile"), uploadToken(a.agent, `/chats/${chatId}/avatar`)]);
    await withFullBacklog(a.userId, async () => {
      const res = await upload(a.agent, "/profile/avatar", profileToken, [{ filename: "me.png", data: await png(), contentType: "image/png" }], { field: "image" });
      assert.equal(res.status, 429, res.text.slice(0, 300));
      assert.match(res.text, /You already have 4 images being processed/);
      const group = await upload(a.agent, `/chats/${chatId}/avatar`, groupToken, [{ filename: "g.png", data: await png(), contentType: "image/png" }], { field: "image" });
      assert.equal(group.status, 429, group.text.slice(0, 300));
      assert.match(group.text, /You already have 4 images being processed/);
    });
    const [row] = await app.sql<{ profile_picture_id: number | null }>("SELECT profile_picture_id FROM users WHERE id = $1", [a.userId]);
    assert.equal(row.profile_picture_id, null);
    const [chat] = await app.sql<{ picture_id: number | null }>("SELECT profile_picture_id AS picture_id FROM chats WHERE id = $1", [chatId]);
    assert.equal(chat.picture_id, null);
    assert.deepEqual(await counts(a.userId), { messages: 0, images: 0 });
    await assertMediaConsistent(app);
  });

  it("still sends gallery photos over the socket (copies need no processing), and another person uploads as usual", async () => {
    // Held past the backlog, as one large upload admitted when nothing else was in progress may hold it.
    const [a, b] = await Promise.all([user(), user()]);
    const token = await uploadToken(a.agent);
    assert.equal((await upload(a.agent, "/gallery", token, [{ filename: "kept.jpg", data: await jpeg(400, 300) }])).status, 303);
    const [original] = await imageRows(app, a.userId);
    const chatId = await createGroup(a.agent, `Fair ${crypto.randomBytes(3).toString("hex")}`, [b.creds.username]);
    const sa = await connect(app, a.agent);
    try {
      await withFullBacklog(a.userId, async () => {
        const ack = await ask(sa, "chat:message", { chatId, text: "from my gallery", clientId: crypto.randomUUID(), photoIds: [original.id] });
        assert.equal(ack.ok, true, JSON.stringify(ack));
        const [copy] = await app.sql<{ id: number }>("SELECT id FROM images WHERE message_id = $1", [ack.message!.id]);
        assert.ok(copy, "the copy is stored with its message");

        const tokenB = await uploadToken(b.agent);
        const theirs = await upload(b.agent, "/gallery", tokenB, [{ filename: "b.jpg", data: await jpeg(300, 300) }]);
        assert.equal(theirs.status, 303, "one person's backlog is theirs alone");
        assert.equal((await imageRows(app, b.userId)).length, 1);
      }, BACKLOG * 3);
    } finally {
      closeAll(sa);
    }
    await assertMediaConsistent(app);
  });
});
