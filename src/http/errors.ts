// One error path: every failure becomes an HttpError-shaped status and one rendered error page.
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";
import { INT4_MAX } from "../db/sql";

export class HttpError extends Error {
  constructor(
    public status: number,
    message: string,
    /** Shown to the user; internal messages (5xx) never are. */
    public expose = status < 500,
  ) {
    super(message);
  }
}

/**
 * A refused form: the message belongs next to one field (`_form` for the form as a whole). Services throw it for
 * rules only they can check (a taken username, a wrong current password); routes re-render the form with it (422).
 */
export class FieldError extends HttpError {
  constructor(public field: string, message: string) {
    super(422, message);
  }
}

export const notFound = (what = "Page not found") => new HttpError(404, what);

/** Turns an id from a URL or form into a positive int32, or null. Postgres' int is 32-bit, so a larger number can only be a miss. */
export function parseId(raw: unknown): number | null {
  if (typeof raw !== "string" || !/^[1-9][0-9]{0,9}$/.test(raw)) return null;
  const n = Number(raw);
  return n <= INT4_MAX ? n : null;
}

/** parseId or a 404: an id that cannot exist is simply not found. */
export function requireId(raw: unknown): number {
  const id = parseId(raw);
  if (id === null) throw notFound();
  return id;
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

const TITLES: Record<number, string> = {
  400: "Bad request",
  403: "Forbidden",
  404: "Page not found",
  405: "Method not allowed",
  413: "Too large",
  422: "Unprocessable",
  429: "Too many requests",
  500: "Something went wrong",
  503: "Temporarily unavailable",
};

/** Postgres is down or restarting: errors that mean "try again soon", not "bug". */
function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (!e) return false;
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "57P01", "57P02", "57P03", "08006", "08001", "08003"].includes(e.code ?? ""))
    return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i.test(
    e.message ?? "",
  );
}

export function errorHandler({ logger, showDetails }: { logger: Logger; showDetails: boolean }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let status: number = Number(err?.status ?? err?.statusCode) || 500;
    if (status < 400 || status > 599) status = 500;
    // multer reports limits with codes rather than statuses
    if (err?.code === "LIMIT_FILE_SIZE" || err?.code === "LIMIT_FILE_COUNT" || err?.code === "LIMIT_PART_COUNT") status = 413;
    if (err?.code === "EBADCSRFTOKEN" || err?.message === "invalid csrf token") status = 403;
    if (status === 500 && isDatabaseUnavailable(err)) status = 503;

    if (status >= 500) logger.error({ err, url: req.originalUrl }, "request failed");
    if (res.headersSent) return req.socket.destroy();

    const expose = err instanceof HttpError ? err.expose : status < 500 && typeof err?.message === "string";
    let message: string = expose ? err.message : TITLES[status] ?? "Error";
    if (status === 403 && !(err instanceof HttpError)) message = "Your form expired or came from another site. Please reload the page and try again.";
    if (status === 503) {
      message = "The service is briefly unavailable. Please try again in a moment.";
      res.set("Retry-After", "5");
    }
    if (status === 413 && !(err instanceof HttpError)) message = "That upload is too large.";

    res.status(status);
    if (req.accepts(["html", "json"]) === "json") {
      res.json({ error: message });
      return;
    }
    const view = status === 404 ? "errors/404.njk" : status >= 500 ? "errors/500.njk" : "errors/error.njk";
    res.render(view, {
      status,
      title: TITLES[status] ?? "Error",
      message,
      stack: showDetails && status >= 500 ? String(err?.stack ?? err) : undefined,
    }, (renderErr: Error | null, html?: string) => {
      // The error page itself failed (e.g. a broken template): plain text, still the right status.
      if (renderErr) {
        logger.error({ err: renderErr }, "error page failed to render");
        res.type("text/plain").send(message);
      } else res.send(html);
    });
  };
}
