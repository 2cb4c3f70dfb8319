// Promise: "only you see your data", for "Download my data" (#19). An export link opens for its owner only (another
// user, staff, a visitor, a made-up, bent or expired id: 404 or the login page, never a file); the archive holds
// the owner's own words and photos and nobody else's, even from the chats they share; and its entries are named by
// the app, never by what an uploader called a file, so no name in it can climb out of the folder it is unpacked in.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TestApp } from "../helpers/app";
import type { Agent } from "../helpers/agent";
import { postMessage } from "../chat/helpers";
import { png, upload, uploadToken } from "../gallery/helpers";
import { binary, everything, json, unzip } from "../account/zip";
import { anonymous, raw, tokenOf, useWorld, type World } from "./helpers";

let app: TestApp;
let w: World;
useWorld((a, world) => {
  app = a;
  w = world;
});

async function download(a: Agent): Promise<Map<string, Buffer>> {
  const token = await tokenOf(a);
  const res = await a.post("/account/export").type("form").send({ _csrf: token }).buffer(true).parse(binary);
  assert.equal(res.status, 200, `export: ${res.status}`);
  assert.equal(res.headers["content-type"], "application/zip");
  return unzip(res.body as Buffer);
}

describe("download my data", () => {
  it("the archive holds a's words and photos only: nothing of b, c or staff, even from the chats a shares with c", async () => {
    // c writes in a's group and direct chat and sends a photo there; b and staff have their own things.
    const cText = `c's own words ${Date.now()}`;
    assert.equal((await postMessage(w.c.agent, w.owned.groupId, `${cText} in the group`)).status, 303);
    assert.equal((await postMessage(w.c.agent, w.owned.directId, `${cText} in private`)).status, 303);
    const cPhoto = await upload(w.c.agent, `/chats/${w.owned.groupId}/photos`, await uploadToken(w.c.agent, `/chats/${w.owned.groupId}/photos/new`),
      [{ filename: "c-photo.png", data: await png(30, 30), contentType: "image/png", field: "photos" }], { field: "photos" });
    assert.equal(cPhoto.status, 303);
    const zip = await download(w.a.agent);
    const all = everything(zip);
    assert.ok(all.includes(w.owned.noteText), "a's note is there");
    assert.ok(all.includes(w.owned.messageText), "a's message is there");
    for (const foreign of [cText, "b's note", w.b.email, w.c.email, w.staff.email, "c-photo.png"]) {
      assert.ok(!all.includes(foreign), `${foreign} is not in a's archive`);
    }
    const mine = new Set((await app.sql<{ id: number }>("SELECT id FROM images WHERE owner_id = $1", [w.a.userId])).map((r) => r.id));
    const photos = json<{ id: number }[]>(zip, "photos.json");
    assert.ok(photos.length > 0);
    for (const p of photos) assert.ok(mine.has(p.id), `photo ${p.id} is a's`);
    for (const name of zip.keys()) {
      const m = /^photos\/(\d+)\.webp$/.exec(name);
      if (m) assert.ok(mine.has(Number(m[1])), `${name} is a's`);
    }
  });

  it("entry names are the app's own: hostile upload names (traversal, absolute, drive letters, NUL, markup) name no file in it", async () => {
    const hostile = ["../../../etc/cron.d/evil.png", "..\\..\\windows\\evil.png", "/etc/passwd.png", "C:\\boot.png", "a\u0000b.png", "<img src=x onerror=alert(1)>.png", "….png"];
    const p = w.b;
    for (const filename of hostile) {
      const res = await upload(p.agent, "/gallery", await uploadToken(p.agent), [{ filename, data: await png(20, 20), contentType: "image/png" }]);
      // (A NUL is refused outright, 400: the rest are stored under a cleaned name.)
      assert.ok([303, 400].includes(res.status), `${filename}: ${res.status}`);
    }
    const zip = await download(p.agent);
    const known = /^(README\.txt|profile\.json|notes\.json|notes\.html|messages\.json|messages\.html|photos\.json|photos\/\d+\.webp)$/;
    for (const name of zip.keys()) assert.match(name, known, `an entry named ${JSON.stringify(name)}`);
    const names = json<{ originalName?: string; name?: string }[]>(zip, "photos.json").map((x) => x.originalName ?? x.name);
    // The names people gave are kept as data (cleaned by the upload), inside the JSON: never a path.
    assert.ok(names.length >= hostile.length - 1);
    const html = [...zip.entries()].filter(([n]) => n.endsWith(".html")).map(([, b]) => b.toString("utf8")).join("\n");
    assert.doesNotMatch(html, /<img src=x/, "markup in a name is escaped in the readable pages");
  });

  it("a ready export's link opens for its owner only; bent, made-up and expired ids are 404 and send no file", async () => {
    // a's background export, built by the worker when the world was made.
    const row = { id: w.owned.exportId };
    const [{ status }] = await app.sql<{ status: string }>("SELECT status FROM data_exports WHERE id = $1", [row.id]);
    assert.equal(status, "ready");
    const link = `/account/export/${row.id}`;
    assert.equal((await w.a.agent.get(link)).status, 200, "its owner downloads it");
    for (const who of [w.b, w.c, w.staff]) assert.equal((await who.agent.get(link)).status, 404, `${who.username}`);
    const visitor = await anonymous(app).get(link);
    assert.equal(visitor.status, 303);
    for (const bent of [`${link}.zip`, `/account/export/${row.id.toUpperCase()}`, "/account/export/..%2F..%2Fsession-secret",
      "/account/export/%2e%2e%2f%2e%2e%2fpg%2fPG_VERSION", `/account/export/${row.id}%00`, `/account/export/${row.id.slice(0, -1)}0`]) {
      const res = await raw(app, "GET", bent, { cookie: w.a.cookie });
      assert.ok([404, 303].includes(res.status), `${bent}: ${res.status}`);
      assert.notEqual(res.headers["content-type"], "application/zip", bent);
    }
    // A pending one is not downloadable, nor one expired a second ago.
    const [pending] = await app.sql<{ id: string }>(
      "INSERT INTO data_exports (id, user_id, status, expires_at) VALUES (gen_random_uuid(), $1, 'pending', now() + interval '1 hour') RETURNING id", [w.a.userId]);
    assert.equal((await w.a.agent.get(`/account/export/${pending.id}`)).status, 404);
    await app.sql("UPDATE data_exports SET expires_at = now() - interval '1 second' WHERE id = $1", [row.id]);
    assert.equal((await w.a.agent.get(link)).status, 404);
  });
});
