// /media: every file is authorized (issue #18). A gallery photo goes to its owner and staff only; a profile or group
// picture's thumbnail to any logged-in user, never its original; a deleted photo is a 404 at once; nothing is
// cached by shared caches; one statement per request, no session write. Malformed paths are a 404 before any of it.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loggedInAgent, postForm, type Agent } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";
import { Client } from "pg";
import { recordQueries, recordStatements, writes } from "../helpers/sql-spy";
import { cookieOf } from "../chat/helpers";
import { MEDIA_MAX_AGE } from "../../src/gallery/media.routes";
import { preparedStatements } from "../../src/db/prepared";
import { imageRows, jpeg, png, upload, uploadToken, type ImageRow } from "./helpers";

let app: TestApp;
let owner: Awaited<ReturnType<typeof loggedInAgent>>;
let other: Awaited<ReturnType<typeof loggedInAgent>>;
let staff: Awaited<ReturnType<typeof loggedInAgent>>;
let photo: ImageRow;

type Raw = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

/** A raw request: the path goes on the wire exactly as written (no URL normalisation by a client library). */
function raw(method: string, rawPath: string, cookie?: string, base = app.url): Promise<Raw> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path: rawPath, headers: cookie ? { cookie } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

const as = (a: Agent | null) => (a ? cookieOf(a) : undefined);
const get = (rel: string, a: Agent | null) => raw("GET", `/media/${rel}`, as(a));

async function uploadOne(a: Agent, userId: number, data?: Buffer): Promise<ImageRow> {
  const res = await upload(a, "/gallery", await uploadToken(a), [{ filename: "x.jpg", data: data ?? (await jpeg(320, 240)) }]);
  assert.equal(res.status, 303);
  const rows = await imageRows(app, userId);
  return rows[rows.length - 1];
}

function assertServed(res: Raw, rel: string) {
  assert.equal(res.status, 200, `${rel} -> ${res.status}`);
  assert.equal(res.headers["content-type"], "image/webp");
  assert.equal(res.headers["x-content-type-options"], "nosniff");
  assert.equal(res.headers["cache-control"], `private, max-age=${MEDIA_MAX_AGE}`, "no shared cache keeps it; browsers briefly");
  assert.equal(res.headers["set-cookie"], undefined, "no session is created or refreshed for media");
  assert.ok(res.body.equals(fs.readFileSync(path.join(app.mediaRoot, rel))), "the stored bytes");
}

function assertRefused(res: Raw, what: string) {
  assert.equal(res.status, 404, `${what} -> ${res.status}`);
  assert.notEqual(res.headers["content-type"], "image/webp", what);
  assert.doesNotMatch(String(res.headers["cache-control"]), /max-age=[1-9]/, `${what}: a refusal is not cached`);
}

before(async () => {
  app = await startTestApp();
  owner = await loggedInAgent(app);
  other = await loggedInAgent(app);
  staff = await loggedInAgent(app, undefined, { isStaff: true });
  photo = await uploadOne(owner.agent, owner.userId);
  // Secrets next to and inside MEDIA_ROOT that must never be served.
  fs.writeFileSync(path.join(app.mediaRoot, "..", ".env"), "SESSION_SECRET=do-not-leak\n");
  fs.writeFileSync(path.join(app.mediaRoot, ".env"), "SESSION_SECRET=do-not-leak\n");
  fs.mkdirSync(path.join(app.mediaRoot, ".tmp"), { recursive: true });
  fs.writeFileSync(path.join(app.mediaRoot, ".tmp", "0123456789abcdef0123456789abcdef.upload"), "half an upload");
});
after(() => app.close());

