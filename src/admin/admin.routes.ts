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
import type { AppServer } from "../chat/chat.events";
import { chatServicesFor } from "../chat/services";
import { AUDIT_LABELS } from "./audit-labels";

/** What a user action did: a flash key and whom it was done to. */
interface Done {
  key: string;
  username: string;
}

const actorOf = (req: Request): Actor => ({ id: req.user!.id, username: req.user!.username });

/** Links to admin pages are never typed by hand: a malformed page number is a 404. */
const parsePage = (raw: unknown) => parsePageOf(raw, { perPage: PAGE_SIZE, strict: true });

/** ?user=<id> narrows a moderation list to one person; a malformed id is a 404 like any other. */
const userFilter = (raw: unknown) => (raw === undefined ? undefined : requireId(raw));

export function createAdminRouter(deps: AppDeps, io: AppServer): Router {
  const admin = new AdminService(deps, chatServicesFor(deps, io).messages);
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
    res.status(status).render("admin/users/show.njk", { user, audit, auditLabels: AUDIT_LABELS, errors, values });
  }

  router.get("/users/:id", async (req, res) => {
    await renderUser(res, requireId(req.params.id));
  });

  /** Parse the form, run the change, flash what happened; a bad form or a refusal re-renders the user page with 422. */
  function userAction<S extends z.ZodType>(schema: S, run: (actor: Actor, id: number, data: z.output<S>) => Promise<Done>) {
    return async (req: Request, res: Response) => {
      const id = requireId(req.params.id);
      const form = parseForm(schema, req.body, req.t);
      if (!form.ok) return renderUser(res, id, 422, form.errors, oldInput(req.body));
      try {
        const { key, username } = await run(actorOf(req), id, form.data);
        flash(req, "success", key, { username });
      } catch (err) {
        if (err instanceof FieldError) return renderUser(res, id, 422, { [err.field]: err.text(req.t) }, oldInput(req.body));
        throw err;
      }
      res.redirect(303, `/admin/users/${id}`);
    };
  }

  router.post("/users/:id/active", userAction(setActiveSchema, async (actor, id, { active }) => {
    const { username, changed } = await admin.setActive(actor, id, active);
    if (!changed) return { username, key: active ? "admin.flash.already_active" : "admin.flash.already_deactivated" };
    return { username, key: active ? "admin.flash.reactivated" : "admin.flash.deactivated" };
  }));

  router.post("/users/:id/staff", userAction(setStaffSchema, async (actor, id, { staff }) => {
    const { username, changed } = await admin.setStaff(actor, id, staff);
    if (!changed) return { username, key: staff ? "admin.flash.already_staff" : "admin.flash.already_not_staff" };
    return { username, key: staff ? "admin.flash.staff_granted" : "admin.flash.staff_revoked" };
  }));

  router.post("/users/:id/delete", async (req, res) => {
    const id = requireId(req.params.id);
    const form = parseForm(deleteUserSchema, req.body, req.t);
    if (!form.ok) return renderUser(res, id, 422, form.errors, oldInput(req.body));
    try {
      const { username } = await admin.deleteUser(actorOf(req), id, form.data.confirm);
      flash(req, "success", "admin.flash.user_deleted", { username });
    } catch (err) {
      if (err instanceof FieldError) return renderUser(res, id, 422, { [err.field]: err.text(req.t) }, oldInput(req.body));
      throw err;
    }
    res.redirect(303, "/admin/users");
  });

  addModerationRoutes(router, admin);

  router.get("/audit", async (req, res) => {
    res.render("admin/audit.njk", { entries: await admin.auditPage(parsePage(req.query.page)), auditLabels: AUDIT_LABELS });
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
    notes: { run: (a: Actor, id: number) => admin.deleteNote(a, id), done: "admin.flash.note_deleted" },
    messages: { run: (a: Actor, id: number) => admin.deleteMessage(a, id), done: "admin.flash.message_deleted" },
    images: { run: (a: Actor, id: number) => admin.deleteImage(a, id), done: "admin.flash.image_deleted" },
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
      flash(req, "success", deletes[kind].done, { id });
      res.redirect(303, adminReturnPath(req.body?.next, `/admin/${kind}`));
    });
  }
}
