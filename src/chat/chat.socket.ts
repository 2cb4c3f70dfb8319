// Chat over socket.io (issue #4).
import type { Server } from "socket.io";
import type { AppDeps } from "../deps";

export function registerChatSocket(_io: Server, _deps: AppDeps): void {}
