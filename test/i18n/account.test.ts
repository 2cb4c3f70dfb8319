// The account's language and time zone: detected at sign-up and login, changeable on the profile, used for every
// time shown; the language switched to while logged out carried onto the account; flashes and form errors in the
// reader's language.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { agent, loggedInAgent, newCredentials, tokenFor, type Agent } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app?.close());

const userRow = async (id: number) =>
  (await app.sql<{ locale: string | null; time_zone: string | null }>("SELECT locale, time_zone FROM users WHERE id = $1", [id]))[0];

async function signUp(a: Agent, extra: Record<string, string>, lang = "en") {
  const creds = newCredentials("tz");
  const token = await tokenFor(a, "/signup");
  const res = await a.post("/signup").set("Accept-Language", lang).type("form").send({ ...creds, password_confirm: creds.password, _csrf: token, ...extra });
  const [row] = await app.sql<{ id: number }>("SELECT id FROM users WHERE username = $1", [creds.username]);
  return { res, creds, id: row?.id };
}

async function logIn(a: Agent, login: string, password: string, extra: Record<string, string> = {}) {
  const token = await tokenFor(a);
  return a.post("/login").type("form").send({ login, password, _csrf: token, ...extra });
}

/** The text of a field's error (the invalid-feedback tied to it). */
const fieldError = (html: string, field: string) => new RegExp(`id="f-${field}-error">([^<]*)<`).exec(html)?.[1];

describe("time zone", () => {
  it("is taken from the browser at sign-up and stored on the account", async () => {
    const { res, id } = await signUp(agent(app), { time_zone: "Europe/Kyiv" });
    assert.equal(res.status, 303);
    assert.equal((await userRow(id)).time_zone, "Europe/Kyiv");
  });

  it("a zone the browser names that is not a zone is not stored, and does not stop the sign-up", async () => {
    for (const zone of ["Mars/Olympus_Mons", "+02:00", "<script>", "x".repeat(100)]) {
      const { res, id } = await signUp(agent(app), { time_zone: zone });
      assert.equal(res.status, 303, zone);
      assert.equal((await userRow(id)).time_zone, null, zone);
    }
  });

  it("is updated from the browser at login", async () => {
    const { userId, creds } = await loggedInAgent(app);
    assert.equal((await userRow(userId)).time_zone, null);
    const res = await logIn(agent(app), creds.username, creds.password, { time_zone: "America/New_York" });
    assert.equal(res.status, 303);
    assert.equal((await userRow(userId)).time_zone, "America/New_York");
    await logIn(agent(app), creds.username, creds.password, { time_zone: "Not/AZone" });
    assert.equal((await userRow(userId)).time_zone, "America/New_York", "an unknown name leaves the stored zone");
  });

  it("shows the same moment at the same clock time on every page, in the reader's zone; UTC, named, without one", async () => {
    const kyiv = await loggedInAgent(app, newCredentials("kyiv"), { isStaff: true });
    await app.sql("UPDATE users SET time_zone = 'Europe/Kiev', created_at = '2026-12-04T17:09:00Z' WHERE id = $1", [kyiv.userId]);
    await app.sql("INSERT INTO notes (user_id, data, date) VALUES ($1, 'нотатка', '2026-12-04T17:09:00Z')", [kyiv.userId]);
    const home = await kyiv.agent.get("/").set("Accept-Language", "uk");
    assert.ok(home.text.includes("4 груд. 2026 р., 19:09"), "notes: Kyiv time, in Ukrainian");
    const admin = await kyiv.agent.get(`/admin/users/${kyiv.userId}`).set("Accept-Language", "en");
    assert.ok(admin.text.includes("4 Dec 2026, 19:09<"), "admin: the same clock time");
    assert.ok(!/>[^<]*17:09[^<]*</.test(admin.text), "no UTC clock time shown to a reader with a zone");

    const utc = await loggedInAgent(app, newCredentials("utc"));
    await app.sql("INSERT INTO notes (user_id, data, date) VALUES ($1, 'нотатка', '2026-12-04T17:09:00Z')", [utc.userId]);
    assert.ok((await utc.agent.get("/").set("Accept-Language", "en")).text.includes("4 Dec 2026, 17:09 UTC"));
  });

  it("pages tell the browser scripts the reader's zone (and no zone when there is none)", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    assert.ok(!/data-time-zone/.test((await a.get("/profile")).text));
    await app.sql("UPDATE users SET time_zone = 'Asia/Tokyo' WHERE id = $1", [userId]);
    assert.match((await a.get("/profile")).text, /<html lang="en" data-time-zone="Asia\/Tokyo"/);
  });
});

