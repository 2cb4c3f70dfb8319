// What the i18n tests share: the locale files, the source files that use keys, and how a key is recognised.
import fs from "node:fs";
import path from "node:path";

/** The top-level groups of every locale file: one per feature, plus the shared ones. */
export const GROUPS = ["common", "nav", "auth", "profile", "notes", "people", "chat", "gallery", "admin", "errors", "validation", "time", "mail"] as const;

/**
 * A key used in code: a quoted literal starting with a group ("notes.count", 'errors.csrf'). This finds keys in
 * t("..."), flash(req, type, "..."), new HttpError(status, "..."), zod messages and clientKeys lists alike.
 */
export const KEY_USE = new RegExp(`(["'\`])((?:${GROUPS.join("|")})\\.[a-z0-9_]+(?:\\.[a-z0-9_]+)*)\\1`, "g");

/**
 * Keys built at run time, which no literal names whole. Keep this short: each entry hides its keys from the
 * "unused" check. common.language_name.<code>: the switch names each language; errors.status_<code>: the error
 * page's title for a status (src/http/errors.ts).
 */
export const DYNAMIC_PREFIXES = ["common.language_name.", "errors.status_"];

export function localeFile(lang: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../locales", `${lang}.json`), "utf8"));
}

/** [dotted key, value] of every leaf. */
export function flatten(tree: Record<string, unknown>, prefix = ""): [string, unknown][] {
  return Object.entries(tree).flatMap(([k, v]) =>
    v && typeof v === "object" ? flatten(v as Record<string, unknown>, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

/**
 * The text of a source file without its comments (whole-line // comments, /* *\/ blocks, {# #} in templates),
 * whose examples ("notes.count") are not uses.
 */
export function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\{#[\s\S]*?#\}/g, "")
    .replace(/^\s*\/\/.*$/gm, "");
}

/** Files that may use keys: the server code, the templates and the browser scripts. */
export function sourceFiles(root: string): string[] {
  const walk = (dir: string, ext: RegExp): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p, ext) : ext.test(e.name) ? [p] : [];
    });
  return [...walk(path.join(root, "src"), /\.ts$/), ...walk(path.join(root, "views"), /\.njk$/), ...walk(path.join(root, "public/js"), /\.js$/)];
}
