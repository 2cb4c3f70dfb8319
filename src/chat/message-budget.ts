// The chat flood limit: one budget of CHAT_MESSAGES_PER_10S messages per person, whichever socket, tab, plain
// form or app process they send from (a per-connection count let a second tab or the no-JS form start afresh).
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "../config";
import { HttpError } from "../http/errors";
import { redisKeys, type RedisClient } from "../realtime-adapter";

const WINDOW_SECONDS = 10;

/** A message over the budget. `flooding`: the sender went on to twice the budget (its socket is then dropped). */
export class TooFast extends HttpError {
  constructor(public flooding: boolean) {
    super(429, "chat.errors.too_fast");
  }
}

export interface MessageBudget {
  /** Counts one message of the user; throws TooFast past the budget (the message must not be stored). */
  spend(userId: number): Promise<void>;
}

export function messageBudget(config: Pick<Config, "rateLimits" | "redisKeyPrefix">, redis?: RedisClient): MessageBudget {
  const perWindow = config.rateLimits.chatPer10s;
  const options = { points: perWindow, duration: WINDOW_SECONDS };
  const limiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({
        ...options,
        storeClient: redis,
        // node-redis v4+ (the app's client) has its own command signatures; the library must be told.
        useRedisPackage: true,
        // rate-limiter-flexible puts its own ":" between prefix and key.
        keyPrefix: redisKeys(config.redisKeyPrefix).rateLimit("chat-messages").replace(/:$/, ""),
        // While Redis is away each process counts on its own, as the login limits let requests through: chat
        // keeps working and a flood is still bounded per process.
        insuranceLimiter: new RateLimiterMemory(options),
      })
    : new RateLimiterMemory(options);
  return {
    async spend(userId) {
      try {
        await limiter.consume(String(userId));
      } catch (refused) {
        if (refused instanceof RateLimiterRes) throw new TooFast(refused.consumedPoints > 2 * perWindow);
        throw refused;
      }
    },
  };
}