describe("the profile's language and time zone", () => {
  it("are saved from the form, and the page follows", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const token = await tokenFor(a, "/profile");
    const res = await a.post("/profile/preferences").type("form").send({ locale: "uk", time_zone: "Europe/Kyiv", _csrf: token });
    assert.equal(res.status, 303);
    assert.deepEqual(await userRow(userId), { locale: "uk", time_zone: "Europe/Kyiv" });
    const page = await a.get("/profile").set("Accept-Language", "en");
    assert.match(page.text, /<html lang="uk" data-time-zone="Europe\/Kyiv"/);
    assert.match(page.text, /Мову та часовий пояс збережено\./, "the flash, in the new language");
    assert.match(page.text, /<option value="Europe\/Kyiv" selected>/);
  });

  it("offers zones under their current names (Kyiv, not Kiev), stores an old name as the new one and shows it so", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const form = await a.get("/profile");
    assert.match(form.text, /<option value="Europe\/Kyiv"/);
    assert.match(form.text, /<option value="Asia\/Kolkata"/);
    assert.doesNotMatch(form.text, /Europe\/Kiev|Asia\/Calcutta/);
    // An account saved before the rename: its zone is the list's Kyiv, and times are Kyiv's.
    await app.sql("UPDATE users SET time_zone = 'Europe/Kiev' WHERE id = $1", [userId]);
    assert.match((await a.get("/profile")).text, /<option value="Europe\/Kyiv" selected>/);
    // A browser or form still sending the old name: accepted and stored under the new one.
    const token = await tokenFor(a, "/profile");
    const res = await a.post("/profile/preferences").type("form").send({ locale: "en", time_zone: "Europe/Kiev", _csrf: token });
    assert.equal(res.status, 303);
    assert.deepEqual(await userRow(userId), { locale: "en", time_zone: "Europe/Kyiv" });
    const { id } = await signUp(agent(app), { time_zone: "Asia/Calcutta" });
    assert.equal((await userRow(id)).time_zone, "Asia/Kolkata");
  });

  it("refuses a time zone or language not in the lists with 422 and a readable error, storing nothing", async () => {
    const { agent: a, userId } = await loggedInAgent(app);
    const token = await tokenFor(a, "/profile");
    for (const [form, field, message] of [
      [{ locale: "en", time_zone: "Mars/Olympus_Mons" }, "time_zone", "Choose a time zone from the list."],
      [{ locale: "en", time_zone: "+02:00" }, "time_zone", "Choose a time zone from the list."],
      [{ locale: "en" }, "time_zone", "Choose a time zone from the list."],
      [{ locale: "de", time_zone: "UTC" }, "locale", "Choose a language from the list."],
    ] as const) {
      const res = await a.post("/profile/preferences").type("form").send({ ...form, _csrf: token });
      assert.equal(res.status, 422, JSON.stringify(form));
      assert.equal(fieldError(res.text, field), message);
      assert.deepEqual(await userRow(userId), { locale: null, time_zone: null });
    }
    const uk = await a.post("/profile/preferences").set("Accept-Language", "uk").type("form").send({ locale: "uk", time_zone: "Nowhere/City", _csrf: token });
    assert.equal(uk.status, 422);
    assert.equal(fieldError(uk.text, "time_zone"), "Виберіть часовий пояс зі списку.");
    assert.deepEqual(await userRow(userId), { locale: null, time_zone: null });
  });
});

