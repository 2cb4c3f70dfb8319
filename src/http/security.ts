// Browser-facing protection headers for every response.
import type { RequestHandler } from "express";
import helmet from "helmet";
import type { Config } from "../config";

/**
 * helmet's headers, worked out once at start and then copied onto every response. None of ours depends on the
 * request (no nonces, no per-route policy), and helmet rebuilt the CSP string and set each header through its
 * own middleware chain on every page. A policy that ever needs the request (a nonce) must go back to helmet().
 */
export function securityHeaders(config: Config): RequestHandler {
  const headers = headersOf(helmetFor(config));
  const names = Object.keys(headers);
  return (_req, res, next) => {
    for (const name of names) res.setHeader(name, headers[name]);
    next();
  };
}

/** What a middleware sets on a response it is given, as name -> value. */
function headersOf(middleware: RequestHandler): Record<string, string> {
  const set: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => void (set[name] = String(value)),
    removeHeader: (name: string) => void delete set[name],
  };
  let called = false;
  middleware({ method: "GET", url: "/", headers: {} } as never, res as never, () => (called = true));
  if (!called) throw new Error("the security headers middleware did not call next() synchronously");
  return set;
}

function helmetFor(config: Config) {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"], // no inline scripts anywhere: templates load public/js modules
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:", "blob:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", "data:"],
        objectSrc: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        // Only over HTTPS: on plain-http localhost this would send forms to https://localhost.
        upgradeInsecureRequests: config.cookieSecure ? [] : null,
      },
    },
    referrerPolicy: { policy: "same-origin" },
    strictTransportSecurity: config.isProduction ? undefined : false,
  });
}

/**
 * Pages are made for one person (their notes and chats, their CSRF token): no cache may keep them, so a shared
 * proxy never hands one to someone else, and after logging out the Back button cannot show them again. Mounted
 * after /static and /media, which keep their long caching.
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set("Cache-Control", "no-store");
  next();
};
