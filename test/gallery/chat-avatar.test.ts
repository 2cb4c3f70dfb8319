// A group chat's picture: set by its creator or a member through POST /chats/:id/avatar; 404 for anyone else.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import nunjucks from "nunjucks";
import { translator } from "../../src/i18n";
import { loggedInAgent, postForm } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";
import { assertMediaConsistent, imageRows, png, svgWithScript, upload, uploadToken } from "./helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

/** Chats are made with SQL here: this suite is about the picture, not about how chats are created. */
async function makeChat(opts: { creatorId: number | null; members: number[]; isGroup?: boolean; name?: string }): Promise<number> {
  const [chat] = await app.sql<{ id: number }>(
    "INSERT INTO chats (chat_name, is_group, creator_id, direct_key) VALUES ($1, $2, $3, $4) RETURNING id",
    [opts.name ?? "Book club", opts.isGroup ?? true, opts.creatorId, opts.isGroup === false ? opts.members.join(":") : null],
  );
  for (const userId of opts.members) await app.sql("INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2)", [chat.id, userId]);
  return chat.id;
}

const chatPicture = async (chatId: number) =>
  (await app.sql<{ profile_picture_id: number | null }>("SELECT profile_picture_id FROM chats WHERE id = $1", [chatId]))[0].profile_picture_id;