describe("the language across login and logout", () => {
  it("a language switched to while logged out becomes the account's at login", async () => {
    const { userId, creds } = await loggedInAgent(app);
    await app.sql("UPDATE users SET locale = 'en' WHERE id = $1", [userId]);
    const browser = agent(app);
    const token = await tokenFor(browser);
    await browser.post("/language").type("form").send({ lang: "uk", next: "/login", _csrf: token });
    const res = await logIn(browser, creds.username, creds.password);
    assert.equal(res.status, 303);
    assert.equal((await userRow(userId)).locale, "uk");
    assert.match((await browser.get("/profile")).text, /<html lang="uk"/);
  });

  it("without a switch, the account's own language is kept at login, and stays after logout", async () => {
    const { userId, creds } = await loggedInAgent(app);
    await app.sql("UPDATE users SET locale = 'uk' WHERE id = $1", [userId]);
    const browser = agent(app);
    await logIn(browser, creds.username, creds.password);
    assert.equal((await userRow(userId)).locale, "uk");
    const token = await tokenFor(browser, "/profile");
    const out = await browser.post("/logout").set("Accept-Language", "en").type("form").send({ _csrf: token });
    assert.equal(out.status, 303);
    const page = await browser.get("/login").set("Accept-Language", "en");
    assert.match(page.text, /<html lang="uk"/);
    assert.match(page.text, /Ви вийшли з облікового запису\./);
  });

  it("a flash is shown in the language of the page that shows it", async () => {
    const { agent: a, creds } = await loggedInAgent(app);
    const token = await tokenFor(a, "/profile");
    await a.post("/profile").type("form").send({ username: creds.username, email: creds.email, _csrf: token });
    await a.post("/language").type("form").send({ lang: "uk", next: "/profile", _csrf: token });
    const page = await a.get("/profile");
    assert.match(page.text, /Профіль збережено\./);
    assert.ok(!page.text.includes("Your profile has been saved."));
  });
});

describe("the account forms in Ukrainian", () => {
  it("show zod's errors, the services' errors and the password policy in Ukrainian", async () => {
    const { res } = await signUp(agent(app), { username: "ab", email: "nope", password: "aaaaaaaaaaa", password_confirm: "aaaaaaaaaaa" }, "uk");
    assert.equal(res.status, 422);
    assert.equal(fieldError(res.text, "username"), "Ім’я користувача має містити щонайменше 3 символи.");
    assert.equal(fieldError(res.text, "email"), "Введіть правильну адресу електронної пошти.");
    assert.equal(fieldError(res.text, "password"), "Пароль надто легко вгадати. Повтори на кшталт «aaa» легко вгадати. Спробуйте кілька не пов’язаних між собою слів.");

    const taken = await loggedInAgent(app);
    const again = await signUp(agent(app), { username: taken.creds.username.toUpperCase() }, "uk");
    assert.equal(again.res.status, 422);
    assert.equal(fieldError(again.res.text, "username"), "Це ім’я користувача вже зайняте.");

    const wrong = agent(app);
    const token = await tokenFor(wrong);
    const login = await wrong.post("/login").set("Accept-Language", "uk").type("form").send({ login: taken.creds.username, password: "не той пароль", _csrf: token });
    assert.equal(login.status, 422);
    assert.match(login.text, /Неправильне ім’я користувача, пошта або пароль\./);
  });

  it("the same forms keep their English", async () => {
    const { res } = await signUp(agent(app), { username: "ab", password: "2019-12-01x", password_confirm: "2019-12-01x" }, "en");
    assert.equal(fieldError(res.text, "username"), "Username must be at least 3 characters.");
    assert.equal(fieldError(res.text, "password"), "This password is too easy to guess. Dates are easy to guess. Try a few unrelated words.");
  });
});
