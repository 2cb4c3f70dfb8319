// Multipart uploads: multer streams files into a temp dir under MEDIA_ROOT, with the limits every upload route shares.
// The CSRF check (src/http/csrf.ts) and the route's own guards run before this, so a refused request writes nothing.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import multer from "multer";
import type { Config } from "../config";
import { HttpError } from "./errors";

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_FILES = 20;
const MAX_FIELDS = 5;
/** Bodies declaring more than every allowed file could add up to are refused before a byte is read. */
const MAX_REQUEST_BYTES = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024;

/** Temp files live on the same filesystem as the media, so moving a finished file into place is a rename. */
export function uploadTempDir(mediaRoot: string): string {
  return path.join(mediaRoot, ".tmp");
}

/** A client-supplied file name made fit for display: no control or bidi characters, no path, bounded length. */
export function cleanFileName(raw: unknown, max = 100): string {
  let name = typeof raw === "string" ? raw : "";
  name = name.normalize("NFC").replace(/[\t\r\n\u2028\u2029]/g, " ").replace(/[\p{Cc}\p{Cf}]/gu, "");
  name = (name.split(/[\\/]/).pop() ?? "").replace(/\s+/g, " ").trim();
  if (/^\.+$/.test(name)) name = "";
  const chars = Array.from(name);
  if (chars.length > max) {
    const ext = /\.[\p{L}\p{N}]{1,8}$/u.exec(name)?.[0] ?? "";
    name = chars.slice(0, max - 1 - ext.length).join("").trimEnd() + "…" + ext;
  }
  return name || "unnamed file";
}

const MB = MAX_FILE_BYTES / 1024 / 1024;

/** multer and busboy report problems in their own terms; turn them into a status and a sentence a person understands. */
function toHttpError(err: unknown, maxFiles: number): unknown {
  if (err instanceof multer.MulterError) {
    // multer 2 names the file a limit error is about; its types do not say so yet.
    const filename = (err as { filename?: string }).filename;
    switch (err.code) {
      case "LIMIT_FILE_SIZE":
        return filename
          ? new HttpError(413, "errors.upload.file_too_large", { file: cleanFileName(filename), mb: MB })
          : new HttpError(413, "errors.upload.unnamed_too_large", { mb: MB });
      case "LIMIT_FILE_COUNT":
        return new HttpError(413, "errors.upload.too_many_files", { count: maxFiles });
      case "LIMIT_PART_COUNT":
      case "LIMIT_FIELD_COUNT":
      case "LIMIT_FIELD_VALUE":
      case "LIMIT_FIELD_KEY":
        return new HttpError(413, "errors.upload.too_many_fields");
      default:
        return new HttpError(400, "errors.upload.unexpected");
    }
  }
  // Disk full, permissions and the like are our problem (a 500), not the client's.
  if ((err as NodeJS.ErrnoException)?.syscall) return err;
  // Everything else busboy throws is a malformed or cut-off body.
  return new HttpError(400, "errors.upload.unreadable");
}

export interface Uploader {
  /** Up to `maxFiles` files from one field into req.files. */
  files(field: string, maxFiles?: number): RequestHandler;
  /** One file into req.file. */
  single(field: string): RequestHandler;
}

export function createUploader(config: Config): Uploader {
  const tmp = uploadTempDir(config.mediaRoot);
  let ready: Promise<unknown> | undefined;
  const storage = multer.diskStorage({
    destination: (_req, _file, cb) => {
      (ready ??= fs.promises.mkdir(tmp, { recursive: true })).then(
        () => cb(null, tmp),
        (err: Error) => {
          ready = undefined;
          cb(err, tmp);
        },
      );
    },
    // Never the client's name: it is only kept (cleaned) for display, by the feature that stores the file.
    filename: (_req, _file, cb) => cb(null, `${crypto.randomBytes(16).toString("hex")}.upload`),
  });

  const build = (maxFiles: number, handler: (m: multer.Multer) => RequestHandler): RequestHandler => {
    const m = multer({
      storage,
      // Browsers send file names as raw UTF-8; busboy's default (latin1) would garble every non-ASCII name.
      defParamCharset: "utf8",
      limits: {
        fileSize: MAX_FILE_BYTES,
        files: maxFiles,
        fields: MAX_FIELDS,
        fieldSize: 2048,
        fieldNameSize: 100,
        parts: maxFiles + MAX_FIELDS,
        headerPairs: 50,
      },
    });
    const mw = handler(m);
    return (req: Request, res: Response, next: NextFunction) => {
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > MAX_REQUEST_BYTES) {
        // Not worth reading: close the connection instead of draining hundreds of megabytes.
        res.set("Connection", "close");
        return next(new HttpError(413, "errors.upload.too_large_total", { count: maxFiles, mb: MB }));
      }
      // On a limit error multer has already removed what it wrote and drained the body, so the
      // friendly error page reaches the browser instead of a reset connection.
      mw(req, res, (err?: unknown) => {
        if (err) return next(toHttpError(err, maxFiles));
        // The route's service removes its temp files when done; this catches a handler that failed before it could.
        res.once("close", () => {
          for (const f of uploadedFiles(req)) fs.promises.rm(f.path, { force: true }).catch(() => {});
        });
        next();
      });
    };
  };

  return {
    files: (field, maxFiles = MAX_FILES) => build(maxFiles, (m) => m.array(field, maxFiles)),
    single: (field) => build(1, (m) => m.single(field)),
  };
}

/** The files multer wrote for this request, whichever of files()/single() ran. */
export function uploadedFiles(req: Request): Express.Multer.File[] {
  if (req.file) return [req.file];
  return Array.isArray(req.files) ? req.files : Object.values(req.files ?? {}).flat();
}
