// Accounts as the admin site lists them: the newest, a search over names and addresses, and one account with counts
// of what it owns. Attached to User (User.recent, User.searchPage, User.withCounts: `this` is User), so they read as
// the domain queries they are; kept here, apart from the queries the account itself runs.
import { containsPattern } from "../db/sql";
import type { User } from "./user.entity";

/** Every account, for the admin dashboard's counts (see selectCounts). */
export const USER_COUNT = "SELECT count(*) FROM users";

/** A user as the admin site lists them. */
export interface UserListing {
  id: number;
  username: string;
  email: string;
  isActive: boolean;
  isStaff: boolean;
  createdAt: Date;
  lastLogin: Date | null;
}

const LISTING = `u.id, u.username, u.email, u.is_active AS "isActive", u.is_staff AS "isStaff",
  u.created_at AS "createdAt", u.last_login AS "lastLogin"`;

/** The newest sign-ups. */
export function recent(this: typeof User, limit: number): Promise<UserListing[]> {
  return this.query(`SELECT ${LISTING} FROM users u ORDER BY u.created_at DESC, u.id DESC LIMIT $1`, [limit]);
}

/**
 * Users whose username or email contains `q` (everyone when q is empty), newest first, with how many match in
 * all. The count rides along as a window total; only past the last page, where no row carries it, is it counted
 * on its own.
 */
export async function searchPage(this: typeof User, q: string, window: { limit: number; offset: number }): Promise<{ rows: UserListing[]; total: number }> {
  const pattern = q ? containsPattern(q) : null;
  const where = `WHERE $1::text IS NULL OR u.username ILIKE $1 ESCAPE '\\' OR u.email ILIKE $1 ESCAPE '\\'`;
  const found: (UserListing & { total: number })[] = await this.query(
    `SELECT ${LISTING}, count(*) OVER ()::int AS total FROM users u ${where} ORDER BY u.id DESC LIMIT $2 OFFSET $3`,
    [pattern, window.limit, window.offset],
  );
  let total = found[0]?.total ?? 0;
  if (!found.length && window.offset > 0) total = (await this.query(`SELECT count(*)::int AS n FROM users u ${where}`, [pattern]))[0].n;
  return { rows: found.map(({ total: _t, ...u }) => u), total };
}

/** One user with counts of what they own, in one statement; each count is a subquery on `u.id` that its feature supplies. */
export async function withCounts<K extends string>(this: typeof User, id: number, counts: Record<K, string>): Promise<(UserListing & { counts: Record<K, number> }) | null> {
  const select = Object.entries<string>(counts).map(([name, sql]) => `(${sql})::int AS "${name}"`);
  const [row] = await this.query(`SELECT ${LISTING}, ${select.join(", ")} FROM users u WHERE u.id = $1`, [id]);
  if (!row) return null;
  const user: UserListing = { id: row.id, username: row.username, email: row.email, isActive: row.isActive, isStaff: row.isStaff, createdAt: row.createdAt, lastLogin: row.lastLogin };
  return { ...user, counts: Object.fromEntries(Object.keys(counts).map((k) => [k, row[k]])) as Record<K, number> };
}
