// Message text as segments: links (http/https only) and @mentions of members, the same on the server and in the
// browser (public/js/chat/text.js is run here with the same linkifyjs).
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { it } from "node:test";
import { find } from "linkifyjs";
import { mentionedNames, messageSegments } from "../../src/chat/message-text";

const members = new Map([["olena", "Olena"], ["тарас", "Тарас"], ["ivan.k", "ivan.k"]]);

const TEXTS = [
  "see https://example.com/a?b=1, and www.test.org or foo.com",
  "javascript:alert(1) ftp://files.example mailto:a@b.co <b>bold</b> <script>x</script>",
  "hi @olena and @Тарас, and @nobody; mail ivan@example.com",
  "thanks @ivan.k. and @olena.",
  "http://привіт.укр/шлях?q=1 @olena",
  "",
  "plain text only",
];

it("finds http(s) links only, never other schemes, and keeps everything else as text", () => {
  const segs = messageSegments(TEXTS[1], members);
  assert.deepEqual(segs, [{ text: TEXTS[1] }]);
  const links = messageSegments(TEXTS[0], members).filter((s) => s.href);
  assert.deepEqual(links.map((s) => s.href), ["https://example.com/a?b=1", "http://www.test.org", "http://foo.com"]);
  assert.equal(messageSegments(TEXTS[0]).map((s) => s.text).join(""), TEXTS[0], "nothing lost or added");
});

it("marks @mentions of members only (any case, Cyrillic too), never an email address, without trailing dots", () => {
  const segs = messageSegments(TEXTS[2], members);
  assert.deepEqual(segs.filter((s) => s.mention).map((s) => [s.text, s.mention]), [["@olena", "Olena"], ["@Тарас", "Тарас"]]);
  const dots = messageSegments(TEXTS[3], members);
  assert.deepEqual(dots.filter((s) => s.mention).map((s) => s.mention), ["ivan.k", "Olena"]);
  assert.equal(dots.map((s) => s.text).join(""), TEXTS[3]);
  assert.deepEqual(mentionedNames("hi @Olena, @ivan.k. and a@b.c"), ["olena", "ivan.k.", "ivan.k"]);
});

it("splits exactly as the browser's module does", async () => {
  const browser = (await import(pathToFileURL(path.resolve(__dirname, "../../public/js/chat/text.js")).href)) as {
    messageSegments: (text: string, members: Map<string, string>, f: typeof find) => unknown;
  };
  for (const text of TEXTS) assert.deepEqual(browser.messageSegments(text, members, find), messageSegments(text, members), text);
});
