// The languages Hromada speaks and the one i18next instance that translates them, initialised once, synchronously,
// from the locale files in the repo. Requests get a translator bound to their language (middleware.ts).
import i18next, { type TOptions } from "i18next";
import en from "../../locales/en.json";
import uk from "../../locales/uk.json";

/**
 * Every language, in the order the switch lists them. A new language: add its code here, a locales/<code>.json
 * with every key (test/i18n/keys.test.ts tells which are missing) and its resources below.
 */
export const LANGUAGES = ["uk", "en"] as const;
export type Language = (typeof LANGUAGES)[number];
/** What a visitor gets when nothing they send names a language we have, and where a missing key falls back to. */
export const FALLBACK_LANGUAGE: Language = "en";

export const isLanguage = (value: unknown): value is Language => LANGUAGES.includes(value as Language);

/** Parameters of a message: interpolated values and `count` for plurals. */
export type TParams = Record<string, unknown>;
/** A translator bound to one language: the same function in templates (t), routes (req.t) and tests. */
export type Translate = (key: string, params?: TParams) => string;

export const i18n = i18next.createInstance();
void i18n.init({
  initAsync: false,
  resources: { en: { translation: en }, uk: { translation: uk } },
  supportedLngs: [...LANGUAGES],
  fallbackLng: FALLBACK_LANGUAGE,
  load: "languageOnly",
  // One namespace: a ":" in a message is text, not a namespace.
  nsSeparator: false,
  // Templates autoescape what t() returns; escaping here too would show "&lt;b&gt;" for a name like "<b>x</b>".
  interpolation: { escapeValue: false },
  returnNull: false,
  returnEmptyString: false,
});

/** Parameterised texts kept per language before the memo is emptied (it only saves work; any size is correct). */
const MEMO_LIMIT = 5000;

/** The memo's key for a call, or null when a parameter is not a plain value (then i18next is simply asked). */
function memoKey(key: string, params: TParams): string | null {
  let id = key;
  for (const name in params) {
    const value = params[name];
    if (value !== null && typeof value === "object") return null;
    // Quoted, so no value can pass for two parameters of another call.
    id += ` ${name}=${JSON.stringify(String(value))}`;
  }
  return id;
}

/**
 * A translator for one language. Measured per call: getFixedT's function 7-21 µs, i18n.t with `lng` 2.4-6 µs, and
 * a page makes dozens of calls (a note card alone several). The resources never change after start, so a text is
 * worked out once per language and parameters and kept: labels without parameters for good, the others in a
 * bounded memo (a page mostly shows the same notes and names again, as the date formatter's memo assumes).
 */
function makeTranslator(lng: Language): Translate {
  const plain = new Map<string, string>();
  const withParams = new Map<string, string>();
  return (key, params) => {
    if (params) {
      const id = memoKey(key, params);
      if (id === null) return String(i18n.t(key, { ...params, lng } as TOptions));
      let text = withParams.get(id);
      if (text === undefined) {
        if (withParams.size >= MEMO_LIMIT) withParams.clear();
        text = String(i18n.t(key, { ...params, lng } as TOptions));
        withParams.set(id, text);
      }
      return text;
    }
    let text = plain.get(key);
    if (text === undefined) {
      text = String(i18n.t(key, { lng }));
      // Only keys that exist: anything else passed in is not kept.
      if (i18n.exists(key, { lng })) plain.set(key, text);
    }
    return text;
  };
}

const bound = new Map<Language, Translate>(LANGUAGES.map((lang) => [lang, makeTranslator(lang)]));

/** The translator of a language (made once per language at start). */
export function translator(lang: string): Translate {
  return bound.get(isLanguage(lang) ? lang : FALLBACK_LANGUAGE)!;
}

/** A message to translate later (flash, HttpError, zod issue): a key and its parameters. */
export interface Message {
  key: string;
  params?: TParams;
}

const KEY = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

/** A translation key ("notes.count"), as opposed to text not converted yet ("Note added."). */
export const isKey = (s: string) => KEY.test(s);

const isMessage = (v: unknown): v is Message => typeof (v as Message | null)?.key === "string" && isKey((v as Message).key);

/**
 * The text of a message in the request's language. Text that is not a key is shown as it is, never passed through
 * i18next: it may hold user content ("Group "{{x}}" created.") that interpolation would rewrite. A parameter that
 * is itself a Message (`{ why: { key: "auth.password_warnings.dates" } }`) is translated first; strings never are.
 */
export function translateMessage(t: Translate, message: string, params?: TParams): string {
  if (!isKey(message)) return message;
  if (params && Object.values(params).some(isMessage)) {
    params = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, isMessage(v) ? translateMessage(t, v.key, v.params) : v]));
  }
  return t(message, params);
}
