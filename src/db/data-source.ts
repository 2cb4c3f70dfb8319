// The TypeORM DataSource. Schema changes come only from migrations/ (synchronize stays off).
import "reflect-metadata";
import path from "node:path";
import type { Pool } from "pg";
import { BaseEntity, DataSource } from "typeorm";
import type { PostgresDriver } from "typeorm/driver/postgres/PostgresDriver";
import { migrations } from "../../migrations";
import { PreparingClient } from "./prepared";

/**
 * Every feature's `*.entity` file, found by name: src/db serves the features and names none of them (a list here
 * would point the imports upward). The extension is this file's own, so `tsx` loads the .ts sources and the build
 * the compiled .js, never both.
 */
const entities = [path.join(__dirname, "..", "**", `*.entity${path.extname(__filename)}`)];

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  logging?: boolean;
}

export function createDataSource({ url, poolSize = 10, logging = false }: DataSourceOptions): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    entities,
    migrations,
    migrationsTableName: "migrations",
    synchronize: false,
    logging,
    extra: {
      max: poolSize,
      // Sends the registered per-request statements as named (prepared) ones: src/db/prepared.ts.
      Client: PreparingClient,
      // Fail fast instead of queueing forever when Postgres is gone; the error page says 503.
      connectionTimeoutMillis: 5000,
      // The prepared statements (src/db/prepared.ts) live as long as their connection: closing connections after
      // 30 s idle, as before, threw the plans away after every quiet spell and made the next burst parse and
      // plan them all again (the peer benchmark's interleaved rounds showed it as planning time per call).
      idleTimeoutMillis: 10 * 60_000,
      // A named statement is planned for its parameters five times before Postgres tries the generic plan; for
      // ours (lookups by key) the generic plan is the one it settles on, so plan it once. Unnamed statements,
      // everything else the app sends, are planned per execution whatever this says.
      options: "-c plan_cache_mode=force_generic_plan",
    },
  });
}

/** Connects, runs pending migrations and binds the ActiveRecord entities to this DataSource. */
export async function openDatabase(ds: DataSource, { migrate = true } = {}): Promise<DataSource> {
  if (!ds.isInitialized) await ds.initialize();
  if (migrate) await ds.runMigrations({ transaction: "each" });
  BaseEntity.useDataSource(ds);
  return ds;
}

/** Readiness: resolves when the database answers a trivial query (throws when it does not). */
export async function pingDatabase(pool: Pool): Promise<void> {
  await pool.query("SELECT 1");
}

/** The pg pool under TypeORM, shared with the session store so the app holds one pool. */
export function poolOf(ds: DataSource): Pool {
  return (ds.driver as PostgresDriver).master as Pool;
}
