// Markup checks for the XSS tests (also used by the browser test in e2e/): payloads, escaping, and a tag reader.
import assert from "node:assert/strict";

export const PAYLOADS = [
  "<script>alert(1)</script>",
  `"><img src=x onerror=alert(1)>`,
  "javascript:alert(1)",
  `'";!--"<XSS>=&{()}`,
  "<svg/onload=alert(1)>",
  "</textarea><script>alert(1)</script>",
  "{{ 7*7 }}{% raw %}",
];

/** How autoescaping writes text into HTML (nunjucks escapes these five). */
export const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** Every tag of a page with its attributes, read the way a browser tokenizes them (quoted values may hold anything). */
export function tags(html: string): { name: string; attrs: [string, string][] }[] {
  const out: { name: string; attrs: [string, string][] }[] = [];
  const tag = /<([a-zA-Z][\w:-]*)((?:\s+[^\s=>\/"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*\/?>/g;
  for (const m of html.matchAll(tag)) {
    const attrs: [string, string][] = [];
    for (const a of m[2].matchAll(/([^\s=>\/"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g)) {
      attrs.push([a[1].toLowerCase(), a[2] ?? a[3] ?? a[4] ?? ""]);
    }
    out.push({ name: m[1].toLowerCase(), attrs });
  }
  return out;
}

/**
 * The page shows `text` (if `shown`) only as text: escaped, never as markup. Whatever the payload, no tag of the
 * page may carry an event handler, no script may be inline or foreign, and no link, image or form may point at
 * javascript:.
 */
export function assertInert(html: string, text: string, where: string, shown = true) {
  if (/[<>"']/.test(text)) assert.ok(!html.includes(text), `${where}: "${text}" appears unescaped`);
  if (shown) assert.ok(html.includes(escapeHtml(text)), `${where}: "${text}" is shown, escaped`);
  for (const t of tags(html)) {
    for (const [name, value] of t.attrs) {
      assert.ok(!name.startsWith("on"), `${where}: <${t.name} ${name}=...> carries an event handler`);
      if (["href", "src", "action", "formaction", "data", "srcdoc", "xlink:href"].includes(name)) {
        assert.doesNotMatch(value.trim(), /^javascript:|^data:text\/html/i, `${where}: <${t.name} ${name}="${value}">`);
      }
    }
    if (t.name === "script") {
      const src = t.attrs.find(([n]) => n === "src")?.[1];
      assert.ok(src && /^\/(static|socket\.io)\//.test(src), `${where}: a script that is not one of ours: ${JSON.stringify(t.attrs)}`);
    }
    assert.ok(!["iframe", "object", "embed", "svg", "base"].includes(t.name) || !/xss|alert/i.test(JSON.stringify(t.attrs)), `${where}: an injected <${t.name}>`);
    if (t.name === "img") assert.notEqual(t.attrs.find(([n]) => n === "src")?.[1], "x", `${where}: an injected <img src=x>`);
  }
}
