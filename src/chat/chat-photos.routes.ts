// Photos in chats (#18): sending photos with a message (uploads, or copies of gallery photos) and a chat photo's
// page. The forms work without JavaScript; chat.js posts the same form with XMLHttpRequest (for its progress bar)
// and gets the stored message as JSON. Either way the message goes through MessageService.postMessage, the one
// path of every message (client id, broadcast, unread, mentions in the caption).
import crypto from "node:crypto";
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type { AppDeps } from "../deps";
import { Image } from "../gallery/image.entity";
import { PhotosRefused, UploadsBusy } from "../gallery/images.service";
import { FieldError, HttpError, notFound, requireId } from "../http/errors";
import { requireUser } from "../http/guards";
import { createUploader, MAX_FILE_BYTES, uploadedFiles } from "../http/upload";
import { oldInput, parseForm } from "../http/validate";
import type { AppServer } from "./chat.events";
import { PHOTOS_MAX, sendPhotosSchema } from "./chat.schemas";
import { TooFast } from "./message-budget";
import { Message } from "./message.entity";
import { chatServicesFor } from "./services";

/** The multipart field of the photo form. */
export const PHOTOS_FIELD = "photos";
/** What the file input offers (the pipeline decides by the bytes, not by this). */
export const PHOTO_TYPES = "image/jpeg,image/png,image/webp,image/gif";
/** Gallery photos the picker page offers, newest first. */
const PICKER_PAGE = 60;

/** The limits the forms state, and chat.js checks before sending. */
export const PHOTO_LIMITS = { photosMax: PHOTOS_MAX, photoMaxBytes: MAX_FILE_BYTES, photoMaxMb: MAX_FILE_BYTES / 1024 / 1024 };

const wantsJson = (req: Request) => req.accepts(["html", "json"]) === "json";

export function createChatPhotosRouter(deps: AppDeps, io: AppServer): Router {
  const { messages, groups } = chatServicesFor(deps, io);
  const upload = createUploader(deps.config);
  const router = Router();
  // Before any upload middleware: an anonymous upload is redirected without a byte written.
  router.use("/chats/:id/photos", requireUser);

  /** The photo form's page: upload from the device, or pick from the gallery (422/413 with what was wrong). */
  const renderNew = async (req: Request, res: Response, status = 200, errors: string[] = [], values: Record<string, string> = {}) => {
    const chat = await groups.getChat(req.user!.id, requireId(req.params.id), req.t);
    const [gallery] = await Image.pageOf(req.user!.galleryId, 1, PICKER_PAGE);
    res.status(status).render("chat/photos_new.njk", {
      chat,
      gallery,
      errors,
      values,
      uploadClientId: crypto.randomUUID(),
      pickClientId: crypto.randomUUID(),
      ...PHOTO_LIMITS,
      photoTypes: PHOTO_TYPES,
    });
  };

  /** A refusal as the sender sees it: JSON for the script, else the form again with the reasons. */
  const refuse = (req: Request, res: Response, status: number, errors: string[]) => {
    if (wantsJson(req)) return void res.status(status).json({ ok: false, error: errors[0], errors });
    return renderNew(req, res, status, errors, oldInput(req.body));
  };

  // A too-large file or too many files (multer's limits) is explained on the form, with the limit's status.
  const uploadOrExplain = (mw: RequestHandler): RequestHandler => (req, res, next) =>
    mw(req, res, (err?: unknown) => {
      if (!(err instanceof HttpError) || err.status >= 500) return next(err);
      refuse(req, res, err.status, [err.text(req.t)])?.catch(next);
    });

  const memberOnly = async (req: Request, _res: Response, next: NextFunction) => {
    // A non-member's upload is a 404 before a byte of it is written.
    await messages.assertMember(req.user!.id, requireId(req.params.id));
    next();
  };

  router.get("/chats/:id/photos/new", (req, res) => renderNew(req, res));

  router.post("/chats/:id/photos", memberOnly, uploadOrExplain(upload.files(PHOTOS_FIELD, PHOTOS_MAX)), async (req, res) => {
    const chatId = requireId(req.params.id);
    const form = parseForm(sendPhotosSchema, req.body, req.t);
    if (!form.ok) return refuse(req, res, 422, Object.values(form.errors));
    const { text, client_id, reply_to, from_gallery = [] } = form.data;
    let stored;
    try {
      stored = await messages.postMessage(req.user!.id, chatId, text, client_id || null, {
        replyToId: reply_to ?? null,
        photos: { files: uploadedFiles(req), galleryIds: from_gallery },
      });
    } catch (err) {
      if (err instanceof PhotosRefused) return refuse(req, res, 422, err.errors.map((e) => req.t(e.key, e.params)));
      if (err instanceof FieldError || err instanceof TooFast || err instanceof UploadsBusy) return refuse(req, res, err.status, [err.text(req.t)]);
      throw err;
    }
    if (wantsJson(req)) return void res.json({ ok: true, message: stored.message });
    res.redirect(303, `/chats/${chatId}#m-${stored.message.id}`);
  });

  // A chat photo's page: the picture with its message as context, the message's other photos before and after.
  router.get("/chats/:id/photos/:imageId", async (req, res) => {
    const chatId = requireId(req.params.id);
    const photo = await Message.photoFor(requireId(req.params.imageId), chatId, req.user!.id);
    if (!photo) throw notFound();
    const at = photo.siblings.indexOf(photo.id);
    const chat = await groups.getChat(req.user!.id, chatId, req.t);
    res.render("chat/photo.njk", {
      chat,
      photo,
      index: at + 1,
      count: photo.siblings.length,
      prev: photo.siblings[at - 1] ?? null,
      next: photo.siblings[at + 1] ?? null,
      clientKeys: ["gallery.lightbox.close", "gallery.lightbox.label"],
    });
  });

  return router;
}
