// The people directory (/people) and public profiles (/people/:username), where chats start; /people.json is
// the same directory for the member picker of the group forms (public/js/people-picker.js).
import { Router, type RequestHandler } from "express";
import { notFound } from "../http/errors";
import { requireUser } from "../http/guards";
import { peopleQuerySchema } from "./chat.schemas";
import type { PeopleService } from "./people.service";

export function createPeopleRouter(people: PeopleService, suggestLimit: RequestHandler): Router {
  const router = Router();

  // Outside /people/ (so no username is shadowed), hence its own guard. A few requests per typed name; the limit
  // keeps a script from walking the whole directory faster than the pages would.
  router.get("/people.json", requireUser, suggestLimit, async (req, res) => {
    const { q } = peopleQuerySchema.parse(req.query);
    res.json({ people: await people.suggest(q, req.user!.id) });
  });

  router.get("/people", async (req, res) => {
    const { q, page } = peopleQuerySchema.parse(req.query);
    const { people: found, hasMore } = await people.search(q, page);
    res.render("people/index.njk", { q, page, people: found, hasMore });
  });

  router.get("/people/:username", async (req, res) => {
    // No username holds a NUL, and Postgres would refuse the lookup (a 500): simply not found.
    if (req.params.username.includes("\u0000")) throw notFound();
    const profile = await people.profile(req.params.username, req.user!.id);
    if (!profile) throw notFound();
    res.render("people/show.njk", { ...profile, isMe: profile.person.id === req.user!.id });
  });

  return router;
}
