// Chat pages: my chats, one chat (history + send form, live with JS through chat.socket.ts), group
// management, and the people directory where direct chats start. Everything works without JavaScript.
import crypto from "node:crypto";
import { Router, type Request, type Response } from "express";
import type { AppDeps } from "../deps";
import { FieldError, HttpError, notFound, requireId } from "../http/errors";
import { requireUser } from "../http/guards";
import { createSuggestLimit } from "../http/rate-limit";
import { parsePage } from "../http/pagination";
import { flash } from "../http/locals";
import { oldInput, parseForm, type FieldErrors } from "../http/validate";
import {
  addMembersSchema, CHAT_NAME_MAX, createGroupSchema, editMessageSchema, leaveSchema, MESSAGE_MAX, reactSchema, renameSchema, searchQuerySchema,
  sendMessageSchema,
} from "./chat.schemas";
import type { AppServer } from "./chat.events";
import { CHAT_CLIENT_KEYS, CHAT_LIST_CLIENT_KEYS, PICKER_CLIENT_KEYS } from "./chat.client-keys";
import { type ChatView, layoutMessages, reactionViews, type Reader, seenBy } from "./chat.presenter";
import { REACTIONS } from "./message-reaction.entity";
import { CHATS_PER_PAGE, type GroupService, LastMember } from "./groups.service";
import type { MessageService } from "./messages.service";
import { TooFast } from "./message-budget";
import { chatServicesFor } from "./services";
import { PHOTO_LIMITS, PHOTO_TYPES } from "./chat-photos.routes";
import { createPeopleRouter } from "./people.routes";
import { PeopleService } from "./people.service";


const readerOf = (req: Request, res: Response): Reader => ({ t: req.t, fmt: res.locals.fmt });

export function createChatRouter(deps: AppDeps, io: AppServer): Router {
  const { messages, groups } = chatServicesFor(deps, io);
  const router = Router();
  router.use(["/chats", "/people"], requireUser);
  router.use(createPeopleRouter(new PeopleService(), createSuggestLimit(deps.config, deps.redis)));
  chatRoutes(router, groups);
  searchRoutes(router, messages);
  messageRoutes(router, messages, groups);
  groupRoutes(router, groups);
  return router;
}

