// Dates and times in the browser, as the server prints them (src/i18n/format.ts, same Intl options: the test in
// test/i18n/format.test.ts runs both). Language from <html lang>, time zone from <html data-time-zone> (the
// user's saved zone) or, without one, the browser's own.

/** Intl's name for each of our languages: British English keeps the 24-hour clock and day-month order. */
const INTL_LOCALE = { uk: "uk", en: "en-GB" };

/** Keep in step with STYLES in src/i18n/format.ts. */
export const STYLES = {
  dateTime: { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  day: { day: "numeric", month: "short", year: "numeric" },
  shortDay: { day: "numeric", month: "short" },
  time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  year: { year: "numeric" },
};

/** Keep in step with RECENT_MS in src/i18n/format.ts: a feed says "5 хв тому" for a week, then gives the date. */
export const RECENT_MS = 7 * 24 * 3600_000;

const RELATIVE_STEPS = [["second", 60], ["minute", 60], ["hour", 24], ["day", 7], ["week", 4.35], ["month", 12], ["year", Infinity]];

/** A formatter for a language and a zone (undefined: the browser's), with the server's methods. */
export function dateFormatter(lang, timeZone) {
  const locale = INTL_LOCALE[lang] ?? INTL_LOCALE.en;
  const make = (style) => {
    const f = new Intl.DateTimeFormat(locale, { ...STYLES[style], ...(timeZone ? { timeZone } : {}) });
    return (d) => f.format(d);
  };
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" });
  /** "5 хв тому", "учора": from `now`, in the largest unit that fits. */
  const relative = (d, now = new Date()) => {
    let value = (d.getTime() - now.getTime()) / 1000;
    for (const [unit, size] of RELATIVE_STEPS) {
      // Under a minute is "now" ("зараз"): counting seconds would change faster than a feed is refreshed.
      if (Math.abs(value) < size) return rtf.format(unit === "second" ? 0 : Math.round(value), unit);
      value /= size;
    }
    return rtf.format(Math.round(value), "year");
  };
  const dateTime = make("dateTime");
  return {
    dateTime,
    day: make("day"),
    shortDay: make("shortDay"),
    time: make("time"),
    year: make("year"),
    relative,
    /** What a feed shows: relative within RECENT_MS, then the date and time. */
    recent: (d, now = new Date()) => (Math.abs(now.getTime() - d.getTime()) < RECENT_MS ? relative(d, now) : dateTime(d)),
  };
}

/**
 * Brings every <time data-recent> under `root` up to `now`: "5 хв тому" becomes "6 хв тому", and one that has passed
 * a week since the page was printed becomes its full date (the title the server gave it, in the zone it named), as a
 * freshly loaded page would show it.
 */
export function refreshRecentTimes(root, now = new Date(), formatter = fmt()) {
  for (const el of root.querySelectorAll("time[data-recent]")) {
    const d = new Date(el.dateTime);
    const text = Math.abs(now.getTime() - d.getTime()) < RECENT_MS ? formatter.recent(d, now) : el.title || formatter.dateTime(d);
    if (el.textContent !== text) el.textContent = text;
  }
}

/** Keeps the page's recent times current: once a minute, and when the tab comes back into view. */
export function keepRecentTimesFresh(root = document) {
  const refresh = () => refreshRecentTimes(root);
  setInterval(refresh, 60_000);
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && refresh());
  return refresh;
}

let pageFormatter = null;

/** The page's formatter: its language and the reader's zone. */
export function fmt() {
  if (!pageFormatter) {
    const root = document.documentElement;
    pageFormatter = dateFormatter(root.lang || "en", root.dataset.timeZone || undefined);
  }
  return pageFormatter;
}