describe("/media: a gallery photo", () => {
  it("is sent to its owner, full size and thumbnail, private and briefly cached; HEAD too", async () => {
    for (const rel of [photo.path, photo.thumb_path]) assertServed(await get(rel, owner.agent), rel);
    assert.equal((await raw("HEAD", `/media/${photo.path}`, as(owner.agent))).status, 200);
  });

  it("is sent to staff (moderation)", async () => {
    for (const rel of [photo.path, photo.thumb_path]) assertServed(await get(rel, staff.agent), rel);
  });

  it("is a 404 for another user, a logged-out visitor, a forged or expired session", async () => {
    const forged = cookieOf(owner.agent).replace(/\.[^.]+$/, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    const sid = decodeURIComponent(cookieOf(owner.agent).split("=")[1]).slice(2).split(".")[0];
    for (const rel of [photo.path, photo.thumb_path]) {
      assertRefused(await get(rel, other.agent), "another user");
      assertRefused(await get(rel, null), "logged out");
      assertRefused(await raw("GET", `/media/${rel}`, forged), "a cookie with a forged signature");
      assertRefused(await raw("GET", `/media/${rel}`, `hromada.sid=${sid}`), "an unsigned session id");
    }
    // The owner's own session, once expired in the store, counts as logged out.
    const fresh = await loggedInAgent(app);
    const mine = await uploadOne(fresh.agent, fresh.userId, await png(40, 40));
    assertServed(await get(mine.thumb_path, fresh.agent), mine.thumb_path);
    await app.sql("UPDATE session SET expire = now() - interval '1 minute' WHERE sess->'passport'->>'user' = $1", [String(fresh.userId)]);
    assertRefused(await get(mine.thumb_path, fresh.agent), "an expired session");
  });

  it("is a 404 for its owner once deactivated", async () => {
    const gone = await loggedInAgent(app);
    const mine = await uploadOne(gone.agent, gone.userId, await png(30, 30));
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [gone.userId]);
    assertRefused(await get(mine.path, gone.agent), "a deactivated owner");
  });

  it("costs one statement and writes nothing (no session touch); logged out costs none", async () => {
    const statements = await recordStatements(() => get(photo.thumb_path, owner.agent));
    assert.equal(statements.length, 1, statements.join("\n"));
    const name = [...preparedStatements()].find(([, sql]) => sql === statements[0])?.[0];
    assert.match(name ?? "(unnamed)", /^media_access/, "sent as the prepared statement media_access(_<rules>): planned once per connection");
    assert.deepEqual(writes(statements), []);
    assert.deepEqual(await recordStatements(() => get(photo.thumb_path, null)), []);
  });

  it("its one statement reaches every table through an index, planned for these values and generically (as a prepared statement)", async () => {
    // For each kind of answer: the owner's photo, a staff view, a profile picture's thumbnail to someone else.
    const avatar = await uploadOne(other.agent, other.userId, await png(20, 20));
    await app.sql("UPDATE users SET profile_picture_id = $1 WHERE id = $2", [avatar.id, other.userId]);
    const cases: [string, Agent][] = [[photo.path, owner.agent], [photo.thumb_path, staff.agent], [avatar.thumb_path, owner.agent], [photo.path, other.agent]];
    const db = new Client({ connectionString: app.db.url });
    await db.connect();
    try {
      for (const [rel, who] of cases) {
        const [query, ...more] = await recordQueries(() => get(rel, who));
        assert.equal(more.length, 0);
        // A table this small is read whole by choice; with that choice taken away, a missing index still shows as a Seq Scan.
        await db.query("BEGIN");
        await db.query("SET LOCAL enable_seqscan = off");
        const custom = await db.query(`EXPLAIN (FORMAT JSON) ${query.text}`, query.values);
        await db.query("SET LOCAL plan_cache_mode = force_generic_plan");
        await db.query(`PREPARE media_plan AS ${query.text}`);
        const generic = await db.query(`EXPLAIN (FORMAT JSON) EXECUTE media_plan(${query.values.map((v) => db.escapeLiteral(String(v))).join(", ")})`);
        await db.query("ROLLBACK");
        await db.query("DEALLOCATE ALL");
        for (const [kind, res] of [["custom", custom], ["generic", generic]] as const) {
          const scans = planNodes(res.rows[0]["QUERY PLAN"][0].Plan);
          assert.deepEqual(scans.filter((n) => n.type === "Seq Scan"), [], `${kind} plan of ${rel}: ${JSON.stringify(scans)}`);
          for (const table of ["images", "session", "users"]) assert.ok(scans.some((n) => n.relation === table), `${kind} plan reads ${table} by an index`);
        }
      }
    } finally {
      await db.end();
    }
  });

  it("is a 404 at once after it is deleted, for its owner too, and its files are gone", async () => {
    const doomed = await uploadOne(owner.agent, owner.userId, await png(50, 50));
    assertServed(await get(doomed.path, owner.agent), doomed.path);
    const res = await postForm(owner.agent, `/gallery/${doomed.id}/delete`, {}, `/gallery/${doomed.id}`);
    assert.equal(res.status, 303);
    for (const rel of [doomed.path, doomed.thumb_path]) {
      assertRefused(await get(rel, owner.agent), "a deleted photo");
      assert.equal(fs.existsSync(path.join(app.mediaRoot, rel)), false, "its file is removed");
    }
    assert.equal((await app.sql("SELECT 1 FROM images WHERE id = $1", [doomed.id])).length, 0);
  });
});

