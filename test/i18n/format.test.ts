// src/i18n/format.ts and public/js/format.js: dates in the reader's language and zone, the same on both sides;
// and the template filters that use them (src/views.ts).
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import nunjucks from "nunjucks";
import { dateFormatter, STYLES } from "../../src/i18n/format";
import { registerFilters } from "../../src/views";

const browserModule = () => import(pathToFileURL(path.resolve(__dirname, "../../public/js/format.js")).href);
const moment = new Date("2026-12-04T17:09:00Z");

describe("the date formatter", () => {
  it("prints in the reader's language and zone", () => {
    assert.equal(dateFormatter("uk", "Europe/Kiev").dateTime(moment), "4 груд. 2026 р., 19:09");
    assert.equal(dateFormatter("en", "Europe/Kiev").dateTime(moment), "4 Dec 2026, 19:09");
    assert.equal(dateFormatter("en", "America/New_York").time(moment), "12:09");
    assert.equal(dateFormatter("uk", "Europe/Kiev").day(moment), "4 груд. 2026 р.");
    assert.equal(dateFormatter("uk", "Europe/Kiev").shortDay(moment), "4 груд.");
  });

  it("names the zone where the reader's own is not known (UTC)", () => {
    assert.equal(dateFormatter("en", "UTC", true).dateTime(moment), "4 Dec 2026, 17:09 UTC");
    assert.equal(dateFormatter("uk", "UTC", true).dateTime(moment), "4 груд. 2026 р., 17:09 UTC");
    assert.equal(dateFormatter("en", "UTC", true).dateTime(new Date("2026-09-05T03:07:59Z")), "5 Sept 2026, 03:07 UTC");
  });

  it("prints relative times in the language", () => {
    const f = dateFormatter("uk", "Europe/Kiev");
    assert.equal(f.relative(new Date(moment.getTime() - 5 * 60_000), moment), "5 хв тому");
    assert.equal(f.relative(new Date(moment.getTime() - 24 * 3600_000), moment), "учора");
    assert.equal(dateFormatter("en").relative(new Date(moment.getTime() - 3 * 3600_000), moment), "3 hr ago");
  });

  it("says 'now' under a minute, and a feed's time is relative for a week, then the date and time", () => {
    const f = dateFormatter("uk", "Europe/Kiev");
    assert.equal(f.relative(new Date(moment.getTime() - 40_000), moment), "зараз");
    assert.equal(dateFormatter("en").relative(new Date(moment.getTime() - 59_000), moment), "now");
    assert.equal(f.recent(new Date(moment.getTime() - 5 * 60_000), moment), "5 хв тому");
    assert.equal(f.recent(new Date(moment.getTime() - 6 * 24 * 3600_000), moment), "6 дн. тому");
    assert.equal(f.recent(new Date(moment.getTime() - 8 * 24 * 3600_000), moment), "26 лист. 2026 р., 19:09");
    assert.equal(dateFormatter("en", "UTC", true).recent(new Date(moment.getTime() - 30 * 24 * 3600_000), moment), "4 Nov 2026, 17:09 UTC");
  });

  it("is made once per language and zone, and remembers what it printed per minute without mixing minutes", () => {
    assert.equal(dateFormatter("uk", "Europe/Kiev"), dateFormatter("uk", "Europe/Kiev"));
    assert.notEqual(dateFormatter("uk", "Europe/Kiev"), dateFormatter("uk", "UTC"));
    const f = dateFormatter("en", "UTC");
    const intl = new Intl.DateTimeFormat("en-GB", { ...STYLES.dateTime, timeZone: "UTC" });
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2026, 0, 1) + 12_000 * 60_000; t += 59_000) {
      assert.equal(f.dateTime(new Date(t)), intl.format(new Date(t)));
    }
  });

  it("a page left open turns a recent time into its full date once it passes a week (the browser's refresher)", async () => {
    const { dateFormatter: browserFormatter, refreshRecentTimes } = await browserModule();
    const f = browserFormatter("uk", "Europe/Kiev");
    const written = new Date(moment.getTime() - 6 * 24 * 3600_000 - 23 * 3600_000);
    const printedTitle = dateFormatter("uk", "Europe/Kiev").dateTime(written);
    // What the server printed: the relative text, its full date in the title (in the zone it named).
    const el = { dateTime: written.toISOString(), title: printedTitle, textContent: "6 дн. тому" };
    const old = { dateTime: new Date(moment.getTime() - 30 * 24 * 3600_000).toISOString(), title: "4 лист. 2026 р., 19:09 UTC", textContent: "4 лист. 2026 р., 19:09 UTC" };
    const root = { querySelectorAll: (sel: string) => (assert.equal(sel, "time[data-recent]"), [el, old]) };

    refreshRecentTimes(root, moment, f);
    assert.equal(el.textContent, "7 дн. тому");
    refreshRecentTimes(root, new Date(written.getTime() + 7 * 24 * 3600_000 - 60_000), f);
    assert.equal(el.textContent, "7 дн. тому");
    refreshRecentTimes(root, new Date(written.getTime() + 7 * 24 * 3600_000 + 60_000), f);
    assert.equal(el.textContent, "27 лист. 2026 р., 20:09");
    assert.equal(el.textContent, printedTitle);
    // Already a date: left as the server printed it.
    assert.equal(old.textContent, "4 лист. 2026 р., 19:09 UTC");
    // Without a title, the date in the page's own formatter.
    const bare = { dateTime: written.toISOString(), title: "", textContent: "6 дн. тому" };
    refreshRecentTimes({ querySelectorAll: () => [bare] }, new Date(written.getTime() + 8 * 24 * 3600_000), f);
    assert.equal(bare.textContent, f.dateTime(written));
  });

  it("an unknown language gets English", () => {
    assert.equal(dateFormatter("de", "UTC").day(moment), "4 Dec 2026");
  });
});

