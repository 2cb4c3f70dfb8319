// The sweep that cleans up after uploads a crash cut short (test/faults/upload-crash.test.ts kills a real server;
// this file pins down the rules in-process, against the real database and a real MEDIA_ROOT): leftovers an hour
// old are removed; a journal of files placed in MEDIA_ROOT removes those no committed row names and keeps those
// one does (a crash between the commit and the journal's removal); anything younger is left to its owner, which
// may be another replica; and the sweep runs again every 15 minutes, not only at start-up.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it, mock } from "node:test";
import { ImagesService } from "../../src/gallery/images.service";
import { startTestApp, type TestApp } from "../helpers/app";
import { assertMediaConsistent, imageRows, listFiles } from "../gallery/helpers";
import { person, uploadImage } from "../security/helpers";

const HOUR = 3600_000;

/** Writes a file under MEDIA_ROOT, `ageMs` old. */
function put(app: TestApp, rel: string, content: string | Buffer, ageMs = 0) {
  const full = path.join(app.mediaRoot, rel);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content);
  const then = new Date(Date.now() - ageMs);
  fs.utimesSync(full, then, then);
}

/** Paths as the gallery names files: two hex shard dirs and a random name. */
function mediaPair() {
  const id = crypto.randomBytes(16).toString("hex");
  return [`${id.slice(0, 2)}/${id.slice(2, 4)}/${id}.webp`, `${id.slice(0, 2)}/${id.slice(2, 4)}/${id}.thumb.webp`];
}

const exists = (app: TestApp, rel: string) => fs.existsSync(path.join(app.mediaRoot, rel));

describe("the temp sweep", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it("a dead upload's journal: files no row names are removed, files a committed row names are kept", async () => {
    const p = await person(app, "sweep");
    await uploadImage(app, p, "kept.png");
    const [row] = await imageRows(app, p.userId);
    const orphans = mediaPair();
    for (const rel of orphans) put(app, rel, "placed, never committed", 2 * HOUR);
    // The journal of a crash after the commit (lists row's files) merged with one before it (lists the orphans).
    put(app, `.tmp/${crypto.randomBytes(16).toString("hex")}.placing`, JSON.stringify([row.path, row.thumb_path, ...orphans]), 2 * HOUR);
    const service = new ImagesService(app.deps);
    assert.equal(await service.sweepTemp(), 1);
    assert.ok(exists(app, row.path) && exists(app, row.thumb_path), "the committed image keeps its files");
    assert.ok(!orphans.some((rel) => exists(app, rel)), "the orphans are gone");
    await assertMediaConsistent(app);
  });

  it("leaves anything younger than an hour alone: it may be another replica's upload in progress", async () => {
    const orphans = mediaPair();
    for (const rel of orphans) put(app, rel, "being committed right now", 0);
    const journal = `.tmp/${crypto.randomBytes(16).toString("hex")}.placing`;
    put(app, journal, JSON.stringify(orphans), 10 * 60_000);
    put(app, ".tmp/0123456789abcdef0123456789abcdef.upload", "arriving", 0);
    const service = new ImagesService(app.deps);
    assert.equal(await service.sweepTemp(), 0);
    assert.ok(exists(app, journal) && orphans.every((rel) => exists(app, rel)));
    for (const rel of [journal, ".tmp/0123456789abcdef0123456789abcdef.upload", ...orphans]) fs.rmSync(path.join(app.mediaRoot, rel));
  });

  it("removes an old journal that was cut short while being written (nothing was placed yet), and stray temp files", async () => {
    put(app, `.tmp/${crypto.randomBytes(16).toString("hex")}.placing`, '["ab/cd/', 2 * HOUR);
    put(app, ".tmp/fedcba9876543210fedcba9876543210.upload", "half a body", 2 * HOUR);
    put(app, ".tmp/fedcba9876543210fedcba9876543210.web", "scratch", 2 * HOUR);
    assert.equal(await new ImagesService(app.deps).sweepTemp(), 3);
    assert.deepEqual(listFiles(app.mediaRoot).filter((f) => f.startsWith(".tmp/")), []);
  });

  it("never removes anything outside MEDIA_ROOT, whatever a journal says", async () => {
    const outside = path.join(path.dirname(app.mediaRoot), "outside.txt");
    fs.writeFileSync(outside, "not ours");
    put(app, `.tmp/${crypto.randomBytes(16).toString("hex")}.placing`, JSON.stringify(["../outside.txt", "/etc/hostname", outside]), 2 * HOUR);
    await new ImagesService(app.deps).sweepTemp();
    assert.ok(fs.existsSync(outside));
    fs.rmSync(outside);
  });
});

// Last: a second app in this process takes over the entities' database binding (BaseEntity.useDataSource).
describe("the periodic sweep", () => {
  let app: TestApp;
  before(async () => {
    mock.timers.enable({ apis: ["setInterval"] });
    app = await startTestApp();
  });
  after(async () => {
    mock.timers.reset();
    await app.close();
  });

  it("runs every 15 minutes, so a crash's leftovers do not wait for the next restart", async () => {
    const orphans = mediaPair();
    for (const rel of orphans) put(app, rel, "placed, never committed", 2 * HOUR);
    put(app, `.tmp/${crypto.randomBytes(16).toString("hex")}.placing`, JSON.stringify(orphans), 2 * HOUR);
    mock.timers.tick(14 * 60_000);
    assert.ok(orphans.every((rel) => exists(app, rel)), "not yet");
    mock.timers.tick(60_000);
    for (let i = 0; i < 500 && listFiles(app.mediaRoot).length; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(listFiles(app.mediaRoot), [], "swept");
  });
});
