// Admin site (issue #6): dashboard, users, moderation and the audit log, for staff only.
// requireStaff answers everyone else with a 404, so the area's existence is not revealed.
import { Router, type Request, type Response } from "express";
import type { z } from "zod";
import type { AppDeps } from "../deps";
import { FieldError, requireId } from "../http/errors";
import { requireStaff } from "../http/guards";
import { flash } from "../http/locals";
import { parsePage as parsePageOf } from "../http/pagination";
import { oldInput, parseForm, type FieldErrors } from "../http/validate";
import { adminReturnPath, deleteUserSchema, setActiveSchema, setStaffSchema, userSearchSchema } from "./admin.schemas";
import { AdminService, PAGE_SIZE, type Actor } from "./admin.service";

const actorOf = (req: Request): Actor => ({ id: req.user!.id, username: req.user!.username });

/** Links to admin pages are never typed by hand: a malformed page number is a 404. */
const parsePage = (raw: unknown) => parsePageOf(raw, { perPage: PAGE_SIZE, strict: true });

/** ?user=<id> narrows a moderation list to one person; a malformed id is a 404 like any other. */
const userFilter = (raw: unknown) => (raw === undefined ? undefined : requireId(raw));

export function createAdminRouter(deps: AppDeps): Router {
  const admin = new AdminService(deps);
  const router = Router();
  router.use(requireStaff);

  router.get("/", async (_req, res) => {
    res.render("admin/dashboard.njk", await admin.dashboard());
  });

  router.get("/users", async (req, res) => {
    const page = parsePage(req.query.page);
    const form = parseForm(userSearchSchema, req.query, req.t);
    if (!form.ok) {
      return res.status(422).render("admin/users/index.njk", { values: oldInput(req.query), errors: form.errors, users: null });
    }
    const users = await admin.listUsers(form.data.q, page);
    res.render("admin/users/index.njk", { values: { q: form.data.q }, q: form.data.q, errors: {}, users });
  });

  async function renderUser(res: Response, id: number, status = 200, errors: FieldErrors = {}, values: Record<string, string> = {}) {
    const [user, audit] = await Promise.all([admin.userDetail(id), admin.auditFor("user", id)]);
    res.status(status).render("admin/users/show.njk", { user, audit, errors, values });
  }

  router.get("/users/:id", async (req, res) => {
    await renderUser(res, requireId(req.params.id));
  });

  /** Parse the form, run the change, flash what happened; a bad form or a refusal re-renders the user page with 422. */
  function userAction<S extends z.ZodType>(schema: S, run: (actor: Actor, id: number, data: z.output<S>) => Promise<string>) {
    return async (req: Request, res: Response) => {
      const id = requireId(req.params.id);
      const form = parseForm(schema, req.body, req.t);
      if (!form.ok) return renderUser(res, id, 422, form.errors, oldInput(req.body));
      try {
        flash(req, "success", await run(actorOf(req), id, form.data));
      } catch (err) {
        if (err instanceof FieldError) return renderUser(res, id, 422, { [err.field]: err.message }, oldInput(req.body));
        throw err;
      }
      res.redirect(303, `/admin/users/${id}`);
    };
  }

  router.post("/users/:id/active", userAction(setActiveSchema, async (actor, id, { active }) => {
    const { username, changed } = await admin.setActive(actor, id, active);
    if (!changed) return `${username} was already ${active ? "active" : "deactivated"}.`;
    return active ? `${username} can log in again.` : `${username} has been deactivated and logged out everywhere.`;
  }));

  router.post("/users/:id/staff", userAction(setStaffSchema, async (actor, id, { staff }) => {
    const { username, changed } = await admin.setStaff(actor, id, staff);
    if (!changed) return `${username} ${staff ? "was already" : "was not"} staff.`;
    return staff ? `${username} is now staff and can use the admin site.` : `${username} is no longer staff.`;
  }));

  router.post("/users/:id/delete", async (req, res) => {
    const id = requireId(req.params.id);
    const form = parseForm(deleteUserSchema, req.body, req.t);
    if (!form.ok) return renderUser(res, id, 422, form.errors, oldInput(req.body));
    try {
      const { username } = await admin.deleteUser(actorOf(req), id, form.data.confirm);
      flash(req, "success", `${username} and everything they owned have been deleted.`);
    } catch (err) {
      if (err instanceof FieldError) return renderUser(res, id, 422, { [err.field]: err.message }, oldInput(req.body));
      throw err;
    }
    res.redirect(303, "/admin/users");
  });

  addModerationRoutes(router, admin);

  router.get("/audit", async (req, res) => {
    res.render("admin/audit.njk", { entries: await admin.auditPage(parsePage(req.query.page)) });
  });

  return router;
}

/** Moderation: one list and one delete per kind of content. */
function addModerationRoutes(router: Router, admin: AdminService): void {
  const lists = {
    notes: (page: number, user?: number) => admin.listNotes(page, user),
    messages: (page: number, user?: number) => admin.listMessages(page, user),
    images: (page: number, user?: number) => admin.listImages(page, user),
  };
  const deletes = {
    notes: { run: (a: Actor, id: number) => admin.deleteNote(a, id), done: (id: number) => `Note #${id} deleted.` },
    messages: { run: (a: Actor, id: number) => admin.deleteMessage(a, id), done: (id: number) => `Message #${id} deleted.` },
    images: { run: (a: Actor, id: number) => admin.deleteImage(a, id), done: (id: number) => `Image #${id} and its files deleted.` },
  };
  for (const kind of ["notes", "messages", "images"] as const) {
    router.get(`/${kind}`, async (req, res) => {
      const page = parsePage(req.query.page);
      const userId = userFilter(req.query.user);
      const [items, filterUser] = await Promise.all([lists[kind](page, userId), userId ? admin.userSummary(userId) : null]);
      res.render(`admin/${kind}.njk`, { items, filterUser, returnTo: req.originalUrl });
    });

    router.post(`/${kind}/:id/delete`, async (req, res) => {
      const id = requireId(req.params.id);
      await deletes[kind].run(actorOf(req), id);
      flash(req, "success", deletes[kind].done(id));
      res.redirect(303, adminReturnPath(req.body?.next, `/admin/${kind}`));
    });
  }
}
