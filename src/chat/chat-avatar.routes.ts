// A group chat's picture: upload a new one (stored in the uploader's gallery through the gallery's image pipeline,
// and made the picture in the same transaction) or remove it. The creator or a member may change it; anyone else
// gets a 404 before the upload is read.
import { Router, type NextFunction, type Request, type Response } from "express";
import type { AppDeps } from "../deps";
import { AVATAR_FIELD, returnTo } from "../gallery/gallery.schemas";
import { ImagesService, UploadsBusy } from "../gallery/images.service";
import { notFound, requireId } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { createUploader, uploadedFiles } from "../http/upload";
import { Chat } from "./chat.entity";

export function createChatAvatarRouter(deps: AppDeps): Router {
  const images = new ImagesService(deps);
  const upload = createUploader(deps.config);
  const router = Router();
  // Before any upload middleware: an anonymous upload is redirected without a byte written.
  router.use("/chats/:id/avatar", requireUser);

  const loadChat = async (req: Request, res: Response, next: NextFunction) => {
    const chat = await Chat.findForPictureEdit(requireId(req.params.id), req.user!.id);
    if (!chat) throw notFound();
    res.locals.chat = chat;
    next();
  };
  const view = (chat: Chat, extra: Record<string, unknown> = {}) => ({ chat, chatAvatarNext: `/chats/${chat.id}`, ...extra });

  router.get("/chats/:id/avatar", loadChat, (_req, res) => {
    res.render("chat/avatar.njk", view(res.locals.chat));
  });

  router.post("/chats/:id/avatar", loadChat, upload.single(AVATAR_FIELD), async (req, res) => {
    const chat: Chat = res.locals.chat;
    const userId = req.user!.id;
    const back = returnTo(req.body, `/chats/${chat.id}`);
    const refuse = (chatAvatarError: string, status = 422) =>
      res.status(status).render("chat/avatar.njk", view(chat, { chatAvatarError, chatAvatarNext: back }));
    const files = uploadedFiles(req);
    if (!files.length) return refuse(req.t("chat.avatar.choose"));
    let outcome;
    try {
      [outcome] = await images.storeUploads(req.user!, files.slice(0, 1), async (em, picture) => {
        // Checked again here: membership may have ended while the file was being processed.
        if (!(await Chat.setPicture(chat.id, userId, picture.id, em))) throw notFound();
      });
    } catch (err) {
      if (err instanceof UploadsBusy) return refuse(err.text(req.t), err.status);
      throw err;
    }
    if (!outcome.ok) return refuse(req.t(outcome.error.key, outcome.error.params));
    flash(req, "success", "chat.avatar.changed");
    res.redirect(303, back);
  });

  router.post("/chats/:id/avatar/remove", async (req, res) => {
    const chatId = requireId(req.params.id);
    if (!(await Chat.setPicture(chatId, req.user!.id, null))) throw notFound();
    flash(req, "success", "chat.avatar.removed");
    res.redirect(303, returnTo(req.body, `/chats/${chatId}`));
  });

  return router;
}