describe("/media: pictures people show", () => {
  it("a profile picture's thumbnail goes to every logged-in user; its original does not, and is not derivable", async () => {
    const who = await loggedInAgent(app);
    const pic = await uploadOne(who.agent, who.userId, await png(200, 200));
    const res = await postForm(who.agent, `/gallery/${pic.id}/avatar`, {}, `/gallery/${pic.id}`);
    assert.equal(res.status, 303);
    assert.equal((await app.sql<{ profile_picture_id: number }>("SELECT profile_picture_id FROM users WHERE id = $1", [who.userId]))[0].profile_picture_id, pic.id);

    assertServed(await get(pic.thumb_path, other.agent), pic.thumb_path);
    assertRefused(await get(pic.path, other.agent), "another user asking for an avatar's original");
    assertRefused(await get(pic.thumb_path, null), "a logged-out visitor asking for an avatar");
    assertServed(await get(pic.path, who.agent), pic.path);

    // Independent random names: the thumbnail's name says nothing about the original's.
    const name = (rel: string) => path.basename(rel).split(".")[0];
    assert.notEqual(name(pic.thumb_path), name(pic.path));
    assert.notEqual(pic.thumb_path.slice(0, 5) + name(pic.thumb_path), pic.path.slice(0, 5) + name(pic.path));
    assertRefused(await get(pic.thumb_path.replace(".thumb.webp", ".webp"), other.agent), "the thumbnail's name without .thumb");

    // No longer the avatar: private again.
    assert.equal((await postForm(who.agent, "/profile/avatar/remove", {}, "/profile")).status, 303);
    assertRefused(await get(pic.thumb_path, other.agent), "a former avatar");
  });

  it("a group's picture thumbnail goes to every logged-in user", async () => {
    const creator = await loggedInAgent(app);
    const [chat] = await app.sql<{ id: number }>("INSERT INTO chats (chat_name, is_group, creator_id) VALUES ('Club', true, $1) RETURNING id", [creator.userId]);
    await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2)", [chat.id, creator.userId]);
    const token = await uploadToken(creator.agent, `/chats/${chat.id}/avatar`);
    const res = await upload(creator.agent, `/chats/${chat.id}/avatar`, token, [{ filename: "g.png", data: await png(), contentType: "image/png" }], { field: "image" });
    assert.equal(res.status, 303);
    const [pic] = await imageRows(app, creator.userId);
    assertServed(await get(pic.thumb_path, other.agent), pic.thumb_path);
    assertRefused(await get(pic.path, other.agent), "a group picture's original");
    assertRefused(await get(pic.thumb_path, null), "logged out");
  });
});

