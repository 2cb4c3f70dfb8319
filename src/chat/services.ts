// The chat services of one app. Routes and sockets share them, and with them the per-chat storing order and
// (without Redis) the in-memory message budget.
import type { AppDeps } from "../deps";
import type { AppServer } from "./chat.events";
import { ImagesService } from "../gallery/images.service";
import { GroupService } from "./groups.service";
import { messageBudget } from "./message-budget";
import { MessageService } from "./messages.service";
import { Presence } from "./presence";

export interface ChatServices {
  messages: MessageService;
  groups: GroupService;
  presence: Presence;
}

const perApp = new WeakMap<AppServer, ChatServices>();

export function chatServicesFor(deps: AppDeps, io: AppServer): ChatServices {
  let services = perApp.get(io);
  if (!services) {
    const presence = new Presence(io);
    const images = new ImagesService(deps);
    services = {
      messages: new MessageService(io, messageBudget(deps.config, deps.redis), deps.config.chatEditWindowMs, images),
      groups: new GroupService(deps.ds, io, presence, (files) => images.removeFiles(files)),
      presence,
    };
    perApp.set(io, services);
  }
  return services;
}