describe("group chat picture", () => {
  it("the group's settings page offers the picture form, and the new picture shows there", async () => {
    const creator = await loggedInAgent(app);
    const chatId = await makeChat({ creatorId: creator.userId, members: [creator.userId] });
    const settings = await creator.agent.get(`/chats/${chatId}/settings`);
    assert.equal(settings.status, 200);
    assert.match(settings.text, new RegExp(`action="/chats/${chatId}/avatar\\?_csrf=[^"]+" enctype="multipart/form-data"`));
    assert.match(settings.text, new RegExp(`name="next" value="/chats/${chatId}/settings"`));
    const token = await uploadToken(creator.agent, `/chats/${chatId}/settings`);
    const res = await upload(creator.agent, `/chats/${chatId}/avatar`, token, [{ filename: "g.png", data: await png(), contentType: "image/png" }], {
      field: "image",
      fields: { next: `/chats/${chatId}/settings` },
    });
    assert.equal(res.status, 303);
    const [row] = await imageRows(app, creator.userId);
    assert.equal(await chatPicture(chatId), row.id);
    const again = await creator.agent.get(`/chats/${chatId}/settings`);
    assert.ok(again.text.includes(`src="/media/${row.thumb_path}"`), "settings shows the group picture");
    assert.match(again.text, /Remove picture/);
    await assertMediaConsistent(app);
  });

  it("a member uploads a picture: stored in their gallery and set on the chat", async () => {
    const creator = await loggedInAgent(app);
    const member = await loggedInAgent(app);
    const chatId = await makeChat({ creatorId: creator.userId, members: [creator.userId, member.userId] });

    const page = await member.agent.get(`/chats/${chatId}/avatar`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Group picture<\/h1>\s*<p[^>]*data-user-content>Book club</);
    assert.match(page.text, /No picture yet/);

    const token = await uploadToken(member.agent, `/chats/${chatId}/avatar`);
    const res = await upload(member.agent, `/chats/${chatId}/avatar`, token, [{ filename: "club.png", data: await png(), contentType: "image/png" }], {
      field: "image",
      fields: { next: `/chats/${chatId}/settings` },
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/chats/${chatId}/settings`);
    const [row] = await imageRows(app, member.userId);
    assert.equal(row.original_name, "club.png");
    assert.equal(await chatPicture(chatId), row.id);
    const after = await member.agent.get(`/chats/${chatId}/avatar`);
    assert.ok(after.text.includes(`src="/media/${row.thumb_path}"`), "the chat shows its new picture");
    await assertMediaConsistent(app);
  });

  it("the creator may change it even after leaving; the picture can be removed", async () => {
    const creator = await loggedInAgent(app);
    const member = await loggedInAgent(app);
    const chatId = await makeChat({ creatorId: creator.userId, members: [member.userId] });
    const token = await uploadToken(creator.agent, `/chats/${chatId}/avatar`);
    const res = await upload(creator.agent, `/chats/${chatId}/avatar`, token, [{ filename: "c.png", data: await png(), contentType: "image/png" }], { field: "image" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/chats/${chatId}`);
    assert.notEqual(await chatPicture(chatId), null);

    const removed = await postForm(member.agent, `/chats/${chatId}/avatar/remove`, {}, `/chats/${chatId}/avatar`);
    assert.equal(removed.status, 303);
    assert.equal(await chatPicture(chatId), null);
    assert.equal((await imageRows(app, creator.userId)).length, 1, "the photo stays in the uploader's gallery");
  });

  it("deleting the picture's image from the gallery falls back to the placeholder", async () => {
    const u = await loggedInAgent(app);
    const chatId = await makeChat({ creatorId: u.userId, members: [u.userId] });
    const token = await uploadToken(u.agent, `/chats/${chatId}/avatar`);
    await upload(u.agent, `/chats/${chatId}/avatar`, token, [{ filename: "c.png", data: await png(), contentType: "image/png" }], { field: "image" });
    const [row] = await imageRows(app, u.userId);
    assert.equal(await chatPicture(chatId), row.id);
    assert.equal((await postForm(u.agent, `/gallery/${row.id}/delete`, {}, "/gallery")).status, 303);
    assert.equal(await chatPicture(chatId), null);
    await assertMediaConsistent(app);
  });

  it("answers 404 to a non-member, for a direct chat, a missing chat and malformed ids; nothing is written", async () => {
    const creator = await loggedInAgent(app);
    const outsider = await loggedInAgent(app);
    const chatId = await makeChat({ creatorId: creator.userId, members: [creator.userId] });
    const direct = await makeChat({ creatorId: creator.userId, members: [creator.userId, outsider.userId], isGroup: false });
    const token = await uploadToken(outsider.agent);
    for (const id of [String(chatId), String(direct), "999999", "abc", "0"]) {
      assert.equal((await outsider.agent.get(`/chats/${id}/avatar`)).status, 404, `GET ${id}`);
      const res = await upload(outsider.agent, `/chats/${id}/avatar`, token, [{ filename: "x.png", data: await png(), contentType: "image/png" }], { field: "image" });
      assert.equal(res.status, 404, `POST ${id}`);
      assert.equal((await postForm(outsider.agent, `/chats/${id}/avatar/remove`, {}, "/gallery")).status, 404);
    }
    assert.equal(await chatPicture(chatId), null);
    assert.deepEqual(await imageRows(app, outsider.userId), []);
    await assertMediaConsistent(app);
  });

  it("re-renders with 422 for a bad file and keeps the old picture", async () => {
    const u = await loggedInAgent(app);
    const chatId = await makeChat({ creatorId: u.userId, members: [u.userId] });
    const token = await uploadToken(u.agent, `/chats/${chatId}/avatar`);
    const res = await upload(u.agent, `/chats/${chatId}/avatar`, token, [{ filename: "evil.svg", data: svgWithScript }], { field: "image" });
    assert.equal(res.status, 422);
    assert.match(res.text, /“evil\.svg” is an SVG drawing/);
    assert.equal(await chatPicture(chatId), null);
    assert.deepEqual(await imageRows(app, u.userId), []);
    await assertMediaConsistent(app);
  });

  it("refuses a forged upload (no token) with 403 before writing anything", async () => {
    const u = await loggedInAgent(app);
    const chatId = await makeChat({ creatorId: u.userId, members: [u.userId] });
    const res = await upload(u.agent, `/chats/${chatId}/avatar`, null, [{ filename: "x.png", data: await png(), contentType: "image/png" }], { field: "image" });
    assert.equal(res.status, 403);
    assert.equal(await chatPicture(chatId), null);
    await assertMediaConsistent(app);
  });
});

describe("the form partial other pages include", () => {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.resolve(__dirname, "../../views")), { autoescape: true });
  const render = (ctx: Record<string, unknown>) =>
    env.render("chat/_avatar_form.njk", { t: translator("en"), csrfToken: () => "tok/en", currentPath: "/chats/7/settings", ...ctx });

  it("works with a chat view model (chat.picture) and returns to the including page", () => {
    const html = render({ chat: { id: 7, title: "Book club", picture: { profilePicture: { thumbPath: "aa/bb/x.thumb.webp" } } } });
    assert.match(html, /action="\/chats\/7\/avatar\?_csrf=tok%2Fen"/);
    assert.match(html, /enctype="multipart\/form-data"/);
    assert.match(html, /name="next" value="\/chats\/7\/settings"/);
    assert.match(html, /<label class="form-label" for="f-chat-avatar-7">/);
    assert.match(html, /action="\/chats\/7\/avatar\/remove"/, "a picture can be removed");
  });

  it("works with the Chat entity (chat.profilePicture); no remove button without a picture", () => {
    const html = render({ chat: { id: 8, chatName: "Hikers", profilePicture: null }, chatAvatarError: "<b>bad</b>" });
    assert.match(html, /action="\/chats\/8\/avatar\?_csrf=/);
    assert.ok(!html.includes("/avatar/remove"));
    assert.ok(html.includes("&lt;b&gt;bad&lt;/b&gt;"), "messages are escaped");
  });
});
