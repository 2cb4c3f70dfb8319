// Chat pages (issue #4).
import { Router } from "express";
import type { Server } from "socket.io";
import type { AppDeps } from "../deps";

export function createChatRouter(_deps: AppDeps, _io: Server): Router {
  return Router();
}
