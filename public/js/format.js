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

const RELATIVE_STEPS = [["second", 60], ["minute", 60], ["hour", 24], ["day", 7], ["week", 4.35], ["month", 12], ["year", Infinity]];

/** A formatter for a language and a zone (undefined: the browser's), with the server's methods. */
export function dateFormatter(lang, timeZone) {
  const locale = INTL_LOCALE[lang] ?? INTL_LOCALE.en;
  const make = (style) => {
    const f = new Intl.DateTimeFormat(locale, { ...STYLES[style], ...(timeZone ? { timeZone } : {}) });
    return (d) => f.format(d);
  };
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" });
  return {
    dateTime: make("dateTime"),
    day: make("day"),
    shortDay: make("shortDay"),
    time: make("time"),
    year: make("year"),
    /** "5 хв тому", "учора": from `now`, in the largest unit that fits. */
    relative(d, now = new Date()) {
      let value = (d.getTime() - now.getTime()) / 1000;
      for (const [unit, size] of RELATIVE_STEPS) {
        if (Math.abs(value) < size) return rtf.format(Math.round(value), unit);
        value /= size;
      }
      return rtf.format(Math.round(value), "year");
    },
  };
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
