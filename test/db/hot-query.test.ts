// The hot queries (User.activeLookup, Note.pageFor) build their SQL once and hydrate rows by hand
// (src/db/hot-query.ts). They must give exactly what TypeORM's own query builder gives for the same rows.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { User } from "../../src/auth/user.entity";
import { Image } from "../../src/gallery/image.entity";
import { Note, NOTES_PER_PAGE } from "../../src/notes/note.entity";
import { unreadTotalSql } from "../../src/chat/unread";
import { startTestApp, type TestApp } from "../helpers/app";
import { loggedInAgent } from "../helpers/agent";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

/** What findActive returned before it was hand-hydrated: the query builder end to end. */
async function findActiveByTypeorm(id: number): Promise<User | null> {
  const { entities, raw } = await User.createQueryBuilder("u")
    .leftJoinAndSelect("u.profilePicture", "pp")
    .addSelect(unreadTotalSql("u.id"), "unread_total")
    .where("u.id = :id AND u.isActive = true", { id })
    .getRawAndEntities<{ unread_total: number }>();
  const user = entities[0];
  if (!user) return null;
  user.unreadTotal = Number(raw[0]?.unread_total ?? 0);
  return user;
}

async function pageByTypeorm(userId: number, page: number) {
  const { entities, raw } = await Note.createQueryBuilder("n")
    .where("n.user_id = :userId", { userId })
    .addSelect("count(*) OVER ()", "total")
    .orderBy("n.id", "DESC")
    .limit(NOTES_PER_PAGE)
    .offset((page - 1) * NOTES_PER_PAGE)
    .getRawAndEntities<{ total: string }>();
  return { notes: entities, page, total: raw.length ? Number(raw[0].total) : 0 };
}

/** The lookup as app.ts composes it: with the navbar's unread total. */
const findActive = User.activeLookup({ unreadTotal: unreadTotalSql });

describe("User.activeLookup", () => {
  let plainId: number;
  let withPictureId: number;
  before(async () => {
    plainId = (await loggedInAgent(app)).userId;
    withPictureId = (await loggedInAgent(app)).userId;
    const [{ gallery_id }] = await app.sql<{ gallery_id: number }>("SELECT gallery_id FROM users WHERE id = $1", [withPictureId]);
    const [{ id: imageId }] = await app.sql<{ id: number }>(
      `INSERT INTO images (gallery_id, owner_id, path, thumb_path, width, height, bytes, original_name)
       VALUES ($1, $2, 'a/web.webp', 'a/thumb.webp', 1600, 1200, 123456, 'Holiday <1>.jpg') RETURNING id`,
      [gallery_id, withPictureId],
    );
    await app.sql("UPDATE users SET profile_picture_id = $1, last_login = now() WHERE id = $2", [imageId, withPictureId]);
  });

  it("gives the same entity as the query builder, with and without a profile picture", async () => {
    for (const id of [plainId, withPictureId]) {
      const mine = await findActive(id);
      const theirs = await findActiveByTypeorm(id);
      assert.ok(mine instanceof User, "a User instance (ActiveRecord methods work)");
      assert.deepEqual(mine, theirs);
    }
    const withPicture = await findActive(withPictureId);
    assert.ok(withPicture!.profilePicture instanceof Image);
    assert.equal(withPicture!.profilePicture!.originalName, "Holiday <1>.jpg");
    assert.ok(withPicture!.createdAt instanceof Date && withPicture!.lastLogin instanceof Date);
    assert.equal((await findActive(plainId))!.profilePicture, null);
  });

  it("gives the same entity when read along with another statement (joinedOn + fromRow, as the session read does)", async () => {
    const joined = (id: number) =>
      app.sql(`SELECT t.id AS asked, j.* FROM (VALUES ($1::int)) AS t(id) LEFT JOIN LATERAL (${findActive.joinedOn("t.id")}) j ON true`, [id]);
    for (const id of [plainId, withPictureId]) {
      const [row] = await joined(id);
      assert.deepEqual(findActive.fromRow(row), await findActive(id));
    }
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [plainId]);
    const [inactive] = await joined(plainId);
    assert.equal(inactive.asked, plainId, "the row is there");
    assert.equal(findActive.fromRow(inactive), null, "but no user: deactivated");
    await app.sql("UPDATE users SET is_active = true WHERE id = $1", [plainId]);
  });

  it("never carries the password hash (select: false)", async () => {
    const user = await findActive(plainId);
    assert.equal(user!.passwordHash, undefined);
  });

  it("is null for a deactivated or missing user", async () => {
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [plainId]);
    assert.equal(await findActive(plainId), null);
    assert.equal(await findActive(2_000_000_000), null);
    await app.sql("UPDATE users SET is_active = true WHERE id = $1", [plainId]);
    assert.equal((await findActive(plainId))?.id, plainId);
  });
});

describe("Note.pageFor", () => {
  let userId: number;
  before(async () => {
    userId = (await loggedInAgent(app)).userId;
    await app.sql(
      `INSERT INTO notes (data, user_id, updated_at)
       SELECT 'note ' || i || E'\\n<b>ünïcode</b>', $1, CASE WHEN i % 3 = 0 THEN now() END FROM generate_series(1, 45) AS i`,
      [userId],
    );
  });

  it("gives the same pages as the query builder, past the end included", async () => {
    for (const page of [1, 2, 3, 4]) {
      const mine = await Note.pageFor(userId, page);
      assert.deepEqual(mine, await pageByTypeorm(userId, page), `page ${page}`);
      assert.ok(mine.notes.every((n) => n instanceof Note));
    }
    const first = await Note.pageFor(userId, 1);
    assert.equal(first.total, 45);
    assert.equal(first.notes.length, NOTES_PER_PAGE);
    assert.equal(first.notes[0].data, "note 45\n<b>ünïcode</b>", "newest first, text as stored");
    assert.ok(first.notes[0].updatedAt instanceof Date, "note 45 was edited");
    assert.equal(first.notes[1].updatedAt, null);
    assert.equal((await Note.pageFor(userId, 3)).notes.length, 5);
    assert.deepEqual(await Note.pageFor(userId, 4), { notes: [], page: 4, total: 0 });
  });

  it("only ever shows the owner's notes", async () => {
    const otherId = (await loggedInAgent(app)).userId;
    assert.deepEqual(await Note.pageFor(otherId, 1), { notes: [], page: 1, total: 0 });
  });
});
