// The socket.io server: same-origin only, authenticated through the web session, one room per user and per session.
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type passport from "passport";
import { Server, type ServerOptions } from "socket.io";
import { type AppServer, sessionRoom, userRoom } from "./chat/chat.events";
import type { Realtime } from "./deps";

type Next = (err?: unknown) => void;
type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** Session and passport run on the handshake request only, not on every long-polling request. */
function onlyForHandshake(mw: EngineMiddleware): EngineMiddleware {
  return (req, res, next) => {
    const isHandshake = (req as IncomingMessage & { _query?: Record<string, string> })._query?.sid === undefined;
    if (isHandshake) mw(req, res, next);
    else next();
  };
}

/** A browser always sends Origin on cross-site requests; it must name this very host. */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** A session socket.io is about to restore: its rooms, its data, and the events it missed as [event, ...args, offset]. */
export function createIo({
  server,
  sessionMiddleware,
  pp,
  slidingExpiry,
  adapter,
}: {
  server: HttpServer;
  sessionMiddleware: RequestHandler;
  pp: passport.PassportStatic;
  slidingExpiry?: RequestHandler;
  /** Cross-process broadcasting (see realtime-adapter.ts); socket.io's in-memory adapter when absent. */
  adapter?: ServerOptions["adapter"];
}): { io: AppServer; realtime: Realtime } {
  const io: AppServer = new Server(server, {
    ...(adapter ? { adapter } : {}),
    // Chat messages are at most 4,000 characters; anything far bigger is refused by the transport.
    maxHttpBufferSize: 64 * 1024,
    serveClient: true,
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: false },
    allowRequest: (req, cb) => {
      if (!sameOrigin(req.headers.origin, req.headers.host)) return cb("foreign origin", false);
      cb(null, true);
    },
  });
  // Long-polling answers carry chat text as text/plain: no browser may sniff them into anything else.
  const nosniff = (headers: Record<string, string>) => {
    headers["X-Content-Type-Options"] = "nosniff";
  };
  io.engine.on("initial_headers", nosniff);
  io.engine.on("headers", nosniff);
  io.engine.use(onlyForHandshake(sessionMiddleware as unknown as EngineMiddleware));
  if (slidingExpiry) io.engine.use(onlyForHandshake(slidingExpiry as unknown as EngineMiddleware));
  io.engine.use(onlyForHandshake(pp.session() as unknown as EngineMiddleware));
  io.engine.use(
    onlyForHandshake((req, res, next) => {
      if ((req as IncomingMessage & { user?: unknown }).user) return next();
      res.writeHead(401, { "content-type": "text/plain" });
      res.end("login required");
    }),
  );
  io.on("connection", (socket) => {
    const req = socket.request as IncomingMessage & { user?: { id: number }; sessionID?: string };
    if (!req.user) return socket.disconnect(true);
    socket.data.userId = req.user.id;
    if (req.sessionID) socket.data.sid = req.sessionID;
    socket.join(userRoom(req.user.id));
    if (req.sessionID) socket.join(sessionRoom(req.sessionID));
  });
  const realtime: Realtime = {
    disconnectSessions: (sids) => {
      for (const sid of sids) io.in(sessionRoom(sid)).disconnectSockets(true);
    },
    disconnectUser: (userId) => io.in(userRoom(userId)).disconnectSockets(true),
  };
  return { io, realtime };
}
