// The user a session points at, looked up on every authenticated request: User.activeLookup (attached to the entity
// there, so it reads as the domain query it is). Kept apart from the account's other queries because it is the hot
// path: one prepared statement whose SQL is built once, rows hydrated by hand, and other features' counts riding along.
import { hydrate, sqlOnce } from "../db/hot-query";
import { Image } from "../gallery/image.entity";
import type { User } from "./user.entity";

/** User.activeLookup: the lookup by id, plus the same query as a subquery on an SQL expression and its row reader. */
export interface ActiveLookup {
  (id: number): Promise<User | null>;
  /** The lookup's SELECT with the id replaced by `idExpr`, to run inside another statement (the session read). */
  joinedOn(idExpr: string): string;
  /** The user in a row of that SELECT's columns, or null (no such active user). */
  fromRow(row: Record<string, unknown> | undefined): User | null;
}

/**
 * The lookup of the user a session points at, if still allowed in: it runs on every authenticated request, so it is
 * exactly one indexed statement. `extras` are scalar subqueries on the user's id (an SQL expression) that other
 * features ride along, each set on the user under its name as a number: the chat's unread total for the navbar
 * badge costs no statement of its own (app.ts composes it). A query builder rather than findOne({ relations }):
 * findOne adds a LIMIT, and TypeORM turns LIMIT + JOIN into two statements. Its SQL is built once per lookup
 * (src/db/hot-query.ts) and it is a prepared statement. `this` is User (called as User.activeLookup).
 */
export function activeLookup(this: typeof User, extras: Record<string, (userId: string) => string> = {}): ActiveLookup {
  const UserClass = this;
  const names = Object.keys(extras);
  const build = () => {
    const qb = UserClass.createQueryBuilder("u").leftJoinAndSelect("u.profilePicture", "pp");
    names.forEach((name, i) => qb.addSelect(extras[name]("u.id"), `extra_${i}`));
    return qb.where("u.id = :id AND u.isActive = true", { id: 0 });
  };
  // Prepared under a name per set of extras: one lookup is made per app, but each name must keep one text.
  const sql = sqlOnce(["user_active", ...names].join("_"), build);
  const fromRow = (row: Record<string, unknown> | undefined): User | null => {
    const user = row ? hydrate(UserClass, row, "u") : null;
    if (!user) return null;
    user.profilePicture = hydrate(Image, row!, "pp");
    // A number, or an array (an id list) as Postgres sent it.
    names.forEach((name, i) => {
      const value = row![`extra_${i}`];
      (user as unknown as Record<string, unknown>)[name] = Array.isArray(value) ? value : Number(value ?? 0);
    });
    return user;
  };
  const lookup = async (id: number) => fromRow(((await UserClass.query(sql(), [id])) as Record<string, unknown>[])[0]);
  return Object.assign(lookup, {
    fromRow,
    joinedOn: (idExpr: string) => {
      const [text] = build().getQueryAndParameters();
      if (text.split("$1").length !== 2) throw new Error("the user lookup must use its id parameter exactly once");
      return text.replace("$1", () => idExpr); // a function: "$'" in idExpr must stay text
    },
  });
}
