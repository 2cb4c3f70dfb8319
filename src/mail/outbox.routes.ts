// /dev/outbox: the mail the development transport wrote to DATA_DIR/outbox, newest first, so a newcomer can open a
// reset or verification link with no mail server. Mounted only outside production (app.ts): there it is a 404;
// elsewhere it answers requests from this machine only.
import fs from "node:fs/promises";
import path from "node:path";
import { Router } from "express";
import { simpleParser } from "mailparser";
import type { AppDeps } from "../deps";
import { notFound } from "../http/errors";
import { outboxDir } from "./mailer";

/** The file names the transport writes (mailer.ts): nothing else under the folder is ever opened. */
const EML = /^[0-9TZ-]+-[0-9]+\.eml$/;
const SHOWN = 100;
export const MAIL_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'; sandbox";

/** Links in a mail's text, for clicking: only to this site's own pages. */
function linksIn(text: string, siteUrl: string): string[] {
  return [...new Set([...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]).filter((u) => u.startsWith(siteUrl + "/")))];
}

/**
 * The outbox holds every account's reset and confirmation links, so it answers only the machine it runs on: a
 * development server listens on every interface by default (HOST=0.0.0.0), and anyone on the same network could
 * otherwise take any account on it. The socket's own address, never a forwarded header, is what counts.
 */
export function fromThisMachine(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return address === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export function createDevOutboxRouter({ config }: AppDeps): Router {
  const router = Router();
  const dir = outboxDir(config);
  router.use((req, _res, next) => next(fromThisMachine(req.socket.remoteAddress) ? undefined : notFound()));

  async function read(name: string) {
    if (!EML.test(name)) throw notFound();
    const raw = await fs.readFile(path.join(dir, name)).catch(() => {
      throw notFound();
    });
    return simpleParser(raw);
  }

  router.get("/", async (_req, res) => {
    const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => EML.test(n)).sort().reverse().slice(0, SHOWN);
    const mails = await Promise.all(
      names.map(async (name) => {
        const m = await read(name);
        return { name, subject: m.subject ?? "", to: m.to && !Array.isArray(m.to) ? m.to.text : "", date: m.date ?? null };
      }),
    );
    res.render("mail/outbox/index.njk", { mails, dir });
  });

  router.get("/:name", async (req, res) => {
    const m = await read(req.params.name);
    const text = m.text ?? "";
    res.render("mail/outbox/show.njk", {
      name: req.params.name,
      subject: m.subject ?? "",
      to: m.to && !Array.isArray(m.to) ? m.to.text : "",
      date: m.date ?? null,
      text,
      links: linksIn(text, config.publicUrl).map((u) => u.slice(config.publicUrl.length)),
    });
  });

  // The HTML part on its own, under a policy that lets it style itself and nothing else (no scripts, no requests,
  // no form that posts anywhere, no <base>), in a sandbox: an opaque origin, so even markup that got into a mail
  // could not act as this site.
  router.get("/:name/html", async (req, res) => {
    const m = await read(req.params.name);
    res.set("Content-Security-Policy", MAIL_HTML_POLICY);
    res.type("html").send(typeof m.html === "string" ? m.html : "");
  });

  router.get("/:name/raw", async (req, res) => {
    if (!EML.test(req.params.name)) throw notFound();
    res.type("message/rfc822").sendFile(path.join(dir, req.params.name), (err) => {
      if (err && !res.headersSent) res.status(404).end();
    });
  });

  return router;
}
