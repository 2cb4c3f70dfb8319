// A message's text as segments for display: plain text, links and @mentions. The text is never HTML: the
// template (views/chat/_message.njk) escapes every segment, and public/js/chat/text.js splits live messages the
// same way (test/chat/message-text.test.ts runs both on the same texts). Links are found by linkifyjs, and only
// http and https become links (no javascript:, mailto:, ftp:); "example.com" becomes http://example.com.
import { find } from "linkifyjs";

export interface Segment {
  text: string;
  /** A link to this http(s) URL. */
  href?: string;
  /** A mention of this member (their username as spelled in their account). */
  mention?: string;
}

const WEB = /^https?:\/\//i;
/** "@name" not inside a word or an address: the characters a username may hold (src/auth/auth.schemas.ts). */
const MENTION = /(?<![\p{L}\p{N}._@-])@([\p{L}\p{N}._-]{1,30})/gu;
/** Punctuation that ends a sentence right after a name ("thanks, @olena.") and is not part of it. */
const TRAILING = /[._-]+$/u;

/** The usernames a text mentions, lower case, as candidates (the database keeps those who are members). */
export function mentionedNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(MENTION)) {
    names.add(m[1].toLowerCase());
    names.add(m[1].replace(TRAILING, "").toLowerCase());
  }
  names.delete("");
  return [...names];
}

/** Splits plain text at the @mentions of `members` (lower-case username -> username). */
function withMentions(text: string, members: ReadonlyMap<string, string>, out: Segment[]): void {
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

export function messageSegments(text: string, members: ReadonlyMap<string, string> = new Map()): Segment[] {
  const out: Segment[] = [];
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
