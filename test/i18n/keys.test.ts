// The locale files: the same keys in every language (plural keys with exactly the forms the language's
// Intl.PluralRules has), no empty text, every key used in the code defined, and every defined key used.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { LANGUAGES } from "../../src/i18n";
import { DYNAMIC_PREFIXES, flatten, GROUPS, KEY_USE, localeFile, sourceFiles, withoutComments } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const PLURAL = /_(zero|one|two|few|many|other)$/;

/** Keys of a language with plural forms folded: "notes.count" -> ["few", "many", "one", "other"]. */
function keysOf(lang: string): Map<string, string[] | null> {
  const out = new Map<string, string[] | null>();
  for (const [key] of flatten(localeFile(lang))) {
    const m = PLURAL.exec(key);
    if (!m) {
      out.set(key, null);
      continue;
    }
    const base = key.slice(0, -m[0].length);
    out.set(base, [...(out.get(base) ?? []), m[1]].sort());
  }
  return out;
}

/** Every key-like string literal in src/, views/ and public/js (e.g. "notes.count"), with the file it is in. */
function usedKeys(): Map<string, string> {
  const used = new Map<string, string>();
  for (const file of sourceFiles(ROOT)) {
    const text = withoutComments(fs.readFileSync(file, "utf8"));
    for (const m of text.matchAll(KEY_USE)) if (!used.has(m[2])) used.set(m[2], path.relative(ROOT, file));
  }
  return used;
}

describe("the locale files", () => {
  const keys = Object.fromEntries(LANGUAGES.map((l) => [l, keysOf(l)]));

  it("have every feature's group at the top, so each feature edits its own", () => {
    for (const lang of LANGUAGES) assert.deepEqual(Object.keys(localeFile(lang)).sort(), [...GROUPS].sort(), lang);
  });

  it("define the same keys in every language", () => {
    for (const a of LANGUAGES) {
      for (const b of LANGUAGES) {
        const missing = [...keys[a].keys()].filter((k) => !keys[b].has(k));
        assert.deepEqual(missing, [], `in ${a}, missing in ${b}`);
      }
    }
  });

  it("give each plural exactly the forms the language's plural rules have (uk: one/few/many/other; en: one/other)", () => {
    for (const lang of LANGUAGES) {
      const categories = [...new Intl.PluralRules(lang).resolvedOptions().pluralCategories].sort();
      for (const [key, forms] of keys[lang]) {
        if (forms) assert.deepEqual(forms, categories, `${lang}: ${key}`);
        else for (const other of LANGUAGES) assert.equal(keys[other].get(key) ?? null, null, `${key} is a plural in ${other} but not in ${lang}`);
      }
    }
  });

  it("have no empty text", () => {
    for (const lang of LANGUAGES) {
      for (const [key, value] of flatten(localeFile(lang))) assert.ok(typeof value === "string" && value.trim() !== "", `${lang}: ${key} is empty`);
    }
  });

  it("define every key the code uses", () => {
    const undefinedKeys = [...usedKeys()].filter(([k]) => !keys.en.has(k)).map(([k, file]) => `${k} (${file})`);
    assert.deepEqual(undefinedKeys, []);
  });

  it("hold no key the code does not use (keys built at run time start with a prefix listed in helpers.ts)", () => {
    const used = usedKeys();
    const unused = [...keys.en.keys()].filter((k) => !used.has(k) && !DYNAMIC_PREFIXES.some((p) => k.startsWith(p)));
    assert.deepEqual(unused, []);
  });
});
