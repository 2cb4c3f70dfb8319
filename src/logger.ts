// The app's one logger (pino): JSON lines in production, quiet in tests.
import pino from "pino";
import type { Config } from "./config";

export function createLogger(config: Pick<Config, "logLevel">) {
  return pino(
    { level: config.logLevel, redact: ["req.headers.cookie", "req.headers.authorization", "res.headers['set-cookie']"] },
    // Asynchronous writes: a line per request written synchronously cost a write(2) on the event loop for
    // every page (~4% of the home page's CPU, bench/README.md). Lines written while a write is in flight go out
    // together in the next one; pino flushes what is left synchronously when the process exits.
    pino.destination({ dest: 1, sync: false }),
  );
}