/** My chats, a new group, and the direct chat with someone. */
function chatRoutes(router: Router, chats: GroupService): void {
  router.get("/chats", async (req, res) => {
    const page = parsePage(req.query.page, { perPage: CHATS_PER_PAGE });
    const { items, hasMore } = await chats.listChats(req.user!.id, readerOf(req, res), page);
    res.render("chat/index.njk", { items, page, hasMore, clientKeys: CHAT_LIST_CLIENT_KEYS });
  });

  const renderNew = (res: Response, values: Record<string, string>, errors: FieldErrors = {}, status = 200) =>
    res.status(status).render("chat/new.njk", { values, errors, nameMax: CHAT_NAME_MAX, clientKeys: PICKER_CLIENT_KEYS });

  router.get("/chats/new", (req, res) => {
    const withName = typeof req.query.with === "string" ? req.query.with.slice(0, 150) : "";
    renderNew(res, { members: withName });
  });

  router.post("/chats", async (req, res) => {
    const form = parseForm(createGroupSchema, req.body, req.t);
    if (!form.ok) return renderNew(res, oldInput(req.body), form.errors, 422);
    try {
      const id = await chats.createGroup(req.user!.id, form.data.name, form.data.members);
      flash(req, "success", "chat.created", { name: form.data.name });
      res.redirect(303, `/chats/${id}`);
    } catch (err) {
      if (err instanceof FieldError) return renderNew(res, oldInput(req.body), { [err.field]: err.text(req.t) }, 422);
      throw err;
    }
  });

  // The "Message" button of a profile or the directory: opens the direct chat, creating it the first time.
  router.post("/chats/direct", async (req, res) => {
    const otherId = requireId((req.body as Record<string, unknown>)?.user_id);
    try {
      res.redirect(303, `/chats/${await chats.openDirect(req.user!.id, otherId)}`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      const me = req.user!;
      res.status(422).render("people/show.njk", {
        person: { id: me.id, username: me.username, joinedAt: me.createdAt, profilePicture: me.profilePicture },
        isMe: true,
        error: err.text(req.t),
      });
    }
  });

}

/** Search across my chats: the same query language as the notes search. */
function searchRoutes(router: Router, messages: MessageService): void {
  router.get("/chats/search", async (req, res) => {
    const { q, page } = searchQuerySchema.parse(req.query);
    const results = q ? await messages.search(req.user!.id, q, page, readerOf(req, res)) : null;
    res.render("chat/search.njk", { q, page, results });
  });
}

/** One chat's page, its older history, and sending, editing, deleting and reacting with plain forms. */
function messageRoutes(router: Router, messages: MessageService, chats: GroupService): void {
  async function renderChat(req: Request, res: Response, values: Record<string, string> = {}, errors: FieldErrors = {}, status = 422) {
    const chatId = requireId(req.params.id);
    const before = req.query.before === undefined ? null : requireId(req.query.before);
    const around = req.query.around === undefined ? null : requireId(req.query.around);
    const replyTo = req.query.reply === undefined ? (values.reply_to ? Number(values.reply_to) : null) : requireId(req.query.reply);
    const reader = readerOf(req, res);
    const me = req.user!.id;
    const page = await messages.openChat(req.user!, chatId, { beforeId: before, aroundId: around }, reader.t);
    const list = await chats.listChats(me, reader);
    // The no-JavaScript reply: the quoted message above the composer (one more statement, only then).
    const quote = replyTo ? page.messages.find((m) => m.id === replyTo) ?? (await messages.quoteOf(me, chatId, replyTo)) : null;
    res.status(Object.keys(errors).length ? status : 200).render("chat/show.njk", {
      chat: page.chat,
      messages: layoutMessages(page.messages, page.chat.lastReadMessageId, { me, members: page.chat.members, editWindowMs: messages.editWindowMs }, reader.fmt),
      hasOlder: page.hasOlder,
      hasNewer: page.hasNewer,
      viewingOlder: before !== null || around !== null,
      targetId: around,
      seen: seenBy(page.messages, me, page.chat.members),
      quote: quote && !quote.deleted ? quote : null,
      reactions: REACTIONS,
      editWindowMs: messages.editWindowMs,
      // For the page's scripts: @mentions and their autocomplete, and who has seen what.
      membersJson: JSON.stringify(page.chat.members.map((m) => ({ id: m.id, username: m.username, lastRead: m.lastRead }))),
      list: list.items,
      unreadTotal: page.unreadTotal,
      mentionChats: page.mentionChats,
      // A fresh id per rendered form: submitting the same form twice stores the message once.
      clientId: crypto.randomUUID(),
      messageMax: MESSAGE_MAX,
      clientKeys: CHAT_CLIENT_KEYS,
      ...PHOTO_LIMITS,
      photoTypes: PHOTO_TYPES,
      values,
      errors,
    });
  }

  router.get("/chats/:id", (req, res) => renderChat(req, res));

  // "Load older" for chat.js: the same keyset page as ?before= on the HTML page, as JSON.
  router.get("/chats/:id/messages", async (req, res) => {
    const chatId = requireId(req.params.id);
    const before = requireId(req.query.before);
    res.json(await messages.olderMessages(req.user!.id, chatId, before));
  });

  router.post("/chats/:id/messages", async (req, res) => {
    const chatId = requireId(req.params.id);
    const form = parseForm(sendMessageSchema, req.body, req.t);
    if (!form.ok) return renderChat(req, res, oldInput(req.body), form.errors);
    try {
      await messages.postMessage(req.user!.id, chatId, form.data.text, form.data.client_id || null, { replyToId: form.data.reply_to ?? null });
    } catch (err) {
      if (err instanceof FieldError) return renderChat(req, res, oldInput(req.body), { text: err.text(req.t) });
      // Over the message budget: the page comes back with the text still in the composer, to send in a moment.
      if (err instanceof TooFast) return renderChat(req, res, oldInput(req.body), { text: err.text(req.t) }, 429);
      throw err;
    }
    res.redirect(303, `/chats/${chatId}`);
  });

  const messageUrl = (chatId: number, messageId: number) => `/chats/${chatId}#m-${messageId}`;

  /** One message with its actions as forms (react, reply, edit, delete): what "⋯" opens without JavaScript. */
  const renderMessagePage = async (req: Request, res: Response, values: Record<string, string>, errors: FieldErrors = {}, status = 200) => {
    const chatId = requireId(req.params.id);
    const me = req.user!.id;
    const message = await messages.quoteOf(me, chatId, requireId(req.params.messageId));
    const mine = message.userId === me;
    res.status(status).render("chat/message.njk", {
      chatId,
      message,
      mine,
      canEdit: mine && !message.deleted && Date.now() - Date.parse(message.createdAt) < messages.editWindowMs,
      editWindowHours: Math.round(messages.editWindowMs / 3600_000),
      reactions: REACTIONS,
      reactionViews: reactionViews(message.reactions, me),
      myReactions: message.reactions.filter((r) => r.users.some((u) => u.id === me)).map((r) => r.emoji),
      values: { text: message.text, ...values },
      errors,
      clientId: crypto.randomUUID(),
      messageMax: MESSAGE_MAX,
    });
  };

  router.get("/chats/:id/messages/:messageId", (req, res) => renderMessagePage(req, res, {}));

  router.post("/chats/:id/messages/:messageId/edit", async (req, res) => {
    const chatId = requireId(req.params.id);
    const messageId = requireId(req.params.messageId);
    const form = parseForm(editMessageSchema, req.body, req.t);
    if (!form.ok) return renderMessagePage(req, res, oldInput(req.body), form.errors, 422);
    try {
      await messages.editMessage(req.user!.id, chatId, messageId, form.data.text, form.data.client_id || null);
    } catch (err) {
      if (err instanceof FieldError) return renderMessagePage(req, res, oldInput(req.body), { text: err.text(req.t) }, 422);
      throw err;
    }
    res.redirect(303, messageUrl(chatId, messageId));
  });

  router.post("/chats/:id/messages/:messageId/delete", async (req, res) => {
    const chatId = requireId(req.params.id);
    const messageId = requireId(req.params.messageId);
    await messages.deleteMessage(req.user!.id, chatId, messageId);
    flash(req, "info", "chat.message_deleted_flash");
    res.redirect(303, messageUrl(chatId, messageId));
  });

  router.post("/chats/:id/messages/:messageId/reactions", async (req, res) => {
    const chatId = requireId(req.params.id);
    const messageId = requireId(req.params.messageId);
    const form = parseForm(reactSchema, req.body, req.t);
    if (!form.ok) throw new HttpError(422, "chat.errors.no_such_reaction");
    await messages.react(req.user!.id, chatId, messageId, form.data.emoji, form.data.on === "1");
    res.redirect(303, messageUrl(chatId, messageId));
  });
}

/** Group settings: rename, add and remove members, leave. */
function groupRoutes(router: Router, chats: GroupService): void {
  /** A group as its member sees it, or 404; `creatorOnly` makes it 404 for everyone but the creator as well. */
  async function groupFor(req: Request, creatorOnly: boolean): Promise<ChatView> {
    const chat = await chats.getChat(req.user!.id, requireId(req.params.id), req.t);
    if (!chat.isGroup || (creatorOnly && !chat.isCreator)) throw notFound();
    return chat;
  }

  const renderSettings = (res: Response, chat: ChatView, extra: Record<string, unknown> = {}, status = 200) =>
    res.status(status).render("chat/settings.njk", {
      chat,
      values: { name: chat.title },
      errors: {},
      addValues: {},
      addErrors: {},
      nameMax: CHAT_NAME_MAX,
      memberNames: chat.members.map((m) => m.username),
      clientKeys: PICKER_CLIENT_KEYS,
      ...extra,
    });

  router.get("/chats/:id/settings", async (req, res) => renderSettings(res, await groupFor(req, false)));

  router.post("/chats/:id/rename", async (req, res) => {
    const chat = await groupFor(req, true);
    const form = parseForm(renameSchema, req.body, req.t);
    if (!form.ok) return renderSettings(res, chat, { values: oldInput(req.body), errors: form.errors }, 422);
    await chats.rename(req.user!.id, chat.id, form.data.name);
    flash(req, "success", "chat.renamed");
    res.redirect(303, `/chats/${chat.id}/settings`);
  });

  router.post("/chats/:id/members", async (req, res) => {
    const chat = await groupFor(req, true);
    const form = parseForm(addMembersSchema, req.body, req.t);
    if (!form.ok) return renderSettings(res, chat, { addValues: oldInput(req.body), addErrors: form.errors }, 422);
    try {
      const { added, already } = await chats.addMembers(req.user!.id, chat.id, form.data.members);
      if (added.length) flash(req, "success", "chat.added", { names: added.join(", ") });
      if (already.length) flash(req, "info", "chat.already_members", { names: already.join(", ") });
    } catch (err) {
      if (err instanceof FieldError) return renderSettings(res, chat, { addValues: oldInput(req.body), addErrors: { members: err.text(req.t) } }, 422);
      throw err;
    }
    res.redirect(303, `/chats/${chat.id}/settings`);
  });

  /** The member the creator asks to remove (never themself: they leave instead), or 404. */
  async function memberToRemove(req: Request) {
    const chat = await groupFor(req, true);
    const member = chat.members.find((m) => m.id === requireId(req.params.userId) && !m.isMe);
    if (!member) throw notFound();
    return { chat, member };
  }

  // "Remove" without JavaScript: a page that asks first (settings.njk asks in a dialog when scripts run).
  router.get("/chats/:id/members/:userId/remove", async (req, res) => {
    res.render("chat/remove_member.njk", await memberToRemove(req));
  });

  router.post("/chats/:id/members/:userId/remove", async (req, res) => {
    const chatId = requireId(req.params.id);
    const username = await chats.removeMember(req.user!.id, chatId, requireId(req.params.userId));
    flash(req, "success", "chat.member_removed", { name: username });
    res.redirect(303, `/chats/${chatId}/settings`);
  });

  const renderLeave = (res: Response, chat: ChatView, raced = false) =>
    res.status(raced ? 409 : 200).render("chat/leave.njk", { chat, last: chat.members.length === 1, raced });

  router.get("/chats/:id/leave", async (req, res) => renderLeave(res, await groupFor(req, false)));

  router.post("/chats/:id/leave", async (req, res) => {
    const chatId = requireId(req.params.id);
    const { delete_if_last } = leaveSchema.parse(req.body ?? {});
    try {
      const { title, deleted } = await chats.leave(req.user!.id, chatId, { deleteIfLast: delete_if_last === "1" });
      flash(req, "info", deleted ? "chat.left_deleted" : "chat.left", { title: title ?? req.t("chat.group") });
      res.redirect(303, "/chats");
    } catch (err) {
      // Everyone else left since the question was asked: ask again, now saying the group would be deleted.
      if (!(err instanceof LastMember)) throw err;
      renderLeave(res, await groupFor(req, false), true);
    }
  });
}
