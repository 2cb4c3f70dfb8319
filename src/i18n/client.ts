// The strings a page's browser scripts show, taken from the same locale files: a feature lists the keys its
// scripts use (e.g. CHAT_CLIENT_KEYS) and passes them to the view as `clientKeys`; the layout embeds them as JSON
// for public/js/i18n.js. A plural key brings all of its forms in that language.
import { i18n, type Language } from "./index";

const cache = new Map<string, WeakMap<readonly string[], string>>();

/** The forms of `key` in `lang`: the key itself, or key_one/_few/_many/_other for a plural. */
function entries(lang: Language, key: string): [string, string][] {
  const store = i18n.getResourceBundle(lang, "translation") as Record<string, unknown>;
  const parent = key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "";
  const last = key.slice(key.lastIndexOf(".") + 1);
  const node = (parent ? parent.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], store) : store) as
    | Record<string, unknown>
    | undefined;
  if (typeof node?.[last] === "string") return [[key, node[last] as string]];
  const forms = Object.entries(node ?? {}).filter(([k, v]) => k.startsWith(`${last}_`) && typeof v === "string");
  if (forms.length) return forms.map(([k, v]) => [`${parent}.${k}`, v as string]);
  throw new Error(`No translation "${key}" in ${lang}`);
}

/** JSON of { key: text } for these keys in this language; made once per (language, list). */
export function clientStrings(lang: Language, keys: readonly string[]): string {
  let byList = cache.get(lang);
  if (!byList) cache.set(lang, (byList = new WeakMap()));
  let json = byList.get(keys);
  if (json === undefined) {
    json = JSON.stringify(Object.fromEntries(keys.flatMap((k) => entries(lang, k))));
    byList.set(keys, json);
  }
  return json;
}
