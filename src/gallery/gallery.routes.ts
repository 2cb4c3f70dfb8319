// Gallery and avatars (issue #5): upload, browse, view, delete, set as avatar (users and group chats); /media serving.
import path from "node:path";
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type { Server } from "socket.io";
import { PASSWORD_RULES, USERNAME_RULES } from "../auth/auth.schemas";
import type { Chat } from "../chat/chat.entity";
import type { Config } from "../config";
import type { AppDeps } from "../deps";
import { notFound, requireId } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { paginate, parsePage } from "../http/pagination";
import { createUploader, MAX_FILE_BYTES, MAX_FILES, uploadedFiles } from "../http/upload";
import { parseForm } from "../http/validate";
import { AVATAR_FIELD, PER_PAGE, returnForm, UPLOAD_FIELD } from "./gallery.schemas";
import { Image } from "./image.entity";
import { ACCEPTED } from "./image-pipeline";
import { ImagesService, type UploadOutcome } from "./images.service";

// Only names this feature writes: two hex shard directories, a 128-bit random hex name, .webp. Anything else
// (dotfiles such as .tmp, "..", encoded variants, other extensions) is a 404 before the filesystem is asked.
const MEDIA_FILE = /^\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}(\.thumb)?\.webp$/;

/** Uploaded media: files only (no listing, no dotfiles), never sniffed, cached for long (names are random and never reused). */
export function mediaStatic(config: Config): RequestHandler {
  const serve = express.static(path.resolve(config.mediaRoot), {
    index: false,
    dotfiles: "deny",
    redirect: false,
    immutable: true,
    maxAge: "365d",
    fallthrough: false,
    setHeaders: (res) => res.setHeader("X-Content-Type-Options", "nosniff"),
  });
  return (req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || !MEDIA_FILE.test(req.path)) return next(notFound());
    serve(req, res, next);
  };
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
const errorsOf = (outcomes: UploadOutcome[]) => outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
const backTo = (body: unknown, fallback: string) => {
  const form = parseForm(returnForm, body);
  return (form.ok && form.data.next) || fallback;
};

export const UPLOAD_RULES = `${ACCEPTED}; up to ${MAX_FILES} files at once, ${MAX_FILE_BYTES / 1024 / 1024} MB each.`;

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
  router.use("/profile/avatar", requireUser);
  router.use("/chats/:id/avatar", requireUser);

  const renderIndex = async (req: Request, res: Response, status = 200, uploadErrors: string[] = []) => {
    const page = parsePage(req.query.page, { perPage: PER_PAGE });
    const [items, total] = await Image.pageOf(req.user!.galleryId, page, PER_PAGE);
    res.status(status).render("gallery/index.njk", {
      images: items,
      total,
      page,
      pages: paginate(page, total, PER_PAGE, (p) => `/gallery?page=${p}`).pages,
      uploadErrors,
      uploadRules: UPLOAD_RULES,
    });
  };

  router.get("/gallery", (req, res) => renderIndex(req, res));

  router.post("/gallery", upload.files(UPLOAD_FIELD), async (req, res) => {
    const files = uploadedFiles(req);
    if (!files.length) return renderIndex(req, res, 422, ["Choose at least one image to upload."]);
    const outcomes = await images.storeUploads(req.user!.id, files);
    const errors = errorsOf(outcomes);
    if (errors.length === outcomes.length) return renderIndex(req, res, 422, errors);
    const stored = outcomes.length - errors.length;
    flash(req, "success", errors.length ? `Uploaded ${stored} of ${plural(outcomes.length, "image")}.` : `Uploaded ${plural(stored, "image")}.`);
    for (const e of errors) flash(req, "danger", `Not stored: ${e}`);
    res.redirect(303, "/gallery");
  });

  const ownImage = async (req: Request) => {
    const image = await Image.findOwned(requireId(req.params.id), req.user!.id);
    if (!image) throw notFound();
    return image;
  };

  router.get("/gallery/:id", async (req, res) => {
    const image = await ownImage(req);
    res.render("gallery/show.njk", { image, isAvatar: req.user!.profilePictureId === image.id });
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
    flash(req, "success", wasAvatar ? "Photo deleted. Your avatar is back to your initials." : "Photo deleted.");
    res.redirect(303, "/gallery");
  });

  router.post("/gallery/:id/avatar", async (req, res) => {
    await images.setAvatar(req.user!.id, requireId(req.params.id));
    flash(req, "success", "Your avatar has been changed.");
    res.redirect(303, backTo(req.body, "/gallery"));
  });

  // Straight from the profile page: stored in the gallery too, and made the avatar in the same transaction.
  router.post("/profile/avatar", upload.single(AVATAR_FIELD), async (req, res) => {
    const refuse = (avatarError: string) =>
      res.status(422).render("auth/profile.njk", {
        values: { username: req.user!.username, email: req.user!.email },
        errors: {},
        pwErrors: {},
        usernameRules: USERNAME_RULES,
        passwordRules: PASSWORD_RULES,
        avatarError,
      });
    const files = uploadedFiles(req);
    if (!files.length) return refuse("Choose an image to upload.");
    const [outcome] = await images.storeUploads(req.user!.id, files, { user: true });
    if (!outcome.ok) return refuse(outcome.error);
    flash(req, "success", "Your new avatar is set. It is in your gallery too.");
    res.redirect(303, "/profile");
  });

  router.post("/profile/avatar/remove", async (req, res) => {
    await images.clearAvatar(req.user!.id);
    flash(req, "success", "Your avatar has been removed. The photo is still in your gallery.");
    res.redirect(303, "/profile");
  });

  // Group chats: the creator or a member may change the picture; anyone else gets a 404 before the upload is read.
  const loadChat = async (req: Request, res: Response, next: NextFunction) => {
    const chat = await images.findChatForAvatar(req.user!.id, requireId(req.params.id));
    if (!chat) throw notFound();
    res.locals.chat = chat;
    next();
  };
  const chatView = (chat: Chat, extra: Record<string, unknown> = {}) => ({ chat, chatAvatarNext: `/chats/${chat.id}`, ...extra });

  router.get("/chats/:id/avatar", loadChat, (_req, res) => {
    res.render("gallery/chat_avatar.njk", chatView(res.locals.chat));
  });

  router.post("/chats/:id/avatar", loadChat, upload.single(AVATAR_FIELD), async (req, res) => {
    const chat: Chat = res.locals.chat;
    const back = backTo(req.body, `/chats/${chat.id}`);
    const refuse = (chatAvatarError: string) =>
      res.status(422).render("gallery/chat_avatar.njk", chatView(chat, { chatAvatarError, chatAvatarNext: back }));
    const files = uploadedFiles(req);
    if (!files.length) return refuse("Choose an image to upload.");
    const outcome = await images.setChatAvatar(req.user!.id, chat.id, files[0]);
    if (!outcome.ok) return refuse(outcome.error);
    flash(req, "success", "The chat's picture has been changed.");
    res.redirect(303, back);
  });

  router.post("/chats/:id/avatar/remove", async (req, res) => {
    const chatId = requireId(req.params.id);
    await images.clearChatAvatar(req.user!.id, chatId);
    flash(req, "success", "The chat's picture has been removed.");
    res.redirect(303, backTo(req.body, `/chats/${chatId}`));
  });

  return router;
}
