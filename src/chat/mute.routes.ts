// Muting a chat (#18): for an hour, eight hours, or until unmuted, stored on the member's row. A muted chat's
// messages still arrive and still show in the chat list (their count muted), but raise no badge total, no
// notification and no sound. A plain form (no JavaScript needed); non-members get 404.
import { Router, type Request, type Response } from "express";
import type { AppDeps } from "../deps";
import { notFound, requireId } from "../http/errors";
import { requireUser } from "../http/guards";
import { flash } from "../http/locals";
import { parseForm, type FieldErrors } from "../http/validate";
import { Chat } from "./chat.entity";
import type { AppServer } from "./chat.events";
import { userRoom } from "./chat.events";
import { ChatMember, type MuteChoice } from "./chat-member.entity";
import { chatView } from "./chat.presenter";
import { muteSchema } from "./chat.schemas";

/** What the flash says after each choice. */
const DONE: Record<MuteChoice, string> = {
  "1h": "chat.mute.muted_1h",
  "8h": "chat.mute.muted_8h",
  forever: "chat.mute.muted_forever_flash",
  off: "chat.mute.unmuted",
};

export function createChatMuteRouter(_deps: AppDeps, io: AppServer): Router {
  const router = Router();
  router.use("/chats/:id/mute", requireUser);

  const render = async (req: Request, res: Response, errors: FieldErrors = {}) => {
    const row = await Chat.forMember(requireId(req.params.id), req.user!.id);
    if (!row) throw notFound();
    res.status(Object.keys(errors).length ? 422 : 200).render("chat/mute.njk", { chat: chatView(row, req.user!.id, req.t), errors });
  };

  router.get("/chats/:id/mute", (req, res) => render(req, res));

  router.post("/chats/:id/mute", async (req, res) => {
    const chatId = requireId(req.params.id);
    const form = parseForm(muteSchema, req.body, req.t);
    if (!form.ok) return render(req, res, form.errors);
    if (!(await ChatMember.setMute(chatId, req.user!.id, form.data.for))) throw notFound();
    // The user's other tabs: the badge total gains or loses this chat's unread count (and "@" its mention).
    io.to(userRoom(req.user!.id)).emit("chat:unread", await ChatMember.unreadState(req.user!.id));
    flash(req, "success", DONE[form.data.for]);
    res.redirect(303, `/chats/${chatId}`);
  });

  return router;
}
