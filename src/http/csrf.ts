// CSRF protection for every state-changing request (synchronizer token kept in the session).
import { csrfSync } from "csrf-sync";
import type { Request } from "express";

const isMultipart = (req: Request) => (req.headers["content-type"] ?? "").startsWith("multipart/form-data");

export const { csrfSynchronisedProtection: csrfProtection, generateToken } = csrfSync({
  size: 32,
  getTokenFromRequest: (req) => {
    const header = req.headers["x-csrf-token"];
    if (typeof header === "string") return header;
    // Multipart bodies are parsed only inside upload routes, after this check; upload forms carry the
    // token in their action URL so we can refuse a forged upload before a single byte is written to disk.
    if (isMultipart(req)) return typeof req.query._csrf === "string" ? req.query._csrf : undefined;
    const body = req.body as Record<string, unknown> | undefined;
    return typeof body?._csrf === "string" ? body._csrf : undefined;
  },
});
