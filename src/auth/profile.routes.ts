// The logged-in user's own account: username, email, password and avatar (stored through the gallery's image pipeline).
import { Router, type Request } from "express";
import type { AppDeps } from "../deps";
import { AVATAR_FIELD, returnTo } from "../gallery/gallery.schemas";
import { ImagesService, UploadsBusy } from "../gallery/images.service";
import { FieldError, notFound, requireId } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { createPasswordChangeLimit, createProfileLimit, tooMany } from "../http/rate-limit";
import { createUploader, uploadedFiles } from "../http/upload";
import { oldInput, parseForm, type FieldErrors } from "../http/validate";
import { LANGUAGES, translator } from "../i18n";
import { currentZoneName, isTimeZone, TIME_ZONES } from "../i18n/time-zones";
import { passwordChangeSchema, preferencesSchema, profileSchema } from "./auth.schemas";
import { TooManyAttempts, type AuthService } from "./auth.service";
import { rememberLanguage } from "./language.routes";
import { User } from "./user.entity";

interface ProfileForms {
  errors?: FieldErrors;
  pwErrors?: FieldErrors;
  prefErrors?: FieldErrors;
  /** The language and zone as chosen (re-shown after a refusal), else the account's. */
  prefs?: Record<string, string>;
  avatarError?: string;
}

/** The time-zone select's options ([value, label]), made once: the IANA names are their own labels. */
const ZONE_OPTIONS = TIME_ZONES.map((z) => [z, z]);
/** Each language named in itself, marked with its own lang: [value, label, lang]. */
const LANGUAGE_OPTIONS = LANGUAGES.map((code) => [code, translator(code)(`common.language_name.${code}`), code]);

/** The profile page's context: the account form's values and each form's errors. */
function view(req: Request, values: Record<string, string>, forms: ProfileForms = {}) {
  const user = req.user!;
  // A zone saved under an old name ("Europe/Kiev") is shown as the list names it now.
  const zone = currentZoneName(forms.prefs?.time_zone ?? user.timeZone ?? "UTC");
  return {
    values,
    errors: forms.errors ?? {},
    pwErrors: forms.pwErrors ?? {},
    prefErrors: forms.prefErrors ?? {},
    avatarError: forms.avatarError,
    prefs: { locale: forms.prefs?.locale ?? user.locale ?? req.language, time_zone: zone },
    languageOptions: LANGUAGE_OPTIONS,
    // A zone the browser named that this list knows by another name ("Europe/Kyiv") is offered as it is.
    zoneOptions: TIME_ZONES.includes(zone) || !isTimeZone(zone) ? ZONE_OPTIONS : [[zone, zone], ...ZONE_OPTIONS],
  };
}

const accountValues = (user: User) => ({ username: user.username, email: user.email });

export function createProfileRouter(deps: AppDeps, auth: AuthService): Router {
  const { realtime, config, redis, logger } = deps;
  const router = Router();
  const passwordChangeLimit = createPasswordChangeLimit(config, logger, redis);
  const profileLimit = createProfileLimit(config, redis);
  // Before any upload middleware: an anonymous upload is redirected without a byte written.
  router.use("/profile", requireUser);

  router.get("/profile", (req, res) => {
    res.render("auth/profile.njk", view(req, accountValues(req.user!)));
  });

  router.post("/profile", profileLimit, async (req, res) => {
    const form = parseForm(profileSchema, req.body, req.t);
    if (!form.ok) return res.status(422).render("auth/profile.njk", view(req, oldInput(req.body), { errors: form.errors }));
    let emailChanged = false;
    try {
      ({ emailChanged } = await auth.updateProfile(req.user!.id, form.data));
    } catch (err) {
      if (err instanceof FieldError) {
        res.locals.taken = true; // counted by profileLimit (a probe for who has an account)
        return res.status(422).render("auth/profile.njk", view(req, oldInput(req.body), { errors: { [err.field]: err.text(req.t) } }));
      }
      throw err;
    }
    if (emailChanged) flash(req, "info", "profile.flash.saved_verify", { email: form.data.email });
    else flash(req, "success", "profile.flash.saved");
    res.redirect(303, "/profile");
  });

  router.post("/profile/preferences", async (req, res) => {
    const form = parseForm(preferencesSchema, req.body, req.t);
    if (!form.ok) {
      return res.status(422).render("auth/profile.njk", view(req, accountValues(req.user!), { prefErrors: form.errors, prefs: oldInput(req.body) }));
    }
    await User.savePreferences(req.user!.id, { locale: form.data.locale, timeZone: form.data.time_zone });
    rememberLanguage(res, form.data.locale, config.cookieSecure);
    flash(req, "success", "profile.flash.preferences_saved");
    res.redirect(303, "/profile");
  });

  router.post("/profile/password", async (req, res) => {
    const values = accountValues(req.user!);
    const form = parseForm(passwordChangeSchema(req.user!), req.body, req.t);
    if (!form.ok) return res.status(422).render("auth/profile.njk", view(req, values, { pwErrors: form.errors }));
    try {
      await auth.checkPassword(req.user!.id, form.data.current_password, passwordChangeLimit);
    } catch (err) {
      if (err instanceof TooManyAttempts) return tooMany(req, res);
      if (err instanceof FieldError) return res.status(422).render("auth/profile.njk", view(req, values, { pwErrors: { [err.field]: err.text(req.t) } }));
      throw err;
    }
    // This session gets a new id first (req.login regenerates it, as at login): if the password is changed because
    // a cookie was stolen, a copy of this very cookie must stop working as well. Harmless if what follows fails.
    await new Promise<void>((resolve, reject) => req.login(req.user!, (err) => (err ? reject(err) : resolve())));
    // The new password and the end of every other session (a stolen cookie, a forgotten laptop) commit together.
    const ended = await auth.setPassword(req.user!.id, form.data.new_password, req.sessionID);
    realtime.disconnectSessions(ended);
    flash(req, "success", "profile.flash.password_changed");
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
    const refuse = (avatarError: string, status = 422) =>
      res.status(status).render("auth/profile.njk", view(req, accountValues(user), { avatarError }));
    const files = uploadedFiles(req);
    if (!files.length) return refuse(req.t("profile.avatar.choose_file"));
    let outcome;
    try {
      [outcome] = await images.storeUploads(user, files, (em, picture) => User.setPicture(em, user.id, picture.id));
    } catch (err) {
      if (err instanceof UploadsBusy) return refuse(err.text(req.t), err.status);
      throw err;
    }
    if (!outcome.ok) return refuse(req.t(outcome.error.key, outcome.error.params));
    flash(req, "success", "profile.flash.avatar_set");
    res.redirect(303, "/profile");
  });

  router.post("/profile/avatar/remove", async (req, res) => {
    await User.clearPicture(req.user!.id);
    flash(req, "success", "profile.flash.avatar_removed");
    res.redirect(303, "/profile");
  });

  // "Use as avatar" on one of the user's own photos; anyone else's is a 404.
  router.post("/gallery/:id/avatar", requireUser, async (req, res) => {
    if (!(await User.setPictureFromGallery(req.user!.id, requireId(req.params.id)))) throw notFound();
    flash(req, "success", "profile.flash.avatar_changed");
    res.redirect(303, returnTo(req.body, "/gallery"));
  });
}
