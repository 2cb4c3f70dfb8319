// Named (prepared) statements for the per-request SQL: the session read, the user lookup, the home page's notes.
// Sent unnamed, Postgres parses and plans each of them again on every request, and planning was most of their
// cost (the user lookup: 149 of 165 µs per call, issue #21). A named statement is parsed once per connection and,
// after five executions, runs on a generic plan that is not planned again. TypeORM and connect-pg-simple both send
// SQL text, so the pool's client class names the statements it knows: whoever registered a text gets it prepared
// wherever it is sent from, and every other statement goes out as before.
import { Client, type ClientConfig } from "pg";

const nameOf = new Map<string, string>();
const textOf = new Map<string, string>();

/**
 * Registers `sql` to be sent as the named statement `name` on every connection of the app's pool, and returns it.
 * Only for a fixed, bounded set of texts: each is kept prepared on every pooled connection for its lifetime.
 */
export function prepared(name: string, sql: string): string {
  const known = textOf.get(name);
  if (known !== undefined && known !== sql) throw new Error(`prepared statement ${name} is already registered with other SQL`);
  const other = nameOf.get(sql);
  if (other !== undefined && other !== name) throw new Error(`this SQL is already prepared as ${other}, not ${name}`);
  textOf.set(name, sql);
  nameOf.set(sql, name);
  return sql;
}

/** The registered statements, name to SQL (the test that holds the hot path to them reads it). */
export function preparedStatements(): ReadonlyMap<string, string> {
  return textOf;
}

type QueryArgs = [unknown, unknown?, unknown?];

/**
 * pg's Client with registered texts sent as named statements. Given to the pool as its `Client` (data-source.ts),
 * so TypeORM's query runners and connect-pg-simple (which takes the same pool) both go through it.
 */
export class PreparingClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
  }

  // @ts-expect-error pg's overloads cannot be restated one by one; this forwards whatever it was given.
  override query(...args: QueryArgs) {
    const [text, values, callback] = args;
    if (typeof text === "string") {
      const name = nameOf.get(text);
      // @ts-expect-error see above
      if (name !== undefined) return super.query({ name, text }, values, callback);
    }
    // @ts-expect-error see above
    return super.query(...args);
  }
}