describe("public/js/format.js", () => {
  it("has the server's styles", async () => {
    const browser = await browserModule();
    assert.deepEqual(browser.STYLES, STYLES);
  });

  it("prints what the server prints, in both languages, every 7 h 13 min over two years", async () => {
    const browser = await browserModule();
    for (const lang of ["uk", "en"]) {
      for (const zone of ["Europe/Kiev", "UTC", "America/Los_Angeles"]) {
        const server = dateFormatter(lang, zone);
        const client = browser.dateFormatter(lang, zone);
        for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2027, 0, 1); t += (7 * 60 + 13) * 60_000) {
          const d = new Date(t);
          for (const style of ["dateTime", "day", "shortDay", "time", "year"] as const) assert.equal(client[style](d), server[style](d), `${lang} ${zone} ${style} ${d.toISOString()}`);
          assert.equal(client.relative(d, moment), server.relative(d, moment));
          assert.equal(client.recent(d, moment), server.recent(d, moment));
        }
      }
    }
  });
});

describe("the date filters", () => {
  const env = new nunjucks.Environment(null, { autoescape: true });
  registerFilters(env);

  it("print in the request's language and zone (fmt in the context)", () => {
    const fmt = dateFormatter("uk", "Europe/Kiev");
    assert.equal(env.renderString("{{ d | datetime }}|{{ d | day }}|{{ d | time }}", { d: moment, fmt }), "4 груд. 2026 р., 19:09|4 груд. 2026 р.|19:09");
  });

  it("recent prints how long ago in the request's language", () => {
    const fmt = dateFormatter("uk", "Europe/Kiev");
    assert.equal(env.renderString("{{ d | recent }}", { d: new Date(Date.now() - 3 * 3600_000), fmt }), "3 год тому");
    assert.equal(env.renderString("{{ d | recent }}", { d: null, fmt }), "");
  });

  it("take a Date or an ISO string, print nothing for no date, and English UTC outside a request", () => {
    const render = (d: unknown) => env.renderString("{{ d | datetime }}", { d });
    assert.equal(render(new Date("2026-11-26T04:18:00Z")), "26 Nov 2026, 04:18 UTC");
    assert.equal(render("2026-11-26T04:18:00.000Z"), "26 Nov 2026, 04:18 UTC");
    assert.equal(render(null), "");
    assert.equal(render(undefined), "");
  });
});
