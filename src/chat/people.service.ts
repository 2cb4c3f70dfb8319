// The people directory: find someone to talk to by username, and their public profile.
import { User, type PersonRow } from "../auth/user.entity";
import { paged, pageWindow } from "../http/pagination";
import { Chat } from "./chat.entity";

const PEOPLE_PER_PAGE = 24;

export interface Person {
  id: number;
  username: string;
  /** Shown in the reader's language and zone by the templates' `day` filter. */
  joinedAt: Date;
  profilePicture: { thumbPath: string } | null;
}

const toPerson = (r: PersonRow): Person => ({
  id: r.id,
  username: r.username,
  joinedAt: r.created_at,
  profilePicture: r.thumb_path ? { thumbPath: r.thumb_path } : null,
});

/** What the member picker is told of someone: what the directory shows of them. */
export interface Suggestion {
  username: string;
  /** The avatar's thumbnail, served at /media/<thumbPath> (authorized per request), or null for initials. */
  thumbPath: string | null;
}

export const SUGGESTIONS = 8;

export class PeopleService {
  /** Up to SUGGESTIONS active people whose name contains `q`, prefix matches first, the asker left out. */
  async suggest(q: string, viewerId: number): Promise<Suggestion[]> {
    if (!q) return [];
    const rows = await User.searchActive(q, { limit: SUGGESTIONS + 1, offset: 0 });
    return rows
      .filter((r) => r.id !== viewerId)
      .slice(0, SUGGESTIONS)
      .map((r) => ({ username: r.username, thumbPath: r.thumb_path }));
  }

  /** Active users whose name contains `q` (any letter case), names starting with it first. */
  async search(q: string, page: number): Promise<{ people: Person[]; hasMore: boolean }> {
    const { items, hasNext } = paged(await User.searchActive(q, pageWindow(page, PEOPLE_PER_PAGE)), page, PEOPLE_PER_PAGE);
    return { people: items.map(toPerson), hasMore: hasNext };
  }

  /** An active user by username (any letter case), with the id of the direct chat `viewerId` has with them, if any. */
  async profile(username: string, viewerId: number): Promise<{ person: Person; directChatId: number | null } | null> {
    const row = await User.findActiveByName(username);
    if (!row) return null;
    return { person: toPerson(row), directChatId: await Chat.directIdOf(viewerId, row.id) };
  }
}
