// The people directory (/people) and public profiles (/people/:username), where chats start.
import { Router } from "express";
import { notFound } from "../http/errors";
import { peopleQuerySchema } from "./chat.schemas";
import type { PeopleService } from "./people.service";

export function createPeopleRouter(people: PeopleService): Router {
  const router = Router();

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
