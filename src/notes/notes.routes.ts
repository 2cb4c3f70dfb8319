// Notes: the home page (a user's own notes), add, edit, delete and search. Every page is the owner's alone;
// anyone else's note id answers 404 exactly as a missing one does.
//   GET  /                    the list, newest first, 20 a page (?page=N; ?sort=edited: recently edited first), with the add form
//   POST /notes               add (422 re-renders the home page with the text and the list)
//   GET  /notes/search?q=     search (?page=N); see src/search/query.ts for full-text vs substring
//   GET  /notes/:id/edit      edit form;  POST saves
//   GET  /notes/:id/delete    confirmation page;  POST deletes
import { Router, type Request, type Response } from "express";
import type { AppDeps } from "../deps";
import { requireId } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { parsePage } from "../http/pagination";
import { oldInput, parseForm, type FieldErrors } from "../http/validate";
import { listSchema, NOTE_MAX_CHARS, noteSchema, SEARCH_MAX_CHARS, searchSchema } from "./notes.schemas";
import { addNote, deleteNote, listNotes, ownedNote, searchNotes, updateNote } from "./notes.service";
import { NOTES_PER_PAGE, type Note, type NoteSort } from "./note.entity";

/** The strings public/js/notes.js shows (the list and the search results load it). */
export const NOTES_CLIENT_KEYS = ["notes.confirm_delete", "notes.show_more", "notes.show_less"] as const;

const formView = { noteMaxChars: NOTE_MAX_CHARS, searchMaxChars: SEARCH_MAX_CHARS, clientKeys: NOTES_CLIENT_KEYS };

async function renderHome(req: Request, res: Response, page: number, values: Record<string, string> = {}, errors: FieldErrors = {}, sort: NoteSort = "written") {
  const list = await listNotes(req.user!.id, page, sort);
  res.render("notes/index.njk", { ...formView, ...list, values, errors });
}

function renderEdit(res: Response, note: Note, values: Record<string, string>, errors: FieldErrors = {}) {
  res.render("notes/edit.njk", { ...formView, note, values, errors });
}

export function createNotesRouter(_deps: AppDeps): Router {
  const router = Router();
  router.use("/notes", requireUser);

  // The app's hottest path: one session lookup, one user lookup and one notes query (see Note.pageFor).
  router.get("/", requireUser, (req, res) => {
    const { sort } = listSchema.parse(req.query);
    return renderHome(req, res, parsePage(req.query.page, { perPage: NOTES_PER_PAGE }), {}, {}, sort);
  });

  // After a 422 the address bar says /notes; reloading it should land somewhere useful.
  router.get("/notes", (_req, res) => res.redirect(303, "/"));

  router.post("/notes", async (req, res) => {
    const form = parseForm(noteSchema, req.body, req.t);
    if (!form.ok) return renderHome(req, res.status(422), 1, oldInput(req.body), form.errors);
    await addNote(req.user!.id, form.data.data);
    flash(req, "success", "notes.added");
    res.redirect(303, "/");
  });

  router.get("/notes/search", async (req, res) => {
    const form = parseForm(searchSchema, req.query, req.t);
    const page = parsePage(req.query.page, { perPage: NOTES_PER_PAGE });
    if (!form.ok) return res.status(422).render("notes/search.njk", { ...formView, q: oldInput(req.query).q ?? "", errors: form.errors });
    const results = form.data.q ? await searchNotes(req.user!.id, form.data.q, page) : null;
    res.render("notes/search.njk", { ...formView, ...results, q: form.data.q, results, errors: {} });
  });

  router.get("/notes/:id/edit", async (req, res) => {
    const note = await ownedNote(req.user!.id, requireId(req.params.id));
    renderEdit(res, note, { data: note.data });
  });

  router.post("/notes/:id/edit", async (req, res) => {
    const id = requireId(req.params.id);
    const form = parseForm(noteSchema, req.body, req.t);
    // Someone else's note is a 404 even when the form is also wrong.
    if (!form.ok) return renderEdit(res.status(422), await ownedNote(req.user!.id, id), oldInput(req.body), form.errors);
    await updateNote(req.user!.id, id, form.data.data);
    flash(req, "success", "notes.saved");
    res.redirect(303, "/");
  });

  // The confirmation step, so deleting works without JavaScript (public/js/notes.js skips it with a confirm()).
  router.get("/notes/:id/delete", async (req, res) => {
    const note = await ownedNote(req.user!.id, requireId(req.params.id));
    res.render("notes/delete.njk", { note });
  });

  router.post("/notes/:id/delete", async (req, res) => {
    await deleteNote(req.user!.id, requireId(req.params.id));
    flash(req, "success", "notes.deleted");
    res.redirect(303, "/");
  });

  return router;
}
