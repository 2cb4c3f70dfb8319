// Notes: what the pages show and what the forms change. Ownership is enforced by the entity's queries;
// here a missing row (someone else's, or none) becomes a 404.
import { notFound } from "../http/errors";
import { Note, NOTES_PER_PAGE, type NotePage, type NoteSort } from "./note.entity";
import { paginate, type Pagination } from "../http/pagination";
import { highlight, planSearch, type Segment } from "../search/query";

export interface NoteList {
  notes: Note[];
  total: number;
  pagination: Pagination;
}

export interface SearchResults extends NoteList {
  q: string;
  mode: "fulltext" | "substring";
  /** Highlighted text of each note, by note id. */
  segments: Record<number, Segment[]>;
}

/** A page past the last one is a 404; an empty first page is just an empty list. */
function listOf(result: NotePage, href: (page: number) => string): NoteList {
  if (result.page > 1 && !result.notes.length) throw notFound();
  return { notes: result.notes, total: result.total, pagination: paginate(result.page, result.total, NOTES_PER_PAGE, href) };
}

const homeHref = (sort: NoteSort) => (page: number) => {
  const query = [sort === "written" ? "" : `sort=${sort}`, page === 1 ? "" : `page=${page}`].filter(Boolean).join("&");
  return query ? `/?${query}` : "/";
};
const searchHref = (q: string) => (page: number) =>
  `/notes/search?q=${encodeURIComponent(q)}${page === 1 ? "" : `&page=${page}`}`;

export async function listNotes(userId: number, page: number, sort: NoteSort = "written"): Promise<NoteList & { sort: NoteSort }> {
  return { ...listOf(await Note.pageFor(userId, page, sort), homeHref(sort)), sort };
}

export async function searchNotes(userId: number, q: string, page: number): Promise<SearchResults> {
  const plan = planSearch(q);
  const list = listOf(await Note.search(userId, plan, page), searchHref(q));
  const segments: Record<number, Segment[]> = {};
  for (const n of list.notes) segments[n.id] = highlight(n.data, plan);
  return { ...list, q, mode: plan.mode, segments };
}

export async function ownedNote(userId: number, id: number): Promise<Note> {
  const note = await Note.findOwned(id, userId);
  if (!note) throw notFound();
  return note;
}

export function addNote(userId: number, data: string): Promise<number> {
  return Note.createFor(userId, data);
}

export async function updateNote(userId: number, id: number, data: string): Promise<void> {
  if (!(await Note.updateOwned(id, userId, data))) throw notFound();
}

export async function deleteNote(userId: number, id: number): Promise<void> {
  if (!(await Note.deleteOwned(id, userId))) throw notFound();
}
