// People as the directory shows them (/people, /people/:username): active accounts by name, with their avatar
// thumbnail and nothing private. Attached to User (User.searchActive, User.findActiveByName: `this` is User).
import { escapeLike } from "../db/sql";
import type { User } from "./user.entity";

/** A user as the people directory shows them. */
export interface PersonRow {
  id: number;
  username: string;
  created_at: Date;
  thumb_path: string | null;
}

/**
 * Active users whose name contains `q` (any letter case), names starting with it first, with their avatar
 * thumbnail: the people directory.
 */
export function searchActive(this: typeof User, q: string, window: { limit: number; offset: number }): Promise<PersonRow[]> {
  return this.query(
    `SELECT u.id, u.username, u.created_at, i.thumb_path
       FROM users u LEFT JOIN images i ON i.id = u.profile_picture_id
      WHERE u.is_active AND u.username ILIKE '%' || $1 || '%' ESCAPE '\\'
      ORDER BY (u.username ILIKE $1 || '%' ESCAPE '\\') DESC, lower(u.username), u.id
      LIMIT $2 OFFSET $3`,
    [escapeLike(q), window.limit, window.offset],
  );
}

/** An active user by username (any letter case), with their avatar thumbnail. */
export async function findActiveByName(this: typeof User, username: string): Promise<PersonRow | null> {
  const [row] = await this.query(
    `SELECT u.id, u.username, u.created_at, i.thumb_path
       FROM users u LEFT JOIN images i ON i.id = u.profile_picture_id
      WHERE lower(u.username) = lower($1) AND u.is_active`,
    [username],
  );
  return row ?? null;
}
