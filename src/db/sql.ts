// Small pieces every entity's SQL shares: the int4 range of our ids, LIKE escaping.
import type { EntityManager, EntityTarget, ObjectLiteral } from "typeorm";

/** Postgres' int (int4) upper bound: every id and counter column is int4, so a larger number can only be a miss. */
export const INT4_MAX = 2_147_483_647;

/** `\`, `%` and `_` typed by a user are matched literally, not as LIKE wildcards (with ESCAPE '\'). */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, "\\$&");
}

/** A LIKE pattern matching `s` anywhere, taken literally. */
export function containsPattern(s: string): string {
  return `%${escapeLike(s)}%`;
}

/**
 * Counts by name, each a scalar subquery one feature supplies (`Note.COUNT`, `Session.countActiveOf(...)`), read in
 * ONE statement: the admin dashboard and user page show many counts, and a round trip each would add up.
 */
export async function selectCounts<K extends string>(
  em: EntityManager,
  counts: Record<K, string>,
  params: unknown[] = [],
): Promise<Record<K, number>> {
  const select = Object.entries<string>(counts).map(([name, sql]) => `(${sql})::int AS "${name}"`);
  const [row] = await em.query(`SELECT ${select.join(", ")}`, params);
  return row;
}

/**
 * Deletes the rows of `entity` matching `where` in the caller's transaction and returns the first deleted row's
 * `returning` columns (an SQL list, aliases allowed), or null when nothing matched: what a moderation delete writes
 * into its audit entry.
 */
export async function deleteReturning<R>(
  em: EntityManager,
  entity: EntityTarget<ObjectLiteral>,
  where: string,
  params: ObjectLiteral,
  returning: string,
): Promise<R | null> {
  const res = await em.createQueryBuilder().delete().from(entity).where(where, params).returning(returning).execute();
  return (res.raw as R[])[0] ?? null;
}
