// Group management as a person does it: the questions asked before "Remove" and "Leave group" (pages without
// JavaScript, dialogs with it), the warning when leaving as the last member, and the people suggestions the
// member picker asks for; every refusal checked in the database.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app";
import { agent, loggedInAgent, newCredentials, postForm } from "../helpers/agent";
import { createGroup, openDirect } from "./helpers";
import { png, upload, uploadToken } from "../gallery/helpers";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

type U = Awaited<ReturnType<typeof loggedInAgent>>;
const user = (prefix = "grp") => loggedInAgent(app, newCredentials(prefix));
const memberIds = async (chatId: number) =>
  (await app.sql<{ user_id: number }>("SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY user_id", [chatId])).map((r) => r.user_id);
const chatExists = async (chatId: number) => (await app.sql("SELECT 1 FROM chats WHERE id = $1", [chatId])).length === 1;
const sorted = (...ids: number[]) => ids.sort((x, y) => x - y);

describe("removing a member", () => {
  let owner: U;
  let m1: U;
  let m2: U;
  let outsider: U;
  before(async () => {
    [owner, m1, m2, outsider] = await Promise.all([user(), user(), user(), user()]);
  });

  it("the settings page offers a link that asks first, and a dialog with the same form", async () => {
    const id = await createGroup(owner.agent, "Crew", [m1.creds.username]);
    const page = await owner.agent.get(`/chats/${id}/settings`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(`href="/chats/${id}/members/${m1.userId}/remove" data-confirm-dialog="remove-dialog"`));
    assert.match(page.text, new RegExp(`data-confirm-text="Remove ${m1.creds.username} from the group\\?"`));
    assert.match(page.text, /id="remove-dialog"[^>]*aria-labelledby="remove-dialog-title"/);
    assert.ok(!/<form[^>]*action="\/chats\/\d+\/members\/\d+\/remove"/.test(page.text), "no button removes at once");
    assert.match(page.text, /<script type="module" src="\/static\/js\/group-settings.js"><\/script>/);
    // A member who is not the creator has no Remove links and no remove dialog.
    const memberPage = await m1.agent.get(`/chats/${id}/settings`);
    assert.ok(!memberPage.text.includes("/remove\""), "no remove links for a member");
    assert.ok(!memberPage.text.includes('id="remove-dialog"'));
  });

  it("GET asks (name, group, a form that posts to the same URL) and changes nothing; POST removes", async () => {
    const id = await createGroup(owner.agent, "Hikers", [m1.creds.username, m2.creds.username]);
    const url = `/chats/${id}/members/${m2.userId}/remove`;
    const ask = await owner.agent.get(url);
    assert.equal(ask.status, 200);
    assert.match(ask.text, new RegExp(`<h1[^>]*>Remove ${m2.creds.username} from the group\\?</h1>`));
    assert.match(ask.text, /Hikers/);
    assert.match(ask.text, /They will no longer see the group or its messages/);
    assert.ok(ask.text.includes(`<form method="post" action="${url}"`));
    assert.match(ask.text, /name="_csrf"/);
    assert.ok(ask.text.includes(`href="/chats/${id}/settings">Cancel</a>`));
    assert.deepEqual(await memberIds(id), sorted(owner.userId, m1.userId, m2.userId), "asking removes no one");

    const res = await postForm(owner.agent, url, {}, url);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/chats/${id}/settings`);
    assert.deepEqual(await memberIds(id), sorted(owner.userId, m1.userId));
  });

  it("is asked only by the creator, about a member other than themself: 404 otherwise, and nothing changes", async () => {
    const id = await createGroup(owner.agent, "Closed", [m1.creds.username, m2.creds.username]);
    const direct = await openDirect(owner.agent, m1.userId);
    const refusals: [U, string][] = [
      [m1, `/chats/${id}/members/${m2.userId}/remove`], // a member, not the creator
      [outsider, `/chats/${id}/members/${m2.userId}/remove`],
      [owner, `/chats/${id}/members/${owner.userId}/remove`], // themself: they leave instead
      [owner, `/chats/${id}/members/${outsider.userId}/remove`], // not a member
      [owner, `/chats/${id}/members/abc/remove`],
      [owner, `/chats/${direct}/members/${m1.userId}/remove`], // a direct chat has no members to remove
      [owner, `/chats/999999999/members/${m1.userId}/remove`],
    ];
    for (const [who, url] of refusals) {
      const res = await who.agent.get(url);
      assert.equal(res.status, 404, `${who.creds.username} GET ${url}`);
      assert.ok(!res.text.includes("Closed"), "the group's name is not revealed");
    }
    const anon = await agent(app).get(`/chats/${id}/members/${m2.userId}/remove`);
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.location, "/login");
    assert.deepEqual(await memberIds(id), sorted(owner.userId, m1.userId, m2.userId));
    assert.deepEqual(await memberIds(direct), sorted(owner.userId, m1.userId));
  });
});

describe("leaving a group", () => {
  let owner: U;
  let m1: U;
  let outsider: U;
  before(async () => {
    [owner, m1, outsider] = await Promise.all([user("lv"), user("lv"), user("lv")]);
  });

  it("the settings page's Leave is a link that asks first, with the dialog's form beside it", async () => {
    const id = await createGroup(owner.agent, "Band", [m1.creds.username]);
    const page = await m1.agent.get(`/chats/${id}/settings`);
    assert.ok(page.text.includes(`href="/chats/${id}/leave" data-confirm-dialog="leave-dialog"`));
    assert.match(page.text, /id="leave-dialog"/);
    assert.match(page.text, /Leave “Band”\?/);
    assert.ok(!page.text.includes('name="delete_if_last"'), "not the last member: no deletion agreed to");
  });

  it("GET asks (who takes over, or that they can come back) and changes nothing; POST leaves", async () => {
    const id = await createGroup(owner.agent, "Choir", [m1.creds.username]);
    const asCreator = await owner.agent.get(`/chats/${id}/leave`);
    assert.equal(asCreator.status, 200);
    assert.match(asCreator.text, /<h1[^>]*>Leave “Choir”\?<\/h1>/);
    assert.match(asCreator.text, /The longest-standing member becomes the group&#39;s admin\./);
    assert.ok(asCreator.text.includes(`<form method="post" action="/chats/${id}/leave"`));
    assert.match(asCreator.text, />Leave group<\/button>/);
    assert.ok(!asCreator.text.includes("delete_if_last"));
    const asMember = await m1.agent.get(`/chats/${id}/leave`);
    assert.match(asMember.text, /You can be added back by the group&#39;s admin\./);
    assert.deepEqual(await memberIds(id), sorted(owner.userId, m1.userId), "asking changes nothing");

    const res = await postForm(m1.agent, `/chats/${id}/leave`, {}, `/chats/${id}/leave`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/chats");
    assert.deepEqual(await memberIds(id), [owner.userId]);
  });

  it("the last member is warned that the group and its history will be deleted, and only then is it deleted", async () => {
    const id = await createGroup(owner.agent, "Last light", [m1.creds.username]);
    await postForm(m1.agent, `/chats/${id}/leave`, {}, `/chats/${id}/leave`);
    const settings = await owner.agent.get(`/chats/${id}/settings`);
    assert.match(settings.text, /You are the last member: leaving deletes the group and its messages\./);
    assert.match(settings.text, /name="delete_if_last" value="1"/, "the dialog's form says the warning was shown");

    const ask = await owner.agent.get(`/chats/${id}/leave`);
    assert.equal(ask.status, 200);
    assert.match(ask.text, /role="alert"[\s\S]*If you leave, the group and all its messages are deleted for good/);
    assert.match(ask.text, /<input type="hidden" name="delete_if_last" value="1">/);
    assert.match(ask.text, />Leave and delete the group<\/button>/);
    assert.ok(await chatExists(id), "asking deletes nothing");

    const res = await postForm(owner.agent, `/chats/${id}/leave`, { delete_if_last: "1" }, `/chats/${id}/leave`);
    assert.equal(res.status, 303);
    assert.equal(await chatExists(id), false);
    assert.equal((await app.sql("SELECT 1 FROM messages WHERE chat_id = $1", [id])).length, 0);
    assert.match((await owner.agent.get("/chats")).text, /its last member: the group is deleted/);
  });

  it("if everyone else left after the question was asked, leaving asks again (409) instead of deleting", async () => {
    const id = await createGroup(owner.agent, "Race", [m1.creds.username]);
    // m1 opened the question while owner was still there (no deletion agreed to), then owner left.
    const asked = await m1.agent.get(`/chats/${id}/leave`);
    assert.ok(!asked.text.includes("delete_if_last"));
    await postForm(owner.agent, `/chats/${id}/leave`, {}, `/chats/${id}/leave`);
    for (const form of [{}, { delete_if_last: "yes" }] as Record<string, string>[]) {
      const res = await postForm(m1.agent, `/chats/${id}/leave`, form, `/chats/${id}/leave`);
      assert.equal(res.status, 409);
      assert.match(res.text, /Everyone else has left in the meantime: you are now the last member\./);
      assert.match(res.text, /If you leave, the group and all its messages are deleted for good/);
      assert.match(res.text, /name="delete_if_last" value="1"/);
      assert.deepEqual(await memberIds(id), [m1.userId], "still a member");
      assert.ok(await chatExists(id), "the group is kept");
    }
  });

  it("is asked only of a member of a group: 404 for outsiders and direct chats, login for visitors; nothing changes", async () => {
    const id = await createGroup(owner.agent, "Secret society", [m1.creds.username]);
    const direct = await openDirect(owner.agent, m1.userId);
    for (const [who, url] of [[outsider, `/chats/${id}/leave`], [owner, `/chats/${direct}/leave`], [owner, "/chats/abc/leave"]] as const) {
      const res = await who.agent.get(url);
      assert.equal(res.status, 404, `${who.creds.username} GET ${url}`);
      assert.ok(!res.text.includes("Secret society"));
    }
    assert.equal((await postForm(outsider.agent, `/chats/${id}/leave`, { delete_if_last: "1" }, "/chats")).status, 404);
    const anon = await agent(app).get(`/chats/${id}/leave`);
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.location, "/login");
    assert.deepEqual(await memberIds(id), sorted(owner.userId, m1.userId));
    assert.deepEqual(await memberIds(direct), sorted(owner.userId, m1.userId));
  });

  it("asks in Ukrainian too", async () => {
    const id = await createGroup(owner.agent, "Гурт", [m1.creds.username]);
    await postForm(m1.agent, `/chats/${id}/leave`, {}, `/chats/${id}/leave`);
    const page = await owner.agent.get(`/chats/${id}/leave`).set("Cookie", "lang=uk");
    assert.match(page.text, /Вийти з групи «Гурт»\?/);
    assert.match(page.text, /Ви — останній учасник\. Якщо ви вийдете, групу й усі її повідомлення буде видалено назавжди/);
    assert.match(page.text, />Вийти й видалити групу<\/button>/);
  });
});

describe("the member picker's suggestions (/people.json)", () => {
  let me: U;
  let marta: U;
  before(async () => {
    me = await loggedInAgent(app, { username: "pickme", email: "pickme@example.test", password: "correct horse battery" });
    for (const n of ["Marta", "marko_k", "omar", "zenon"]) {
      const who = await loggedInAgent(app, { username: n, email: `${n.toLowerCase()}@example.test`, password: "correct horse battery" });
      if (n === "Marta") marta = who;
    }
    const gone = await loggedInAgent(app, { username: "mariia_gone", email: "mariia@example.test", password: "correct horse battery" });
    await app.sql("UPDATE users SET is_active = false WHERE id = $1", [gone.userId]);
  });

  it("answers what the directory shows (name, avatar), prefix matches first, active people only, never the asker", async () => {
    const res = await me.agent.get("/people.json?q=MAR").set("Accept", "application/json");
    assert.equal(res.status, 200);
    assert.match(res.headers["content-type"], /application\/json/);
    assert.deepEqual(res.body, {
      people: [
        { username: "marko_k", thumbPath: null },
        { username: "Marta", thumbPath: null },
        { username: "omar", thumbPath: null },
      ],
    });
    assert.deepEqual((await me.agent.get("/people.json?q=pick")).body, { people: [] }, "the asker is left out");
    assert.deepEqual((await me.agent.get("/people.json?q=")).body, { people: [] });
    assert.deepEqual((await me.agent.get("/people.json")).body, { people: [] });
    // Odd input is a search for it, never an error: LIKE's wildcards are plain characters, a NUL is dropped.
    for (const q of ["%", "_", "\\", "a\u0000r", "x".repeat(500)]) {
      const odd = await me.agent.get(`/people.json?q=${encodeURIComponent(q)}`);
      assert.equal(odd.status, 200, q);
    }
    assert.deepEqual((await me.agent.get("/people.json?q=%25")).body, { people: [] });
    assert.ok(!JSON.stringify((await me.agent.get("/people.json?q=o")).body).match(/email|password|@example/), "nothing but names and pictures");
  });

  it("shows the avatar thumbnail the directory shows", async () => {
    assert.equal((await upload(marta.agent, "/gallery", await uploadToken(marta.agent), [{ filename: "me.png", data: await png() }])).status, 303);
    const [image] = await app.sql<{ id: number; thumb_path: string }>("SELECT id, thumb_path FROM images WHERE owner_id = $1", [marta.userId]);
    assert.equal((await postForm(marta.agent, `/gallery/${image.id}/avatar`, {}, "/gallery")).status, 303);
    const res = await me.agent.get("/people.json?q=marta");
    assert.deepEqual(res.body, { people: [{ username: "Marta", thumbPath: image.thumb_path }] });
    const directory = await me.agent.get("/people?q=marta");
    assert.ok(directory.text.includes(`src="/media/${image.thumb_path}"`), "the same picture as the directory's");
  });

  it("is for logged-in people only: a visitor is sent to the login page", async () => {
    const res = await agent(app).get("/people.json?q=mar");
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, "/login");
    assert.ok(!res.text.includes("marko_k"));
  });

  it("is rate-limited per account (a JSON 429), and another account is not held up", async () => {
    const busy = await user("busy");
    let last = 0;
    for (let i = 0; i < 121; i++) last = (await busy.agent.get("/people.json?q=ma")).status;
    assert.equal(last, 429);
    const refused = await busy.agent.get("/people.json?q=ma");
    assert.equal(refused.status, 429);
    assert.match(refused.body.error, /Too many attempts/);
    assert.equal((await me.agent.get("/people.json?q=ma")).status, 200, "someone else still gets answers");
  });
});

describe("the group forms without JavaScript", () => {
  it("keep the box of usernames (the picker's script enhances it), on the new group and the settings page", async () => {
    const owner = await user("box");
    const friend = await user("box");
    const page = await owner.agent.get(`/chats/new?with=${friend.creds.username}`);
    assert.match(page.text, /<textarea class="form-control" id="f-members" name="members"[^>]*>/);
    assert.ok(page.text.includes(`>${friend.creds.username}</textarea>`));
    assert.match(page.text, /<script type="module" src="\/static\/js\/people-picker.js"><\/script>/);
    assert.match(page.text, /id="i18n-strings" data-strings="[^"]*chat\.picker\.results_one/);
    const id = await createGroup(owner.agent, "Box", [friend.creds.username]);
    const settings = await owner.agent.get(`/chats/${id}/settings`);
    assert.match(settings.text, /<input class="form-control" id="f-members" name="members" type="text"/);
    // The members already in the group are not suggested (the script reads them from here).
    assert.ok(settings.text.includes(`data-picker-exclude="[&quot;${owner.creds.username}&quot;,&quot;${friend.creds.username}&quot;]"`) ||
      settings.text.includes(`data-picker-exclude="[&quot;${friend.creds.username}&quot;,&quot;${owner.creds.username}&quot;]"`));
  });
});
