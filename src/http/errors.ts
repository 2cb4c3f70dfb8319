// One error path: every failure becomes an HttpError-shaped status and one rendered error page, in the
// request's language.
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";
import { INT4_MAX } from "../db/sql";
import { translateMessage, type TParams, type Translate } from "../i18n";
import { applyLocale } from "../i18n/middleware";
import { redactUrl } from "./request-log";

/**
 * `message` is a translation key ("errors.not_found") with its `params`, translated where it is shown (the error
 * handler, a form); text that is not a key yet is shown as it is.
 */
export class HttpError extends Error {
  /** Shown to the user; internal messages (5xx) never are. */
  public expose: boolean;

  constructor(
    public status: number,
    message: string,
    public params?: TParams,
  ) {
    super(message);
    this.expose = status < 500;
  }

  /** The message in the reader's language. */
  text(t: Translate): string {
    return translateMessage(t, this.message, this.params);
  }
}

/**
 * A refused form: the message belongs next to one field (`_form` for the form as a whole). Services throw it for
 * rules only they can check (a taken username, a wrong current password); routes re-render the form with
 * `{ [err.field]: err.text(req.t) }` (422).
 */
export class FieldError extends HttpError {
  constructor(public field: string, message: string, params?: TParams) {
    super(422, message, params);
  }
}

export const notFound = (what = "errors.not_found") => new HttpError(404, what);

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

/** Statuses with a title of their own (errors.status_<code>); any other shows errors.status_unknown. */
const TITLED = new Set([400, 403, 404, 405, 413, 422, 429, 500, 503]);
const titleKey = (status: number) => (TITLED.has(status) ? `errors.status_${status}` : "errors.status_unknown");

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

    if (status >= 500) logger.error({ err, url: redactUrl(req.originalUrl) }, "request failed");
    if (res.headersSent) return req.socket.destroy();

    // Failures before the locale middleware (a body too large to parse) still answer in the reader's language.
    if (!req.t) applyLocale(req, res);
    const t = req.t;
    const ours = err instanceof HttpError;
    // Other libraries' messages (body-parser, multer) are English and technical: the status's own words instead.
    let message = ours && err.expose ? err.text(t) : t(titleKey(status));
    if (status === 403 && !ours) message = t("errors.csrf");
    if (status === 503) {
      message = t("errors.unavailable");
      res.set("Retry-After", "5");
    }
    if (status === 413 && !ours) message = t("errors.too_large");

    res.status(status);
    if (req.accepts(["html", "json"]) === "json") {
      res.json({ error: message });
      return;
    }
    const view = status === 404 ? "errors/404.njk" : status >= 500 ? "errors/500.njk" : "errors/error.njk";
    res.render(view, {
      status,
      title: t(titleKey(status)),
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
