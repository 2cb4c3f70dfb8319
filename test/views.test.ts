// src/views.ts: the template filters, and the date formatter they share with the presenters (src/http/format.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import nunjucks from "nunjucks";
import { formatDateTime, formatDay, formatShortDay, formatTime } from "../src/http/format";
import { registerFilters } from "../src/views";

describe("formatDateTime", () => {
  // The hand-made formatter must print exactly what Intl prints for en-GB, medium date, short time, UTC.
  const intl = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

  it("prints what Intl prints, every 7 h 13 min from 1999 to 2031", () => {
    const step = (7 * 60 + 13) * 60_000;
    let checked = 0;
    for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2031, 0, 1); t += step) {
      const d = new Date(t);
      assert.equal(formatDateTime(d), `${intl.format(d)} UTC`, d.toISOString());
      checked++;
    }
    assert.ok(checked > 38_000);
  });

  it("its parts print what Intl prints: the day, the short day and the 24-hour time", () => {
    const day = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
    const shortDay = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
    const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });
    for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2031, 0, 1); t += (31 * 60 + 7) * 60_000) {
      const d = new Date(t);
      assert.equal(formatDay(d), day.format(d), d.toISOString());
      assert.equal(formatShortDay(d), shortDay.format(d), d.toISOString());
      assert.equal(formatTime(d), time.format(d), d.toISOString());
    }
  });

  it("pads hours and minutes, not days", () => {
    assert.equal(formatDateTime(new Date("2026-09-05T03:07:59Z")), "5 Sept 2026, 03:07 UTC");
    assert.equal(formatDateTime(new Date("2026-12-31T23:59:00Z")), "31 Dec 2026, 23:59 UTC");
  });
});

describe("the datetime filter", () => {
  const env = new nunjucks.Environment(null, { autoescape: true });
  registerFilters(env);
  const render = (d: unknown) => env.renderString("{{ d | datetime }}", { d });

  it("takes a Date or an ISO string and prints nothing for no date", () => {
    assert.equal(render(new Date("2026-11-26T04:18:00Z")), "26 Nov 2026, 04:18 UTC");
    assert.equal(render("2026-11-26T04:18:00.000Z"), "26 Nov 2026, 04:18 UTC");
    assert.equal(render(null), "");
    assert.equal(render(undefined), "");
  });
});
