// What the app is built from: passed to createApp and on to each feature's router.
import type { Logger } from "pino";
import type { Pool } from "pg";
import type { DataSource } from "typeorm";
import type { Config } from "./config";
import type { Mailer } from "./mail/mailer";
import type { TokenSigner } from "./auth/tokens";
import type { RedisClient } from "./realtime-adapter";

/** Ends live sockets when their session ends (logout, password change, deactivation). */
export interface Realtime {
  disconnectSessions(sids: string[]): void;
  disconnectUser(userId: number): void;
}

export interface AppDeps {
  config: Config;
  logger: Logger;
  ds: DataSource;
  pool: Pool;
  realtime: Realtime;
  /** Outgoing mail: queued in a transaction, sent after it commits. */
  mailer: Mailer;
  /** Signs the tokens in mailed links (password reset, email verification). */
  tokens: TokenSigner;
  /** Set when REDIS_URL is: shared by the socket.io adapter and the rate limits of all processes. */
  redis?: RedisClient;
}
