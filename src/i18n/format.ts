// Dates and times in the reader's language and time zone: one module for the templates' filters, the presenters
// and (with the same options, in public/js/format.js) the browser scripts. test/i18n/format.test.ts checks both
// print the same.
import { FALLBACK_LANGUAGE, isLanguage, type Language } from "./index";

/** Intl's name for each of our languages: British English keeps the 24-hour clock and day-month order. */
const INTL_LOCALE: Record<Language, string> = { uk: "uk", en: "en-GB" };

/** The styles every page uses. Keep in step with STYLES in public/js/format.js (the test compares them). */
export const STYLES = {
  dateTime: { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  day: { day: "numeric", month: "short", year: "numeric" },
  shortDay: { day: "numeric", month: "short" },
  time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  year: { year: "numeric" },
} as const satisfies Record<string, Intl.DateTimeFormatOptions>;
export type Style = keyof typeof STYLES;

export interface DateFormatter {
  readonly lang: Language;
  readonly timeZone: string;
  /** "4 груд. 2026 р., 19:09" ("4 Dec 2026, 17:09 UTC" where the zone is named). */
  dateTime(d: Date): string;
  /** "4 груд. 2026 р." */
  day(d: Date): string;
  /** "4 груд." */
  shortDay(d: Date): string;
  /** "19:09" */
  time(d: Date): string;
  /** "2026" (in the zone: chat lists leave the year out for this year's dates) */
  year(d: Date): string;
  /** "5 хв тому", "учора", "in 2 days": from `now`, in the largest unit that fits. */
  relative(d: Date, now?: Date): string;
  /** What a feed shows: relative within RECENT_MS of `now` ("5 хв тому"), else the date and time (dateTime). */
  recent(d: Date, now?: Date): string;
}

/** How long a feed says "5 хв тому" before it gives the date: a week, as "3 дн. тому" still reads at a glance. */
export const RECENT_MS = 7 * 24 * 3600_000;

/**
 * Formatting one date with Intl costs ~3 µs and the home page prints dozens; a page mostly shows the same notes
 * and messages again, so each style keeps what it printed per minute (bounded: cleared when it grows large).
 */
const MEMO_LIMIT = 5000;

function memoised(fmt: Intl.DateTimeFormat): (d: Date) => string {
  const memo = new Map<number, string>();
  return (d) => {
    const minute = Math.floor(d.getTime() / 60_000);
    let text = memo.get(minute);
    if (text === undefined) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      text = fmt.format(d);
      memo.set(minute, text);
    }
    return text;
  };
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Infinity],
];

function build(lang: Language, timeZone: string, nameZone: boolean): DateFormatter {
  const locale = INTL_LOCALE[lang];
  const make = (style: Style, named = false) =>
    memoised(new Intl.DateTimeFormat(locale, { ...STYLES[style], timeZone, ...(named ? { timeZoneName: "short" } : {}) }));
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" });
  // A feed prints "5 хв тому" for many items: the text depends only on the unit and the rounded number, so each
  // is formatted once (a few hundred at most), kept under a number made of both (no string to build per call).
  const said = new Map<number, string>();
  const say = (n: number, step: number) => {
    const id = n * RELATIVE_STEPS.length + step;
    let text = said.get(id);
    if (text === undefined) {
      if (said.size >= MEMO_LIMIT) said.clear();
      text = rtf.format(n, RELATIVE_STEPS[step][0]);
      said.set(id, text);
    }
    return text;
  };
  const relative = (d: Date, now = new Date()) => {
    let value = (d.getTime() - now.getTime()) / 1000;
    for (let step = 0; step < RELATIVE_STEPS.length; step++) {
      // Under a minute is "now" ("зараз"): counting seconds would change faster than a feed is refreshed.
      if (Math.abs(value) < RELATIVE_STEPS[step][1]) return say(step === 0 ? 0 : Math.round(value), step);
      value /= RELATIVE_STEPS[step][1];
    }
    return say(Math.round(value), RELATIVE_STEPS.length - 1);
  };
  const dateTime = make("dateTime", nameZone);
  return {
    lang,
    timeZone,
    dateTime,
    day: make("day"),
    shortDay: make("shortDay"),
    time: make("time"),
    year: make("year"),
    relative,
    recent: (d, now = new Date()) => (Math.abs(now.getTime() - d.getTime()) < RECENT_MS ? relative(d, now) : dateTime(d)),
  };
}

const formatters = new Map<string, DateFormatter>();

/**
 * The formatter of a language and time zone, made once and reused by every request. `nameZone`: print the zone
 * after full dates, for readers whose zone we do not know (anonymous visitors, accounts without one), who get UTC.
 */
export function dateFormatter(lang: string, timeZone = "UTC", nameZone = false): DateFormatter {
  const language = isLanguage(lang) ? lang : FALLBACK_LANGUAGE;
  const id = `${language} ${timeZone} ${nameZone}`;
  let f = formatters.get(id);
  if (!f) {
    f = build(language, timeZone, nameZone);
    formatters.set(id, f);
  }
  return f;
}
