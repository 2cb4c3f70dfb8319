// Runs one of S1's comparison servers (bench/baseline.ts, bench/stack-floor.ts) as the benchmark starts it:
// DATABASE_URL, SESSION_SECRET and PORT from the environment, its own pg pool, a clean stop on SIGTERM.
import http from "node:http";
import { Pool } from "pg";

export function serveFromEnv(name: string, handler: (pool: Pool, secret: string) => http.RequestListener): void {
  const url = process.env.DATABASE_URL;
  const secret = process.env.SESSION_SECRET;
  if (!url || !secret) {
    console.error(`${name}: DATABASE_URL and SESSION_SECRET are required`);
    process.exit(78);
  }
  const pool = new Pool({ connectionString: url, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
  pool.on("error", (err) => console.error(`${name}: idle database connection failed:`, err.message));
  const server = http.createServer(handler(pool, secret));
  server.keepAliveTimeout = 5000;
  server.listen(Number(process.env.PORT ?? 3100), process.env.HOST ?? "127.0.0.1", () => console.log(`${name} listening on ${process.env.PORT}`));
  const stop = () => {
    server.close(() => void pool.end().then(() => process.exit(0)));
    server.closeAllConnections();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
