// "Download my data" and "Delete my account", linked from the profile page.
import { Router } from "express";
import type { AppDeps } from "../deps";
import { notFound } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { createExportLimit, tooMany } from "../http/rate-limit";
import { isExportId } from "./account.schemas";
import { DataExport } from "./data-export.entity";
import { ExportService } from "./export.service";

export function createAccountRouter(deps: AppDeps, exports: ExportService): Router {
  const { config, logger, redis } = deps;
  const router = Router();
  const exportLimit = createExportLimit(config, logger, redis);
  router.use("/account/export", requireUser);

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

  return router;
}
