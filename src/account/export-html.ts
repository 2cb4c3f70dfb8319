// The archive's HTML files: plain, self-contained pages (no script, no outside file) to open from the unzipped
// folder, one for the notes and one for the messages, grouped by chat. Written as the rows stream past.
import type { Translate } from "../i18n";
import type { dateFormatter } from "../i18n/format";
import type { MessageExport } from "../chat/message.entity";
import type { NoteExport } from "../notes/note.entity";

export type Fmt = ReturnType<typeof dateFormatter>;


const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

function htmlStart(lang: string, title: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #212529; background: #fff; }
article { border-top: 1px solid #dee2e6; padding: .75rem 0; }
time, .meta { color: #595f64; font-size: .875rem; }
p { white-space: pre-wrap; margin: .25rem 0 0; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
`;
}

const HTML_END = "</body>\n</html>\n";

const time = (d: Date, fmt: Fmt) => `<time datetime="${new Date(d).toISOString()}">${escapeHtml(fmt.dateTime(new Date(d)))}</time>`;

export async function* notesHtml(t: Translate, lang: string, rows: AsyncIterable<NoteExport>, fmt: Fmt): AsyncGenerator<string> {
  yield htmlStart(lang, t("profile.export.html.notes_title"));
  let any = false;
  for await (const n of rows) {
    any = true;
    const edited = n.updatedAt ? ` · ${escapeHtml(t("profile.export.html.edited"))} ${time(n.updatedAt, fmt)}` : "";
    yield `<article>\n<div class="meta">${time(n.createdAt, fmt)}${edited}</div>\n<p>${escapeHtml(n.text)}</p>\n</article>\n`;
  }
  if (!any) yield `<p>${escapeHtml(t("profile.export.html.no_notes"))}</p>\n`;
  yield HTML_END;
}

export async function* messagesHtml(t: Translate, lang: string, rows: AsyncIterable<MessageExport>, fmt: Fmt): AsyncGenerator<string> {
  yield htmlStart(lang, t("profile.export.html.messages_title"));
  let chat: number | null = null;
  for await (const m of rows) {
    if (m.chatId !== chat) {
      if (chat !== null) yield "</section>\n";
      chat = m.chatId;
      const name = m.isGroup
        ? t("profile.export.html.group", { name: m.chatName ?? t("chat.group") })
        : t("profile.export.html.direct", { name: m.chatName ?? t("chat.deleted_account") });
      yield `<section>\n<h2>${escapeHtml(name)}</h2>\n`;
    }
    const edited = m.editedAt ? ` · ${escapeHtml(t("profile.export.html.edited"))} ${time(m.editedAt, fmt)}` : "";
    yield `<article id="m${m.id}">\n<div class="meta">${time(m.createdAt, fmt)}${edited}</div>\n<p>${escapeHtml(m.text)}</p>\n</article>\n`;
  }
  yield chat === null ? `<p>${escapeHtml(t("profile.export.html.no_messages"))}</p>\n` : "</section>\n";
  yield HTML_END;
}
