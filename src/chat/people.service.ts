// The people directory: find someone to talk to by username, and their public profile.
import type { Pool } from "pg";

export const PEOPLE_PER_PAGE = 24;

export interface Person {
  id: number;
  username: string;
  joinedAt: Date;
  /** "3 Mar 2026" */
  joined: string;
  profilePicture: { thumbPath: string } | null;
}

interface PersonRow {
  id: number;
  username: string;
  created_at: Date;
  thumb_path: string | null;
}

const dayFmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

const toPerson = (r: PersonRow): Person => ({
  id: r.id,
  username: r.username,
  joinedAt: r.created_at,
  joined: dayFmt.format(r.created_at),
  profilePicture: r.thumb_path ? { thumbPath: r.thumb_path } : null,
});

/** `\`, `%` and `_` typed by a user are matched literally, not as LIKE wildcards. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, "\\$&");

export class PeopleService {
  constructor(private pool: Pool) {}

  /** Active users whose name contains `q` (any letter case), names starting with it first. */
  async search(q: string, page: number): Promise<{ people: Person[]; hasMore: boolean }> {
    const pattern = escapeLike(q);
    const { rows } = await this.pool.query<PersonRow>(
      `SELECT u.id, u.username, u.created_at, i.thumb_path
         FROM users u LEFT JOIN images i ON i.id = u.profile_picture_id
        WHERE u.is_active AND u.username ILIKE '%' || $1 || '%' ESCAPE '\\'
        ORDER BY (u.username ILIKE $1 || '%' ESCAPE '\\') DESC, lower(u.username), u.id
        LIMIT $2 OFFSET $3`,
      [pattern, PEOPLE_PER_PAGE + 1, (page - 1) * PEOPLE_PER_PAGE],
    );
    return { people: rows.slice(0, PEOPLE_PER_PAGE).map(toPerson), hasMore: rows.length > PEOPLE_PER_PAGE };
  }

  /** An active user by username (any letter case), with the id of the direct chat `viewerId` has with them, if any. */
  async profile(username: string, viewerId: number): Promise<{ person: Person; directChatId: number | null } | null> {
    const { rows } = await this.pool.query<PersonRow & { direct_chat_id: number | null }>(
      `SELECT u.id, u.username, u.created_at, i.thumb_path,
              (SELECT c.id FROM chats c
                WHERE c.direct_key = least(u.id, $2::int) || ':' || greatest(u.id, $2::int)
                  AND EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = c.id AND cm.user_id = $2)) AS direct_chat_id
         FROM users u LEFT JOIN images i ON i.id = u.profile_picture_id
        WHERE lower(u.username) = lower($1) AND u.is_active`,
      [username, viewerId],
    );
    return rows[0] ? { person: toPerson(rows[0]), directChatId: rows[0].direct_chat_id } : null;
  }
}
