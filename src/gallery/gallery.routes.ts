// The gallery (issue #5): upload, browse, view, delete (files are served by media.routes.ts). Profile and group pictures are stored through
// ImagesService by their own features (src/auth/profile.routes.ts, src/chat/chat-avatar.routes.ts).
import { Router, type Request, type RequestHandler, type Response } from "express";
import type { Server } from "socket.io";
import type { AppDeps } from "../deps";
import { HttpError, notFound, requireId } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { paginate, parsePage } from "../http/pagination";
import { createUploader, MAX_FILE_BYTES, MAX_FILES, uploadedFiles } from "../http/upload";
import { parseForm, oldInput, type FieldErrors } from "../http/validate";
import { bulkDeleteSchema, CAPTION_MAX, captionSchema, PER_PAGE, UPLOAD_FIELD } from "./gallery.schemas";
import { Image } from "./image.entity";
import { WEB_MAX } from "./image-pipeline";
import { ImagesService, UploadsBusy, type UploadOutcome } from "./images.service";
import type { Message } from "../i18n";

const errorsOf = (outcomes: UploadOutcome[]) => outcomes.flatMap((o) => (o.ok ? [] : [o.error]));

/** The limits the upload form states and its script checks early. */
const UPLOAD_LIMITS = { maxFiles: MAX_FILES, maxFileBytes: MAX_FILE_BYTES, maxMb: MAX_FILE_BYTES / 1024 / 1024, webMax: WEB_MAX };

/** The strings public/js/gallery.js shows. */
export const GALLERY_CLIENT_KEYS = [
  "gallery.too_many_chosen",
  "gallery.size_mb",
  "gallery.size_kb",
  "gallery.file_size",
  "gallery.file_refused",
  "gallery.uploading",
  "gallery.upload_failed",
] as const;

/** The strings public/js/photo.js shows. */
export const PHOTO_CLIENT_KEYS = ["gallery.lightbox.close", "gallery.lightbox.label"] as const;

/** How often the temp dir is swept for a crashed upload's leftovers (they become sweepable an hour after the crash). */
const TEMP_SWEEP_EVERY_MS = 15 * 60_000;

