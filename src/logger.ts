// The app's one logger (pino): JSON lines in production, quiet in tests.
import pino from "pino";
import type { Config } from "./config";

export function createLogger(config: Pick<Config, "logLevel">) {
  return pino(
    { level: config.logLevel, redact: ["req.headers.cookie", "req.headers.authorization", "res.headers['set-cookie']"] },
    // Buffered writes: a line per request written on its own cost a write(2) on the event loop for every page
    // (~4-6% of the home page's CPU, bench/README.md). Lines go out together once 4 KB have gathered, or after
    // at most a second when traffic is light; pino flushes what is left synchronously when the process exits.
    // The price: a process killed with SIGKILL loses up to a second of log lines.
    pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 }),
  );
}
