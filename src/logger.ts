// The app's one logger (pino): JSON lines in production, quiet in tests.
import pino from "pino";
import type { Config } from "./config";

export function createLogger(config: Pick<Config, "logLevel">) {
  return pino({ level: config.logLevel, redact: ["req.headers.cookie", "req.headers.authorization", "res.headers['set-cookie']"] });
}
