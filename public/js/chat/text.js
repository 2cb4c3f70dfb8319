// A live message's text as segments (plain text, links, @mentions): the same rules as src/chat/message-text.ts
// (test/chat/message-text.test.ts runs both on the same texts). Links are found by linkifyjs (served from
// node_modules as /static/vendor/linkify.mjs, passed in as `find`); only http and https become links.

const WEB = /^https?:\/\//i;
const MENTION = /(?<![\p{L}\p{N}._@-])@([\p{L}\p{N}._-]{1,30})/gu;
const TRAILING = /[._-]+$/u;

function withMentions(text, members, out) {
  let at = 0;
  for (const m of text.matchAll(MENTION)) {
    let name = m[1];
    let username = members.get(name.toLowerCase());
    if (!username) {
      name = name.replace(TRAILING, "");
      username = members.get(name.toLowerCase());
    }
    if (!username) continue;
    if (m.index > at) out.push({ text: text.slice(at, m.index) });
    out.push({ text: `@${name}`, mention: username });
    at = m.index + 1 + name.length;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
}

/**
 * The link's URL if it is http(s), else null: the gate every link a script builds from message text goes through
 * (a javascript: or data: URL in an href would run or render in this site's pages). Parsed, not pattern-matched,
 * so that spellings a browser normalises ("JavaScript:", leading blanks, tabs inside) are judged as it would.
 */
export function webHref(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

/** `members`: lower-case username -> username; `find`: linkifyjs's find. */
export function messageSegments(text, members, find) {
  const out = [];
  let at = 0;
  for (const link of find(text, "url")) {
    if (!WEB.test(link.href)) continue;
    if (link.start > at) withMentions(text.slice(at, link.start), members, out);
    out.push({ text: link.value, href: link.href });
    at = link.end;
  }
  if (at < text.length) withMentions(text.slice(at), members, out);
  return out;
}
