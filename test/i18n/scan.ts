// Reads a rendered page the way a reader sees it: its text nodes and the attributes that are read out or shown
// (title, alt, aria-label, placeholder, button values), leaving out user content (inside [data-user-content] or
// translate="no"), text marked as another language (lang="en" on the switch's "English"), and scripts.
import { parse } from "parse5";
import { GROUPS } from "./helpers";

type Node = { nodeName: string; value?: string; attrs?: { name: string; value: string }[]; childNodes?: Node[]; content?: Node };

const SHOWN_ATTRS = new Set(["title", "alt", "aria-label", "placeholder"]);
const SKIPPED = new Set(["script", "style", "template", "noscript"]);

export interface PageText {
  lang: string | undefined;
  title: string;
  /** Every piece of UI text a reader meets, in document order. */
  texts: string[];
}

export function readPage(html: string): PageText {
  const doc = parse(html) as unknown as Node;
  const texts: string[] = [];
  let lang: string | undefined;
  let title = "";
  const attr = (n: Node, name: string) => n.attrs?.find((a) => a.name === name)?.value;
  const visit = (n: Node, pageLang: string | undefined) => {
    if (n.nodeName === "#text") {
      const text = n.value!.trim();
      if (text) texts.push(text);
      return;
    }
    if (n.nodeName === "html") lang = attr(n, "lang");
    if (SKIPPED.has(n.nodeName)) return;
    if (n.attrs) {
      if (attr(n, "data-user-content") !== undefined || attr(n, "translate") === "no") return;
      const own = attr(n, "lang");
      if (own && pageLang && own !== pageLang && n.nodeName !== "html") return;
      for (const a of n.attrs) if (SHOWN_ATTRS.has(a.name) && a.value.trim()) texts.push(a.value.trim());
      const type = attr(n, "type");
      if (n.nodeName === "input" && (type === "submit" || type === "button") && attr(n, "value")) texts.push(attr(n, "value")!);
    }
    if (n.nodeName === "title") title = (n.childNodes ?? []).map((c) => c.value ?? "").join("").trim();
    for (const c of n.childNodes ?? []) visit(c, n.nodeName === "html" ? attr(n, "lang") : pageLang);
  };
  visit(doc, undefined);
  return { lang, title, texts };
}

/** Latin-script words of two letters or more ("Log", "in"): the English a Ukrainian page must not show. */
export const latinWords = (text: string) => text.match(/[A-Za-z][A-Za-z']*[A-Za-z]/g) ?? [];

/** Text that looks like a translation key shown raw ("notes.count", "errors.status_404"). */
export const RAW_KEY = new RegExp(`\\b(?:${GROUPS.join("|")})\\.[a-z0-9_]+(?:\\.[a-z0-9_]+)*\\b`);
