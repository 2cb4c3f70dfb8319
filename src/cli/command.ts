// What every management command shares: argument parsing with --help, one way to fail (message + exit
// code, no stack trace for expected errors) and opening the database the app itself would use.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { MigrationExecutor } from "typeorm";
import { ConfigError, loadConfig, type Config } from "../config";
import { connectDatabase, type Database } from "../db/connect";

/** An expected failure: printed as "Error: <message>" and exits with `code`. */
export class CommandError extends Error {
  constructor(message: string, public code = 1) {
    super(message);
  }
}

export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig["options"]>;

type Values<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string };

/**
 * Every command's arguments, through node's util.parseArgs: strict, `--help` prints the usage and exits 0, an unknown
 * option (or a positional, unless `positionals` says how many are wanted) prints the usage and exits 2.
 */
export function parseCommandArgs<O extends Options>(usage: string, options: O, argv = process.argv.slice(2)): Values<O> {
  return parseCommandLine(usage, options, { argv }).values;
}

/** parseCommandArgs for a command that also takes exactly `positionals` arguments (e.g. a name). */
export function parseCommandLine<O extends Options>(
  usage: string,
  options: O,
  { positionals = 0, argv = process.argv.slice(2) }: { positionals?: number; argv?: string[] } = {},
): { values: Values<O>; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: positionals > 0 });
  } catch (err) {
    throw new CommandError(`${(err as Error).message}\n\n${usage}`, EXIT_USAGE);
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (parsed.positionals.length !== positionals) throw new CommandError(usage, EXIT_USAGE);
  return { values: parsed.values as Values<O>, positionals: parsed.positionals };
}

/** The app's configuration, with a configuration error reported as such rather than as a crash. */
export function commandConfig(env?: Record<string, string | undefined>): Config {
  try {
    return env ? loadConfig(env) : loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(err.message);
    throw err;
  }
}

/** Where the data lives, for the user to see which database a command touched (never the password). */
export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `the embedded PostgreSQL in ${config.dataDir}`;
  try {
    const u = new URL(config.databaseUrl);
    return `database "${decodeURIComponent(u.pathname.slice(1))}" on ${u.hostname}${u.port ? `:${u.port}` : ""}`;
  } catch {
    return "the database in DATABASE_URL";
  }
}

/** Opens the database without migrating it; `requireMigrated` refuses to go on when migrations are pending. */
export async function openCommandDatabase(config: Config, { requireMigrated = true } = {}): Promise<Database> {
  let db: Database;
  try {
    db = await connectDatabase(config, { migrate: false, log: (m) => console.error(m) });
  } catch (err) {
    throw new CommandError(`Cannot connect to ${describeDatabase(config)}: ${(err as Error).message}`);
  }
  if (requireMigrated) {
    const pending = await pendingMigrations(db);
    if (pending.length) {
      await db.close();
      throw new CommandError(
        `${describeDatabase(config)} has ${pending.length} unapplied migration(s) (${pending.join(", ")}). Run \`npm run migrate\` first.`,
      );
    }
  }
  return db;
}

export async function pendingMigrations(db: Database): Promise<string[]> {
  const pending = await new MigrationExecutor(db.ds).getPendingMigrations();
  return pending.map((m) => m.name);
}

/** Runs a command's main function: expected errors print one line and set the exit code; anything else prints its stack. */
export function runCommand(main: () => Promise<number | void>): void {
  main()
    .then((code) => {
      process.exitCode = code ?? 0;
    })
    .catch((err) => {
      if (err instanceof CommandError) {
        console.error(`Error: ${err.message}`);
        process.exitCode = err.code;
      } else {
        console.error(err);
        process.exitCode = 1;
      }
    });
}
