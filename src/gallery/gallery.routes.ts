// Gallery and avatars (issue #5); /media serving.
import path from "node:path";
import express, { Router } from "express";
import type { Server } from "socket.io";
import type { Config } from "../config";
import type { AppDeps } from "../deps";

/** Uploaded media: files only (no listing, no dotfiles), never sniffed, cached for long (names are random and never reused). */
export function mediaStatic(config: Config) {
  return express.static(path.resolve(config.mediaRoot), {
    index: false,
    dotfiles: "ignore",
    redirect: false,
    immutable: true,
    maxAge: "365d",
    fallthrough: true,
    setHeaders: (res) => res.setHeader("X-Content-Type-Options", "nosniff"),
  });
}

export function createGalleryRouter(_deps: AppDeps, _io: Server): Router {
  return Router();
}
