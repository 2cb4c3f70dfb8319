// The logged-in user's own account: username, email, password and avatar (stored through the gallery's image pipeline).
import { Router } from "express";
import type { AppDeps } from "../deps";
import { AVATAR_FIELD, returnTo } from "../gallery/gallery.schemas";
import { ImagesService } from "../gallery/images.service";
import { FieldError, notFound, requireId } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { createPasswordChangeLimit, createProfileLimit, tooMany } from "../http/rate-limit";
import { createUploader, uploadedFiles } from "../http/upload";
import { oldInput, parseForm } from "../http/validate";
import { passwordChangeSchema, PASSWORD_RULES, profileSchema, USERNAME_RULES } from "./auth.schemas";
import { TooManyAttempts, type AuthService } from "./auth.service";
import { User } from "./user.entity";

const view = (values: Record<string, string>, errors: Record<string, string> = {}, pwErrors: Record<string, string> = {}, avatarError?: string) => ({
  values,
  errors,
  pwErrors,
  avatarError,
  usernameRules: USERNAME_RULES,
  passwordRules: PASSWORD_RULES,
});

export function createProfileRouter(deps: AppDeps, auth: AuthService): Router {
  const { realtime, config, redis, logger } = deps;
  const router = Router();
  const passwordChangeLimit = createPasswordChangeLimit(config, logger, redis);
  const profileLimit = createProfileLimit(config, redis);
  // Before any upload middleware: an anonymous upload is redirected without a byte written.
  router.use("/profile", requireUser);

  router.get("/profile", (req, res) => {
    res.render("auth/profile.njk", view({ username: req.user!.username, email: req.user!.email }));
  });

  router.post("/profile", profileLimit, async (req, res) => {
    const form = parseForm(profileSchema, req.body, req.t);
    if (!form.ok) return res.status(422).render("auth/profile.njk", view(oldInput(req.body), form.errors));
    try {
      await auth.updateProfile(req.user!.id, form.data);
    } catch (err) {
      if (err instanceof FieldError) {
        res.locals.taken = true; // counted by profileLimit (a probe for who has an account)
        return res.status(422).render("auth/profile.njk", view(oldInput(req.body), { [err.field]: err.message }));
      }
      throw err;
    }
    flash(req, "success", "Your profile has been saved.");
    res.redirect(303, "/profile");
  });

  router.post("/profile/password", async (req, res) => {
    const values = { username: req.user!.username, email: req.user!.email };
    const form = parseForm(passwordChangeSchema(req.user!), req.body, req.t);
    if (!form.ok) return res.status(422).render("auth/profile.njk", view(values, {}, form.errors));
    try {
      await auth.checkPassword(req.user!.id, form.data.current_password, passwordChangeLimit);
    } catch (err) {
      if (err instanceof TooManyAttempts) return tooMany(req, res);
      if (err instanceof FieldError) return res.status(422).render("auth/profile.njk", view(values, {}, { [err.field]: err.message }));
      throw err;
    }
    // This session gets a new id first (req.login regenerates it, as at login): if the password is changed because
    // a cookie was stolen, a copy of this very cookie must stop working as well. Harmless if what follows fails.
    await new Promise<void>((resolve, reject) => req.login(req.user!, (err) => (err ? reject(err) : resolve())));
    // The new password and the end of every other session (a stolen cookie, a forgotten laptop) commit together.
    const ended = await auth.setPassword(req.user!.id, form.data.new_password, req.sessionID);
    realtime.disconnectSessions(ended);
    flash(req, "success", "Your password has been changed. Your other sessions have been logged out.");
    res.redirect(303, "/profile");
  });

  addAvatarRoutes(router, deps);
  return router;
}

/** The avatar: a new upload, back to the initials, or one of the user's gallery photos. */
function addAvatarRoutes(router: Router, deps: AppDeps): void {
  const images = new ImagesService(deps);
  const upload = createUploader(deps.config);

  // Straight from the profile page: stored in the gallery too, and made the avatar in the same transaction.
  router.post("/profile/avatar", upload.single(AVATAR_FIELD), async (req, res) => {
    const user = req.user!;
    const refuse = (avatarError: string) =>
      res.status(422).render("auth/profile.njk", view({ username: user.username, email: user.email }, {}, {}, avatarError));
    const files = uploadedFiles(req);
    if (!files.length) return refuse("Choose an image to upload.");
    const [outcome] = await images.storeUploads(user, files, (em, picture) => User.setPicture(em, user.id, picture.id));
    if (!outcome.ok) return refuse(outcome.error);
    flash(req, "success", "Your new avatar is set. It is in your gallery too.");
    res.redirect(303, "/profile");
  });

  router.post("/profile/avatar/remove", async (req, res) => {
    await User.clearPicture(req.user!.id);
    flash(req, "success", "Your avatar has been removed. The photo is still in your gallery.");
    res.redirect(303, "/profile");
  });

  // "Use as avatar" on one of the user's own photos; anyone else's is a 404.
  router.post("/gallery/:id/avatar", requireUser, async (req, res) => {
    if (!(await User.setPictureFromGallery(req.user!.id, requireId(req.params.id)))) throw notFound();
    flash(req, "success", "Your avatar has been changed.");
    res.redirect(303, returnTo(req.body, "/gallery"));
  });
}
