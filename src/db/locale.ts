// Whether a database treats non-ASCII text as text: lower(), ILIKE and full-text search must fold "Олена" to
// "олена", or logins, people search and note search silently miss Ukrainian names. A database's locale is fixed
// when it is created (from template1, or from the environment of whoever ran initdb), so a server set up in an
// environment without LANG (Docker, cron, systemd, CI) gets "C", where Postgres leaves Cyrillic letters alone.
import { Client, type ClientBase, type Pool } from "pg";

type Queryable = Pick<ClientBase | Pool, "query">;

/**
 * What the app relies on, each tried for real rather than inferred from the locale's name: lower() (unique
 * usernames, logins), ILIKE (people search, short note searches) and the 'simple' full-text parser's folding
 * (note search; on PostgreSQL 15 an ICU database with LC_CTYPE=C folds in lower() but not here).
 */
const PROBE = `
  SELECT lower('ҐЄЇ') = 'ґєї' AS lower,
         'ҐЄЇ' ILIKE 'ґєї' AS ilike,
         to_tsvector('simple', 'ҐЄЇ') @@ to_tsquery('simple', 'ґєї') AS fulltext,
         current_database() AS database,
         current_setting('server_version_num')::int AS version,
         (SELECT to_jsonb(d) FROM pg_database d WHERE d.datname = current_database()) AS db`;

export interface UnicodeCheck {
  ok: boolean;
  /** The operations that do not fold case (lower, ilike, fulltext). */
  failing: string[];
  database: string;
  serverVersion: number;
  /** e.g. `libc "C"` or `builtin "C.UTF-8"`. */
  locale: string;
}

const PROVIDERS: Record<string, string> = { b: "builtin", c: "libc", i: "icu" };

export async function checkUnicode(db: Queryable): Promise<UnicodeCheck> {
  const { rows } = await db.query(PROBE);
  const r = rows[0];
  const failing = (["lower", "ilike", "fulltext"] as const).filter((k) => !r[k]);
  // pg_database's columns differ by version (daticulocale until 16, datlocale from 17): read whichever is there.
  const d = r.db as Record<string, string | null>;
  const provider = PROVIDERS[d.datlocprovider ?? "c"] ?? String(d.datlocprovider);
  const name = provider === "libc" ? d.datctype : (d.datlocale ?? d.daticulocale ?? d.datctype);
  return { ok: failing.length === 0, failing, database: r.database, serverVersion: Number(r.version), locale: `${provider} "${name}"` };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The CREATE DATABASE clauses that give a Unicode-aware database on a server of this version, best first.
 * PostgreSQL 17+ has the builtin provider's C.UTF-8: Unicode case mapping with code-point order, built into the
 * server, so it needs no OS locale and its behaviour cannot change under the database when the OS or ICU
 * library is upgraded. Older servers need an OS locale (C.UTF-8 exists on glibc 2.35+, en_US.UTF-8 nearly
 * everywhere else).
 */
export function unicodeLocaleClauses(serverVersion: number): string[] {
  const libc = ["LOCALE 'C.UTF-8'", "LOCALE 'en_US.UTF-8'"];
  const builtin = "LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8' LOCALE 'C'";
  return serverVersion >= 170000 ? [builtin, ...libc] : libc;
}

/** The statement that creates `name` as a Unicode-aware database: what the error messages tell an operator to run. */
export function createUnicodeDatabaseSql(name: string, serverVersion: number, clause = unicodeLocaleClauses(serverVersion)[0]): string {
  return `CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING 'UTF8' ${clause}`;
}

/** `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** checkUnicode on the database at `url`, through a connection of its own. */
export function checkUnicodeAt(url: string) {
  return withClient(url, checkUnicode);
}

/**
 * Creates a database that folds non-ASCII case, whatever template1 was made with, through the server at
 * `adminUrl`: a plain CREATE DATABASE when template1 is already Unicode-aware (so the server's own choice, e.g.
 * a linguistic ICU locale, is kept), otherwise from template0 with the first locale in unicodeLocaleClauses()
 * that this server accepts and that really folds.
 */
export async function createUnicodeDatabase(adminUrl: string, name: string): Promise<void> {
  const check = () => checkUnicodeAt(withDatabase(adminUrl, name));
  await withClient(adminUrl, async (admin) => {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    let result = await check();
    if (result.ok) return;
    const tried: string[] = [];
    for (const clause of unicodeLocaleClauses(result.serverVersion)) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      try {
        await admin.query(createUnicodeDatabaseSql(name, result.serverVersion, clause));
      } catch (err) {
        tried.push(`${clause}: ${(err as Error).message}`); // e.g. the OS has no such locale
        continue;
      }
      result = await check();
      if (result.ok) return;
      tried.push(`${clause}: ${result.failing.join(", ")} still ignore case`);
    }
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
    throw new Error(`cannot create a Unicode-aware database "${name}" on this PostgreSQL server (${tried.join("; ")})`);
  });
}

const OPERATIONS: Record<string, string> = { lower: "lower()", ilike: "ILIKE", fulltext: "full-text search" };

/** One message for an operator: what is wrong, what it breaks, and the SQL that fixes it. */
export function unicodeProblemMessage(check: UnicodeCheck, { embeddedDir }: { embeddedDir?: string } = {}): string {
  const names = check.failing.map((f) => OPERATIONS[f]);
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0];
  const what = `${list} ignore${names.length === 1 ? "s" : ""} case for non-ASCII text`;
  const effect = "case-insensitive logins, people search and note search will miss Cyrillic (and other non-Latin) text";
  if (embeddedDir) {
    return (
      `The embedded PostgreSQL data directory ${embeddedDir} was created with the ${check.locale} locale ` +
      `(by an earlier version, started without LANG), so ${what}: ${effect}. ` +
      `Fix: stop the app and move ${embeddedDir} aside (or delete it if its data does not matter); the next start creates ` +
      `a cluster with the builtin C.UTF-8 locale. To keep the data, dump it first with a PostgreSQL 18 pg_dump ` +
      `(pg_dump -Fc -f hromada.dump <url of database "${check.database}">) and restore it into the new cluster with pg_restore ` +
      `(usernames that differ only in non-ASCII case now collide and must be renamed first).`
    );
  }
  return (
    `Database "${check.database}" uses the ${check.locale} locale, so ${what}: ${effect}. ` +
    `Fix: create a database with a UTF-8 locale (${createUnicodeDatabaseSql(`${check.database}_utf8`, check.serverVersion)}` +
    (check.serverVersion >= 170000 ? "" : "; the locale must exist on the database server, see `locale -a`") +
    `), copy the data into it (pg_dump -Fc, then pg_restore; usernames that differ only in non-ASCII case now collide ` +
    `and must be renamed first), and point DATABASE_URL at it.`
  );
}
