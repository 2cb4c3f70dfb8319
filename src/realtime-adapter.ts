// Scale-out: with REDIS_URL, one Redis connection carries socket.io's events between app processes
// (the official redis-streams adapter, which keeps connection state recovery working across them) and the
// shared rate-limit counters. Without REDIS_URL a single process keeps both in memory and needs no Redis.
import { createAdapter } from "@socket.io/redis-streams-adapter";
import type { Logger } from "pino";
import { createClient } from "redis";
import type { ServerOptions } from "socket.io";
import type { Config } from "./config";

/** Connection attempts at start-up before giving up: a process that cannot reach Redis should fail loudly, not hang. */
const BOOT_ATTEMPTS = 5;

function newClient(url: string, state: { booted: boolean }) {
  return createClient({
    url,
    // While Redis is away, commands fail at once instead of queueing: a login must not hang on its rate-limit
    // counter (the limiter lets the request through and logs), and a lost broadcast beats a stalled process.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries, cause) => {
        if (!state.booted && retries >= BOOT_ATTEMPTS) return new Error(`Redis at REDIS_URL is not reachable: ${cause.message}`);
        return Math.min(100 * 2 ** retries, 5000);
      },
    },
  });
}

export type RedisClient = ReturnType<typeof newClient>;

/** Connects to REDIS_URL, or returns undefined when it is not set. Rejects if Redis is unreachable at start-up. */
export async function connectRedis(config: Pick<Config, "redisUrl">, logger: Logger): Promise<RedisClient | undefined> {
  if (!config.redisUrl) return undefined;
  const state = { booted: false };
  let reportedDown = false;
  const client = newClient(config.redisUrl, state);
  // Without a listener an 'error' event would crash the process; one line per outage is enough.
  client.on("error", (err: Error) => {
    if (state.booted && !reportedDown) logger.warn({ err: err.message }, "redis connection lost; reconnecting");
    reportedDown = true;
  });
  client.on("ready", () => {
    if (state.booted && reportedDown) logger.info("redis connection restored");
    reportedDown = false;
  });
  await client.connect();
  state.booted = true;
  return client;
}

/** Redis key names for one deployment (REDIS_KEY_PREFIX), so several deployments or test runs can share a Redis. */
export function redisKeys(prefix: string) {
  return {
    stream: `${prefix}:socket.io`,
    channelPrefix: `${prefix}:socket.io`,
    sessionKeyPrefix: `${prefix}:sio:session:`,
    rateLimit: (name: string) => `${prefix}:rl:${name}:`,
  };
}

/** The socket.io adapter for this process: Redis streams when Redis is configured, socket.io's in-memory default otherwise. */
export function socketAdapter(redis: RedisClient | undefined, config: Pick<Config, "redisKeyPrefix">): ServerOptions["adapter"] | undefined {
  if (!redis) return undefined;
  const keys = redisKeys(config.redisKeyPrefix);
  return createAdapter(redis, {
    streamName: keys.stream,
    channelPrefix: keys.channelPrefix,
    sessionKeyPrefix: keys.sessionKeyPrefix,
  }) as unknown as ServerOptions["adapter"];
}
