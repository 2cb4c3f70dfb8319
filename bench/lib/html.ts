// Comparing the app's and the baseline's pages: same markup once the per-session token and whitespace are set aside.

/** CSRF tokens masked, whitespace runs collapsed, whitespace between tags dropped. */
export function normalizeHtml(html: string): string {
  return html
    .replace(/(name="_csrf" value=")[^"]*"/g, '$1TOKEN"')
    .replace(/([?&]_csrf=)[^"&]*/g, "$1TOKEN")
    .replace(/\s+/g, " ")
    .replace(/>\s+</g, "><")
    .replace(/\s+>/g, ">")
    .trim();
}

/** null when equal after normalising, else where they first differ, with some context. */
export function htmlDifference(app: string, baseline: string): string | null {
  const a = normalizeHtml(app);
  const b = normalizeHtml(baseline);
  if (a === b) return null;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 80);
  return `first difference at normalised offset ${i} (app ${a.length} chars, baseline ${b.length}):\n` +
    `  app:      …${a.slice(from, i + 80)}…\n` +
    `  baseline: …${b.slice(from, i + 80)}…`;
}
