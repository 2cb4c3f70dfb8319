// "Download my data" and "Delete my account", linked from the profile page.
import { Router } from "express";
import { TooManyAttempts, type AuthService } from "../auth/auth.service";
import { hasTwoFactor } from "../auth/two-factor.service";
import type { User } from "../auth/user.entity";
import { cookieLanguage } from "../i18n/middleware";
import { rememberLanguage } from "../auth/language.routes";
import type { AppDeps } from "../deps";
import { FieldError, notFound } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { createExportLimit, createPasswordChangeLimit, tooMany } from "../http/rate-limit";
import { parseForm, type FieldErrors } from "../http/validate";
import { deleteAccountSchema, isExportId } from "./account.schemas";
import { DataExport } from "./data-export.entity";
import { AccountDeletion } from "./delete.service";
import { ExportService } from "./export.service";

export function createAccountRouter(deps: AppDeps, auth: AuthService, exports: ExportService): Router {
  const { config, logger, redis } = deps;
  const router = Router();
  const exportLimit = createExportLimit(config, logger, redis);
  const deletion = new AccountDeletion(deps, auth, createPasswordChangeLimit(config, logger, redis));
  router.use(["/account/export", "/account/delete"], requireUser);

  router.get("/account/export", async (req, res) => {
    const items = await exports.itemCount(req.user!.id);
    res.render("account/export.njk", { latest: await DataExport.latestOf(req.user!.id), inline: exports.isInline(items), hours: Math.round(config.exportLinkMs / 3600_000) });
  });

  router.post("/account/export", async (req, res) => {
    const user = req.user!;
    if (!(await exportLimit.take(`user:${user.id}`))) return tooMany(req, res);
    if (!exports.isInline(await exports.itemCount(user.id))) {
      const { created } = await exports.requestBackground(user.id);
      flash(req, "info", created ? "profile.export.flash.queued" : "profile.export.flash.already_queued");
      return res.redirect(303, "/account/export");
    }
    res.attachment(ExportService.fileName(user.username));
    res.type("application/zip");
    try {
      await exports.writeArchive(user.id, res, req.language);
    } catch (err) {
      // The headers (and part of the zip) are gone already: end the download broken rather than pretend it is whole.
      logger.error({ err, userId: user.id }, "data export failed mid-download");
      res.destroy();
    }
  });

  router.get("/account/export/:id", async (req, res, next) => {
    if (!isExportId(req.params.id)) throw notFound();
    const row = await DataExport.findLive(req.params.id, req.user!.id);
    if (!row || row.status !== "ready") throw notFound();
    res.download(exports.fileOf(row.id), ExportService.fileName(req.user!.username, row.createdAt), (err) => {
      // The row says ready but the file is gone (removed by hand, another disk): as if there were no export.
      if (err && !res.headersSent) next(notFound());
    });
  });

  const deletePage = async (user: User, errors: FieldErrors = {}) => ({ counts: await deletion.summary(user.id), twoFactor: hasTwoFactor(user), errors });

  router.get("/account/delete", async (req, res) => {
    res.render("account/delete.njk", await deletePage(req.user!));
  });

  router.post("/account/delete", async (req, res) => {
    const user = req.user!;
    const form = parseForm(deleteAccountSchema, req.body, req.t);
    if (!form.ok) return res.status(422).render("account/delete.njk", await deletePage(user, form.errors));
    try {
      await deletion.deleteOwn(user, form.data.current_password, form.data.code);
    } catch (err) {
      if (err instanceof TooManyAttempts) return tooMany(req, res);
      if (err instanceof FieldError) return res.status(422).render("account/delete.njk", await deletePage(user, { [err.field]: err.text(req.t) }));
      throw err;
    }
    // The page after this is in the account's language, as after logging out.
    if (user.locale && cookieLanguage(req) !== user.locale) rememberLanguage(res, user.locale, config.cookieSecure);
    // The session's row went with the account; logging out drops it from this request too (a new, empty session),
    // so nothing saves it again and the goodbye is flashed to a visitor.
    await new Promise<void>((resolve, reject) => req.logout((err) => (err ? reject(err) : resolve())));
    flash(req, "success", "profile.delete.flash.deleted");
    res.redirect(303, "/login");
  });

  return router;
}
