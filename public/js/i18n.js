// Translations for the browser scripts: the strings the server embedded for this page (<template id="i18n-strings">,
// from the same locale files; a feature lists its keys in clientKeys) with the server's rules: {{name}}
// interpolation, and plurals by Intl.PluralRules (key_one, key_few, key_many, key_other).

let strings = null;
let rules = null;

function load() {
  if (!strings) {
    const el = document.getElementById("i18n-strings");
    strings = el ? JSON.parse(el.dataset.strings || "{}") : {};
    rules = new Intl.PluralRules(document.documentElement.lang || "en");
  }
  return strings;
}

/** The text of `key` in the page's language; params fill {{name}} ({{count}} also picks the plural form). */
export function t(key, params = {}) {
  const all = load();
  let text = all[key];
  if (text === undefined && typeof params.count === "number") text = all[`${key}_${rules.select(params.count)}`] ?? all[`${key}_other`];
  // A key the page did not embed shows as itself: test/i18n catches it, a reader at least sees something.
  if (text === undefined) return key;
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => (params[name] === undefined ? "" : String(params[name])));
}

let names = null;

/**
 * Compares two names in the page's language (Ukrainian puts Cyrillic first, English Latin), the same in every
 * browser: one Intl.Collator with the page's locale, made on first use, never a bare localeCompare().
 */
export function compareNames(a, b) {
  names ??= new Intl.Collator(document.documentElement.lang || "en", { sensitivity: "variant", numeric: true });
  return names.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
