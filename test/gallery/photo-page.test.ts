// The gallery people expect (#18): a photo page with newer/older links, an owner-editable caption that becomes its
// title (else the upload date in the reader's zone, never the file name), and deleting several photos at once.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loggedInAgent, postForm, type Agent } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";
import { assertMediaConsistent, imageRows, png, upload, uploadToken, type ImageRow } from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];

async function withPhotos(n: number) {
  const u = await loggedInAgent(app);
  const files = await Promise.all(Array.from({ length: n }, async (_, i) => ({ filename: `IMG_${i}.png`, data: await png(30 + i, 20), contentType: "image/png" })));
  assert.equal((await upload(u.agent, "/gallery", await uploadToken(u.agent), files)).status, 303);
  const rows = await imageRows(app, u.userId);
  return { ...u, rows };
}

const captionOf = async (id: number) => (await app.sql<{ caption: string }>("SELECT caption FROM images WHERE id = $1", [id]))[0]?.caption;
const saveCaption = (a: Agent, id: number, caption: string) => postForm(a, `/gallery/${id}/caption`, { caption }, `/gallery/${id}`);

describe("a photo's page", () => {
  it("links the newer and older photo in the gallery's order, none past either end", async () => {
    const { agent: a, rows } = await withPhotos(3);
    const [oldest, middle, newest] = rows;
    const mid = await a.get(`/gallery/${middle.id}`);
    assert.match(mid.text, new RegExp(`rel="prev" id="photo-newer" href="/gallery/${newest.id}"`));
    assert.match(mid.text, new RegExp(`rel="next" id="photo-older" href="/gallery/${oldest.id}"`));
    const first = await a.get(`/gallery/${newest.id}`);
    assert.doesNotMatch(first.text, /id="photo-newer"/);
    assert.match(first.text, new RegExp(`id="photo-older" href="/gallery/${middle.id}"`));
    assert.doesNotMatch((await a.get(`/gallery/${oldest.id}`)).text, /id="photo-older"/);
    // Someone else's photos never appear as neighbours.
    const other = await withPhotos(1);
    assert.doesNotMatch((await other.agent.get(`/gallery/${other.rows[0].id}`)).text, /id="photo-(newer|older)"/);
  });

  it("is titled by the upload date in the reader's zone until it has a caption, never by the file name", async () => {
    const { agent: a, rows, userId } = await withPhotos(1);
    await app.sql("UPDATE images SET created_at = '2026-03-01T23:30:00Z' WHERE id = $1", [rows[0].id]);
    await app.sql("UPDATE users SET time_zone = 'Europe/Kyiv' WHERE id = $1", [userId]);
    const page = await a.get(`/gallery/${rows[0].id}`);
    assert.equal(titleOf(page.text), "Photo from 2 Mar 2026 · Hromada", "01:30 on 2 March in Kyiv");
    assert.doesNotMatch(String(titleOf(page.text)), /IMG_0/);
    assert.match(page.text, /alt="Photo from 2 Mar 2026"/);
  });

  it("takes a caption from its owner: saved, shown as title, heading and alt text; emptied, gone", async () => {
    const { agent: a, rows } = await withPhotos(1);
    const id = rows[0].id;
    const res = await saveCaption(a, id, "  Sunset over the Dnipro  ");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/gallery/${id}`);
    assert.equal(await captionOf(id), "Sunset over the Dnipro");
    const page = await a.get(`/gallery/${id}`);
    assert.equal(titleOf(page.text), "Sunset over the Dnipro · Hromada");
    assert.match(page.text, /<h1 class="h5 text-break" data-user-content>Sunset over the Dnipro<\/h1>/);
    assert.match(page.text, /data-user-content alt="Sunset over the Dnipro"/);
    assert.match(page.text, /Caption saved\./);
    assert.equal((await saveCaption(a, id, "")).status, 303);
    assert.equal(await captionOf(id), "");
  });

  it("refuses a caption over 300 characters with 422 on the same page, keeping the text; changes nothing", async () => {
    const { agent: a, rows } = await withPhotos(1);
    const long = "я".repeat(301);
    const res = await saveCaption(a, rows[0].id, long);
    assert.equal(res.status, 422);
    assert.match(res.text, /A caption can be at most 300 characters\./);
    assert.match(res.text, /aria-describedby="f-caption-help f-caption-error"/);
    assert.ok(res.text.includes(`>${long}</textarea>`), "the typed text is kept");
    assert.equal(await captionOf(rows[0].id), "");
    assert.equal((await saveCaption(a, rows[0].id, "я".repeat(300))).status, 303, "exactly 300 is fine");
  });

  it("is a 404 to anyone but the owner, for the page and the caption", async () => {
    const owner = await withPhotos(1);
    const other = await loggedInAgent(app);
    const id = owner.rows[0].id;
    assert.equal((await other.agent.get(`/gallery/${id}`)).status, 404);
    assert.equal((await saveCaption(other.agent, id, "mine now")).status, 404);
    assert.equal(await captionOf(id), "");
  });
});

describe("deleting several photos", () => {
  it("asks first (listing them), then deletes exactly the chosen ones with their files", async () => {
    const { agent: a, rows, userId } = await withPhotos(3);
    const chosen = [rows[0], rows[2]];
    const ids = chosen.map((r) => String(r.id));
    const ask = await postForm(a, "/gallery/bulk-delete", { ids }, "/gallery");
    assert.equal(ask.status, 200);
    assert.match(ask.text, /Delete 2 photos\?/);
    for (const r of chosen) assert.ok(ask.text.includes(`src="/media/${r.thumb_path}"`));
    assert.ok(!ask.text.includes(rows[1].thumb_path));
    assert.equal((await imageRows(app, userId)).length, 3, "nothing deleted before the confirmation");

    const done = await postForm(a, "/gallery/bulk-delete", { ids, confirm: "yes" }, "/gallery");
    assert.equal(done.status, 303);
    assert.deepEqual((await imageRows(app, userId)).map((r: ImageRow) => r.id), [rows[1].id]);
    for (const r of chosen) assert.equal(fs.existsSync(path.join(app.mediaRoot, r.path)), false);
    assert.match((await a.get("/gallery")).text, /2 photos deleted\./);
    await assertMediaConsistent(app);
  });

  it("ignores other people's ids, and is a 404 when none of the ids is the user's", async () => {
    const mine = await withPhotos(1);
    const theirs = await withPhotos(1);
    const res = await postForm(mine.agent, "/gallery/bulk-delete", { ids: [String(mine.rows[0].id), String(theirs.rows[0].id)], confirm: "yes" }, "/gallery");
    assert.equal(res.status, 303);
    assert.equal((await imageRows(app, mine.userId)).length, 0);
    assert.equal((await imageRows(app, theirs.userId)).length, 1, "another user's photo is untouched");
    assert.equal((await postForm(mine.agent, "/gallery/bulk-delete", { ids: [String(theirs.rows[0].id)], confirm: "yes" }, "/gallery")).status, 404);
    assert.equal((await postForm(mine.agent, "/gallery/bulk-delete", { ids: [String(theirs.rows[0].id)] }, "/gallery")).status, 404);
    assert.equal((await imageRows(app, theirs.userId)).length, 1);
  });

  it("says what to do when nothing (or nonsense) is ticked: 422 on the gallery page", async () => {
    const { agent: a, userId } = await withPhotos(1);
    for (const form of [{}, { ids: "abc" }, { ids: "0" }] as Record<string, string>[]) {
      const res = await postForm(a, "/gallery/bulk-delete", form, "/gallery");
      assert.equal(res.status, 422, JSON.stringify(form));
      assert.match(res.text, /id="bulk-errors">Tick the photos to delete first\./);
    }
    assert.equal((await imageRows(app, userId)).length, 1);
  });
});