export function createGalleryRouter(deps: AppDeps, io: Server): Router {
  const images = new ImagesService(deps);
  const upload = createUploader(deps.config);
  const router = Router();
  const sweep = () => void images.sweepTemp().catch((err) => deps.logger.warn({ err }, "could not sweep upload temp files"));
  sweep();
  // At start-up, and again every so often: a crash's leftovers are swept only once surely dead, so a restart
  // right after the crash is not their last chance (nor is one replica's restart the others').
  const sweeper = setInterval(sweep, TEMP_SWEEP_EVERY_MS);
  sweeper.unref();
  io.httpServer?.once("close", () => clearInterval(sweeper));

  // Before any upload middleware: an anonymous upload is redirected without a byte written.
  router.use("/gallery", requireUser);

  const renderIndex = async (req: Request, res: Response, status = 200, uploadErrors: Message[] = [], bulkErrors: string[] = []) => {
    const page = parsePage(req.query.page, { perPage: PER_PAGE });
    const [items, total] = await Image.pageOf(req.user!.galleryId, page, PER_PAGE);
    res.status(status).render("gallery/index.njk", {
      images: items,
      total,
      page,
      pages: paginate(page, total, PER_PAGE, (p) => `/gallery?page=${p}`).pages,
      uploadErrors: uploadErrors.map((e) => req.t(e.key, e.params)),
      bulkErrors,
      ...UPLOAD_LIMITS,
      clientKeys: GALLERY_CLIENT_KEYS,
    });
  };

  router.get("/gallery", (req, res) => renderIndex(req, res));

  // A refused upload (too large, too many files, a cut-off body) is explained on the gallery form itself, with the
  // limit's status, not on the error page: the person is still on their gallery and can pick again.
  const uploadOrExplain = (mw: RequestHandler): RequestHandler => (req, res, next) =>
    mw(req, res, (err?: unknown) => {
      if (!(err instanceof HttpError) || err.status >= 500) return next(err);
      renderIndex(req, res, err.status, [{ key: err.message, params: err.params }]).catch(next);
    });

  router.post("/gallery", uploadOrExplain(upload.files(UPLOAD_FIELD)), async (req, res) => {
    const files = uploadedFiles(req);
    if (!files.length) return renderIndex(req, res, 422, [{ key: "gallery.errors.choose" }]);
    let outcomes;
    try {
      outcomes = await images.storeUploads(req.user!, files);
    } catch (err) {
      // Too much of theirs still in the queue: said on the form (429), as the size limits are; nothing was kept.
      if (err instanceof UploadsBusy) return renderIndex(req, res, err.status, [{ key: err.message, params: err.params }]);
      throw err;
    }
    const errors = errorsOf(outcomes);
    if (errors.length === outcomes.length) return renderIndex(req, res, 422, errors);
    const stored = outcomes.length - errors.length;
    if (errors.length) flash(req, "success", "gallery.uploaded_some", { stored, count: outcomes.length });
    else flash(req, "success", "gallery.uploaded", { count: stored });
    // The reason is a message of its own (with the file's name in it), kept as key + params like the frame, so
    // both are translated when shown: a language switch before the redirect lands shows the new language.
    for (const e of errors) flash(req, "danger", "gallery.not_stored", { reason: { key: e.key, params: e.params } });
    res.redirect(303, "/gallery");
  });

  const ownImage = async (req: Request) => {
    const image = await Image.findOwned(requireId(req.params.id), req.user!.id);
    if (!image) throw notFound();
    return image;
  };

  const renderShow = async (req: Request, res: Response, errors: FieldErrors = {}, values: Record<string, string> = {}) => {
    const image = await ownImage(req);
    const around = await Image.neighbours(image.galleryId!, image.id);
    res.status(Object.keys(errors).length ? 422 : 200).render("gallery/show.njk", {
      image,
      around,
      isAvatar: req.user!.profilePictureId === image.id,
      captionMax: CAPTION_MAX,
      errors,
      values,
      clientKeys: PHOTO_CLIENT_KEYS,
    });
  };

  router.get("/gallery/:id", (req, res) => renderShow(req, res));

  router.post("/gallery/:id/caption", async (req, res) => {
    const id = requireId(req.params.id);
    const form = parseForm(captionSchema, req.body, req.t);
    if (!form.ok) return renderShow(req, res, form.errors, oldInput(req.body));
    if (!(await Image.setCaption(id, req.user!.id, form.data.caption))) throw notFound();
    flash(req, "success", form.data.caption ? "gallery.caption.saved" : "gallery.caption.removed");
    res.redirect(303, `/gallery/${id}`);
  });

  // Several photos at once: the first POST shows what will go (works without JavaScript), the confirmed one deletes.
  router.post("/gallery/bulk-delete", async (req, res) => {
    const form = parseForm(bulkDeleteSchema, req.body, req.t);
    if (!form.ok) return renderIndex(req, res, 422, [], Object.values(form.errors));
    if (form.data.confirm !== "yes") {
      const chosen = await Image.ownedAmong(form.data.ids, req.user!.id);
      if (!chosen.length) throw notFound();
      return res.render("gallery/bulk_delete.njk", { images: chosen });
    }
    const deleted = await images.destroyManyOwned(req.user!.id, form.data.ids);
    if (!deleted) throw notFound();
    flash(req, "success", "gallery.bulk.deleted", { count: deleted });
    res.redirect(303, "/gallery");
  });

  // The no-JavaScript confirmation step before a delete.
  router.get("/gallery/:id/delete", async (req, res) => {
    const image = await ownImage(req);
    res.render("gallery/delete.njk", { image, isAvatar: req.user!.profilePictureId === image.id });
  });

  router.post("/gallery/:id/delete", async (req, res) => {
    const id = requireId(req.params.id);
    const wasAvatar = req.user!.profilePictureId === id;
    await images.destroyOwned(req.user!.id, id);
    flash(req, "success", wasAvatar ? "gallery.deleted_avatar" : "gallery.deleted");
    res.redirect(303, "/gallery");
  });

  return router;
}
