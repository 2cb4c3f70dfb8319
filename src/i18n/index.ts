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

const bound = new Map<Language, Translate>(
  LANGUAGES.map((lang) => {
    const fixed = i18n.getFixedT(lang);
    return [lang, (key: string, params?: TParams) => String(fixed(key, params as TOptions))];
  }),
);

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
