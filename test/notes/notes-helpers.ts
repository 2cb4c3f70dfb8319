// Small helpers shared by the notes tests: posting forms as a logged-in user, reading notes back.
import assert from "node:assert/strict";
import type { TestApp } from "../helpers/app";
import { csrfFrom, type Agent } from "../helpers/agent";

/** POSTs a form with the agent's CSRF token (taken from the home page, which every user can open). */
export async function post(a: Agent, url: string, form: Record<string, string | string[]> = {}) {
  const home = await a.get("/");
  assert.equal(home.status, 200, `home page for a token: ${home.status}`);
  return a.post(url).type("form").send({ ...form, _csrf: csrfFrom(home.text) });
}

export interface NoteRow {
  id: number;
  data: string;
  user_id: number;
  date: Date;
  updated_at: Date | null;
}

export async function noteRow(app: TestApp, id: number): Promise<NoteRow | undefined> {
  return (await app.sql<NoteRow>("SELECT id, data, user_id, date, updated_at FROM notes WHERE id = $1", [id]))[0];
}

export async function notesOf(app: TestApp, userId: number): Promise<NoteRow[]> {
  return app.sql<NoteRow>("SELECT id, data, user_id, date, updated_at FROM notes WHERE user_id = $1 ORDER BY id", [userId]);
}

/** Inserts a note straight into the database (fast set-up) and returns its id. */
export async function insertNote(app: TestApp, userId: number, data: string): Promise<number> {
  const [row] = await app.sql<{ id: number }>("INSERT INTO notes (data, user_id) VALUES ($1, $2) RETURNING id", [data, userId]);
  return row.id;
}

/** The text of every rendered note on a page, in page order, with HTML entities as sent. */
export function noteBodies(html: string): string[] {
  return [...html.matchAll(/<div class="note-body" data-user-content>([\s\S]*?)<\/div>/g)].map((m) => m[1]);
}

/** The page's <main>, where user content lives (the navbar shows the username, which tests may search for). */
export function mainOf(html: string): string {
  const start = html.indexOf("<main");
  const end = html.indexOf("</main>");
  assert.ok(start >= 0 && end > start, "page has a <main>");
  return html.slice(start, end);
}
