// Socket.io's connection-state recovery, vetted: chat decides which rooms and missed events a recovered socket
// gets back (a member removed while disconnected must get nothing of the chat back).
import type { AppServer } from "./chat.events";

export type RecoveredSession = NonNullable<Awaited<ReturnType<AppServer["sockets"]["adapter"]["restoreSession"]>>>;

/**
 * Lets a feature vet every recovered session before socket.io rejoins its rooms and replays what it missed.
 * This is the only moment both can still be changed: socket.io writes the missed events while it builds the
 * socket, before any middleware or "connection" handler runs. It works with any adapter (in memory, or the Redis
 * streams one, whose sessions come back on whichever process the client reaches). If vetting fails (the database
 * is away) the recovery fails too and the client gets a fresh connection, with nothing restored.
 */
export function vetRecoveredSessions(io: AppServer, vet: (session: RecoveredSession) => Promise<void>): void {
  const adapter = io.of("/").adapter;
  const restore = adapter.restoreSession.bind(adapter);
  adapter.restoreSession = async (pid, offset) => {
    const session = await restore(pid, offset);
    if (session) await vet(session);
    return session;
  };
}
