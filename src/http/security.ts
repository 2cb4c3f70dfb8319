// Browser-facing protection headers for every response.
import type { RequestHandler } from "express";
import helmet from "helmet";
import type { Config } from "../config";

export function securityHeaders(config: Config) {
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