describe("/media: behind nginx (MEDIA_ACCEL_REDIRECT)", () => {
  let accel: TestApp;
  let a: Awaited<ReturnType<typeof loggedInAgent>>;
  let pic: ImageRow;
  before(async () => {
    accel = await startTestApp({ MEDIA_ACCEL_REDIRECT: "/_protected_media/" });
    a = await loggedInAgent(accel);
    const res = await upload(a.agent, "/gallery", await uploadToken(a.agent), [{ filename: "x.png", data: await png(), contentType: "image/png" }]);
    assert.equal(res.status, 303);
    [pic] = await imageRows(accel, a.userId);
  });
  after(() => accel.close());

  it("answers yes with an internal redirect and no body: nginx sends the file", async () => {
    const res = await raw("GET", `/media/${pic.path}`, cookieOf(a.agent), accel.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers["x-accel-redirect"], `/_protected_media/${pic.path}`);
    assert.equal(res.headers["cache-control"], `private, max-age=${MEDIA_MAX_AGE}`);
    assert.equal(res.headers["x-content-type-options"], "nosniff");
    assert.equal(res.body.length, 0);
    assert.ok(fs.existsSync(path.join(accel.mediaRoot, pic.path)), "the redirect names a stored file");
  });

  it("answers no with a plain 404 and no redirect", async () => {
    const stranger = await loggedInAgent(accel);
    for (const cookie of [cookieOf(stranger.agent), undefined]) {
      const res = await raw("GET", `/media/${pic.path}`, cookie, accel.url);
      assert.equal(res.status, 404);
      assert.equal(res.headers["x-accel-redirect"], undefined);
    }
  });
});

describe("/media: malformed paths", () => {
  const shard = () => photo.path.slice(0, 5);
  const refused: [string, () => string][] = [
    ["a plain ../ traversal", () => "/media/../.env"],
    ["a deep traversal", () => "/media/../../../../etc/passwd"],
    ["an encoded ../", () => "/media/%2e%2e/.env"],
    ["an encoded slash", () => "/media/..%2f.env"],
    ["a fully encoded traversal", () => "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd"],
    ["a double-encoded traversal", () => "/media/%252e%252e/.env"],
    ["a backslash traversal", () => "/media/..%5c.env"],
    ["a traversal inside a valid-looking path", () => `/media/${shard()}/../../.env`],
    ["a dotfile inside MEDIA_ROOT", () => "/media/.env"],
    ["the upload temp dir", () => "/media/.tmp/0123456789abcdef0123456789abcdef.upload"],
    ["an encoded temp dir", () => "/media/%2etmp/0123456789abcdef0123456789abcdef.upload"],
    ["a directory listing of the root", () => "/media/"],
    ["the root without slash", () => "/media"],
    ["a listing of a shard", () => `/media/${shard()}/`],
    ["a shard without slash", () => `/media/${shard()}`],
    ["a NUL byte", () => `/media/${photo.path}%00.html`],
    ["an extra extension", () => `/media/${photo.path}.html`],
    ["upper-case hex", () => `/media/${photo.path.toUpperCase()}`],
    ["a missing file of the right shape", () => "/media/00/00/00000000000000000000000000000000.webp"],
    ["an absolute path", () => "/media//etc/passwd"],
  ];
  for (const [what, p] of refused) {
    it(`answers 404 for ${what}, even to the owner`, async () => {
      const res = await raw("GET", p(), cookieOf(owner.agent));
      assert.equal(res.status, 404, `${p()} -> ${res.status}`);
      assert.ok(!res.body.includes("do-not-leak"));
      assert.ok(!res.body.includes("half an upload"));
      assert.ok(!res.body.includes(path.basename(photo.path)), "no listing");
    });
  }

  it("answers 404 to anything but GET and HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) assert.equal((await raw(method, `/media/${photo.path}`, cookieOf(owner.agent))).status, 404, method);
    assert.ok(fs.existsSync(path.join(app.mediaRoot, photo.path)));
  });
});

/** Every scan node of a plan (EXPLAIN's JSON), with the table it reads. */
function planNodes(node: { "Node Type": string; "Relation Name"?: string; Plans?: unknown[] }): { type: string; relation?: string }[] {
  const own = node["Relation Name"] ? [{ type: node["Node Type"], relation: node["Relation Name"] }] : [];
  return [...own, ...((node.Plans ?? []) as (typeof node)[]).flatMap(planNodes)];
}
