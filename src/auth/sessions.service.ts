// "Where you're logged in": each session of the account with its browser (ua-parser-js), address and first and last
// visit, and ending sessions other than this one. Ending a session deletes its row (its side row goes with it) and
// cuts its sockets at once.
import type { RequestHandler } from "express";
import { UAParser } from "ua-parser-js";
import type { AppDeps } from "../deps";
import { AuditLog } from "../admin/audit-log.entity";
import { notFound } from "../http/errors";
import { Session } from "./session.entity";
import { SessionMeta, type SessionListing } from "./session-meta.entity";

const HOUR = 3600 * 1000;
/** Sessions remembered as recently recorded, per process; past this the memory starts over (a few extra writes). */
const REMEMBERED = 50_000;

export interface SessionRow extends SessionListing {
  browser: string | null;
  os: string | null;
  /** mobile, tablet or null (a computer, or not known). */
  deviceType: string | null;
}

/** What a User-Agent says, in the words ua-parser-js finds: "Firefox 133", "Android 14". */
export function describeAgent(ua: string | null): Pick<SessionRow, "browser" | "os" | "deviceType"> {
  if (!ua) return { browser: null, os: null, deviceType: null };
  const r = new UAParser(ua).getResult();
  const join = (...parts: (string | undefined)[]) => parts.filter(Boolean).join(" ") || null;
  return { browser: join(r.browser.name, r.browser.major), os: join(r.os.name, r.os.version), deviceType: r.device.type === "mobile" || r.device.type === "tablet" ? r.device.type : null };
}

export class SessionsService {
  private recorded = new Map<string, number>();

  constructor(private deps: Pick<AppDeps, "ds" | "realtime">) {}

  /**
   * Records where and when a logged-in session is used, at most once an hour per session: between those, a page
   * view sends no statement for it (the exact statement counts in test/http/query-count.test.ts hold), and the
   * database keeps the hour too (SessionMeta.seen), whatever any other process does.
   */
  recordVisits(): RequestHandler {
    return (req, _res, next) => {
      const sid = req.sessionID;
      if (!req.user || !sid) return next();
      const now = Date.now();
      const last = this.recorded.get(sid);
      if (last !== undefined && now - last < HOUR) return next();
      if (this.recorded.size >= REMEMBERED) this.recorded.clear();
      this.recorded.set(sid, now);
      SessionMeta.seen(sid, req.user.id, req.get("user-agent") ?? null, req.ip ?? null).then(
        () => next(),
        // Bookkeeping only: a failure here must not fail the page.
        () => {
          this.recorded.delete(sid);
          next();
        },
      );
    };
  }

  async list(userId: number, currentSid: string): Promise<SessionRow[]> {
    return (await SessionMeta.listFor(userId, currentSid)).map((s) => ({ ...s, ...describeAgent(s.userAgent) }));
  }

  /** Ends one other session of the user (404 for anyone else's, or this one), and its sockets. */
  async endOne(user: { id: number; username: string }, handle: string, currentSid: string): Promise<void> {
    const sid = await this.deps.ds.transaction(async (em) => {
      const ended = await SessionMeta.endByHandle(em, user.id, handle, currentSid);
      if (ended) await AuditLog.record(em, { actor: user, action: "user.sessions_end", targetType: "user", targetId: user.id, details: { username: user.username, sessionsEnded: 1 } });
      return ended;
    });
    if (!sid) throw notFound();
    this.recorded.delete(sid);
    this.deps.realtime.disconnectSessions([sid]);
  }

  /** Ends every session of the user but this one, and their sockets; how many ended. */
  async endOthers(user: { id: number; username: string }, currentSid: string): Promise<number> {
    const sids = await this.deps.ds.transaction(async (em) => {
      const ended = await Session.destroyForUser(user.id, currentSid, em);
      await AuditLog.record(em, { actor: user, action: "user.sessions_end", targetType: "user", targetId: user.id, details: { username: user.username, sessionsEnded: ended.length } });
      return ended;
    });
    for (const sid of sids) this.recorded.delete(sid);
    this.deps.realtime.disconnectSessions(sids);
    return sids.length;
  }
}
