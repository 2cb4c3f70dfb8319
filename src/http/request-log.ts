// The request log: one line per request when its response is done, with the method, the URL (an upload's CSRF
// token and a mailed link's token redacted) and the status; never headers, which carry the session cookie. The
// same lines pino-http wrote ("request completed", "request aborted", "request errored" with `err`, at info), without its per-request work:
// it made a child logger bound to the whole request on every request (serialising it up front), gave each
// request an id and a logger nobody here reads, and copied the request for its serializers. On the home page
// that was ~3% of the server's CPU for a line of four fields (issue #21).
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";

/**
 * Paths whose last segment is a credential: a mailed link's signed token (password reset, email confirmation).
 * Whoever reads the log must not be able to use a link that has not been used yet.
 */
const TOKEN_IN_PATH = /^(\/password\/reset\/|\/email\/verify\/)[^/?#]+/;

/** A URL as it may be logged: secrets in its path or query replaced. */
export function redactUrl(url: string): string {
  let out = url.startsWith("/password/") || url.startsWith("/email/") ? url.replace(TOKEN_IN_PATH, "$1[redacted]") : url;
  if (out.includes("_csrf=")) out = out.replace(/_csrf=[^&]*/, "_csrf=[redacted]");
  return out;
}

export function requestLog(logger: Logger, { ignore }: { ignore: (req: Request) => boolean }): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled("info") || ignore(req)) return next();
    const start = Date.now();
    // The URL as it came in: routers rewrite req.url while the request travels through them.
    const url = req.url;
    const done = (err?: unknown) => {
      res.removeListener("close", done);
      res.removeListener("finish", done);
      const line = { req: { method: req.method, url: redactUrl(url) }, res: { statusCode: res.statusCode }, responseTime: Date.now() - start };
      if (err instanceof Error || res.statusCode >= 500) {
        logger.info({ ...line, err: err instanceof Error ? err : new Error(`failed with status code ${res.statusCode}`) }, "request errored");
      } else {
        logger.info(line, res.writableEnded ? "request completed" : "request aborted");
      }
    };
    res.on("close", done);
    res.on("finish", done);
    next();
  };
}
