// Name sorting in Node and in the browser follows a fixed language, never the machine's environment; and no
// code sorts or formats with a bare localeCompare()/toLocaleString() (whose result depends on the environment).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { ROOT_COLLATOR } from "../../src/i18n/collate";

const root = path.resolve(__dirname, "../..");
const NAMES = ["олена", "anna10", "Борис", "anna2", "Anna", "ґанна", "zoe", "Єва"];

async function browserCompare(lang: string): Promise<(a: string, b: string) => number> {
  // The page's collator is made once, on first use, from <html lang> (so this file asks for one language only).
  (globalThis as { document?: unknown }).document = { documentElement: { lang } };
  return (await import(pathToFileURL(path.join(root, "public/js/i18n.js")).href)).compareNames;
}

function sourceFiles(dir: string, ext: RegExp): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p, ext) : ext.test(e.name) ? [p] : [];
  });
}

describe("sorting names", () => {
  it("the server's shared order is ICU's root order: Latin before Cyrillic, numbers by value, case a tie-breaker", () => {
    assert.deepEqual([...NAMES].sort(ROOT_COLLATOR.compare), ["Anna", "anna2", "anna10", "zoe", "Борис", "ґанна", "Єва", "олена"]);
  });

  it("a Ukrainian page sorts Cyrillic first, in the alphabet's order (Ґ after Г, Є after Е), then Latin", async () => {
    const uk = await browserCompare("uk");
    assert.deepEqual([...NAMES].sort(uk), ["Борис", "ґанна", "Єва", "олена", "Anna", "anna2", "anna10", "zoe"]);
  });
});

describe("no sorting or formatting that depends on the environment's locale", () => {
  it("src/ and public/js call no bare localeCompare() or toLocale*String()", () => {
    const files = [...sourceFiles(path.join(root, "src"), /\.ts$/), ...sourceFiles(path.join(root, "public/js"), /\.js$/)];
    const found = files.flatMap((f) =>
      fs.readFileSync(f, "utf8").split("\n").flatMap((line, i) =>
        /\.(localeCompare|toLocaleString|toLocaleDateString|toLocaleTimeString)\(/.test(line.replace(/\/\/.*$/, ""))
          ? [`${path.relative(root, f)}:${i + 1}`] : []));
    assert.deepEqual(found, []);
  });
});
