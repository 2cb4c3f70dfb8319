// Queries on the hottest paths (the user lookup of every authenticated request, the home page's notes) with
// their SQL generated once by TypeORM's query builder and their rows turned into entities the way TypeORM does.
// Building the SQL and hydrating through the query builder on every call cost more CPU than the query itself:
// about a fifth of the home page's server time (bench/README.md, "The two per-request queries built once").
import type { BaseEntity, EntityMetadata, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { prepared } from "./prepared";

type EntityClass<T extends BaseEntity> = { new (): T } & typeof BaseEntity;
type Row = Record<string, unknown>;

/**
 * The SQL of a query builder, made on first use and reused: only the parameters change between calls. The
 * builder's parameter values are placeholders; callers pass the real ones in the same order ($1, $2, ...).
 * `append` adds what the builder cannot parameterise (it writes LIMIT and OFFSET as literals). The text is also
 * registered as the prepared statement `name` (src/db/prepared.ts): it is planned once per connection.
 */
export function sqlOnce(name: string, build: () => SelectQueryBuilder<ObjectLiteral>, append = ""): () => string {
  let sql: string | undefined;
  return () => (sql ??= prepared(name, build().getQueryAndParameters()[0] + append));
}

const plans = new WeakMap<EntityMetadata, Map<string, [string, ColumnMetadata][]>>();

/** Which raw keys ("alias_column", as the query builder names them) fill which columns. */
function planFor(meta: EntityMetadata, alias: string): [string, ColumnMetadata][] {
  let byAlias = plans.get(meta);
  if (!byAlias) plans.set(meta, (byAlias = new Map()));
  let plan = byAlias.get(alias);
  if (!plan) {
    plan = meta.columns.filter((c) => !c.isVirtual).map((c) => [`${alias}_${c.databaseName}`, c]);
    byAlias.set(alias, plan);
  }
  return plan;
}

/**
 * One entity from a raw row of such a query, or null when the alias's primary key is null (a LEFT JOIN that
 * found nothing). Values go through the driver's prepareHydratedValue and the column's setter, as TypeORM's own
 * transformer does; columns the query did not select (select: false) stay unset.
 */
export function hydrate<T extends BaseEntity>(cls: EntityClass<T>, row: Row, alias: string): T | null {
  const meta = cls.getRepository().metadata;
  const pk = row[`${alias}_${meta.primaryColumns[0].databaseName}`];
  if (pk === null || pk === undefined) return null;
  const driver = meta.connection.driver;
  const entity = new cls();
  for (const [key, column] of planFor(meta, alias)) {
    const value = row[key];
    if (value !== undefined) column.setEntityValue(entity, driver.prepareHydratedValue(value, column));
  }
  return entity;
}
