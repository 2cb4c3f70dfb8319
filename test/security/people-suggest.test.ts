// Promise: "only you see your data", for the member picker's look-up (/people.json, #20). It tells a logged-in user
// what the people directory already shows them (active people's names and avatar thumbnails), nothing more: not
// visitors, not addresses or ids, not deactivated accounts, not names found through an address; wildcards match
// themselves; odd queries are answered, never a 500; and a script walking it is stopped per account.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TestApp } from "../helpers/app";
import { anonymous, person, raw, useWorld, type Person, type World } from "./helpers";

let app: TestApp;
let w: World;
/** PEOPLE_SUGGEST_PER_MINUTE's default (a lowered one is checked in test/account/export.test.ts). */
const LIMIT = 120;
useWorld((a, world) => {
  app = a;
  w = world;
});

interface Suggestion {
  username: string;
  thumbPath: string | null;
}

async function suggest(p: Person, q: string): Promise<Suggestion[]> {
  const res = await p.agent.get(`/people.json?q=${encodeURIComponent(q)}`);
  assert.equal(res.status, 200, `q=${q}: ${res.status}`);
  return (res.body as { people: Suggestion[] }).people;
}

describe("/people.json", () => {
  it("is for logged-in people: a visitor is sent to log in and gets no names", async () => {
    const res = await anonymous(app).get(`/people.json?q=${w.c.username.slice(0, 3)}`);
    assert.notEqual(res.status, 200);
    assert.ok(!res.text.includes(w.c.username));
  });

  it("says what the directory shows: active people's names and avatar thumbnails, never addresses, ids, the asker or a deactivated account", async () => {
    const stem = `sugg${Date.now().toString(36)}`;
    const [asker, shown, gone] = await Promise.all([person(app, `${stem}a`), person(app, `${stem}b`), person(app, `${stem}c`)]);
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [gone.userId]);
    const found = await suggest(asker, stem);
    assert.deepEqual(found.map((s) => s.username), [shown.username]);
    for (const s of found) assert.deepEqual(Object.keys(s).sort(), ["thumbPath", "username"]);
    // The directory's own answer for the same words names the same people (and the asker, whom the picker leaves out).
    const directory = await asker.agent.get(`/people?q=${encodeURIComponent(stem)}`);
    for (const s of found) assert.ok(directory.text.includes(s.username));
    assert.ok(!directory.text.includes(gone.username));
  });

  it("a thumbnail it names is an avatar's, which any logged-in user may fetch; no gallery or chat photo is ever named", async () => {
    // a's avatar is a's gallery photo imageId: its thumbnail is public to logged-in users, its original is not.
    const found = await suggest(w.b, w.a.username);
    const a = found.find((s) => s.username === w.a.username);
    assert.ok(a?.thumbPath, "a has an avatar");
    const [{ thumb, path }] = await app.sql<{ thumb: string; path: string }>("SELECT thumb_path AS thumb, path FROM images WHERE id = $1", [w.owned.imageId]);
    assert.equal(a.thumbPath, thumb);
    assert.equal((await raw(app, "GET", `/media/${a.thumbPath}`, { cookie: w.b.cookie })).status, 200);
    assert.equal((await raw(app, "GET", `/media/${path}`, { cookie: w.b.cookie })).status, 404, "never the original");
    const named = new Set((await suggest(w.b, "w")).map((s) => s.thumbPath).filter(Boolean));
    const avatars = new Set((await app.sql<{ t: string }>("SELECT i.thumb_path AS t FROM users u JOIN images i ON i.id = u.profile_picture_id")).map((r) => r.t));
    for (const t of named) assert.ok(avatars.has(t!), `${t} is an avatar's thumbnail`);
  });

  it("finds nobody by an address, and wildcards match themselves", async () => {
    assert.deepEqual(await suggest(w.b, w.c.email), [], "a whole address");
    assert.deepEqual(await suggest(w.b, "@example.test"), [], "the domain everyone here shares");
    // (Names here hold "_" themselves; a "_" in place of one letter of a name finds nobody unless it were a wildcard.)
    const blurred = `${w.c.username[0]}_${w.c.username.slice(2)}`;
    for (const q of ["%", "%%", "\\", "\\%", blurred, `${w.c.username.slice(0, 2)}%`]) assert.deepEqual(await suggest(w.b, q), [], `q=${q}`);
  });

  it("odd queries are answered (empty, repeated, very long, NUL, markup), never a 500", async () => {
    for (const q of ["", "q[]=a&q[]=b", `q=${"a".repeat(5000)}`, "q=%00", "q=<script>", "q[a]=b", "q=%ff%fe"]) {
      const path = q.startsWith("q") ? `/people.json?${q}` : `/people.json?q=${q}`;
      const res = await raw(app, "GET", path, { cookie: w.b.cookie });
      assert.ok(res.status < 500, `${path.slice(0, 60)}: ${res.status}`);
      if (res.status === 200) assert.match(res.headers["content-type"] ?? "", /application\/json/);
    }
  });

  it(`stops a script walking it: past ${LIMIT} look-ups a minute an account gets 429, and another account does not`, async () => {
    assert.equal(app.config.rateLimits.suggestPerMinute, LIMIT);
    const [walker, other] = await Promise.all([person(app, "walker"), person(app, "other")]);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) statuses.push((await raw(app, "GET", `/people.json?q=${String.fromCharCode(97 + (i % 26))}`, { cookie: walker.cookie })).status);
    assert.ok(statuses.slice(0, LIMIT).every((s) => s === 200), "the first ones answer");
    assert.deepEqual(statuses.slice(LIMIT), [429, 429, 429, 429, 429]);
    assert.equal((await raw(app, "GET", "/people.json?q=a", { cookie: other.cookie })).status, 200);
  });
});
