// npm run migration:generate -- <name>: writes migrations/<timestamp>-<name>.ts with the SQL that brings the
// database schema in line with the entities. Review it by hand, then list it in migrations/index.ts.
import fs from "node:fs";
import path from "node:path";
import { connectDatabase } from "../db/connect";
import { pendingSchemaChanges } from "../db/schema-diff";
import { CommandError, commandConfig, EXIT_USAGE, parseCommandLine, runCommand } from "./command";

const USAGE = `Usage: npm run migration:generate -- <kebab-case-name> [--dir migrations]

Compares the entities with the migrated database and writes the difference as a new migration
file. Prints "No changes" (and writes nothing) when the entities and the migrations agree.`;

function migrationSource(className: string, up: string[], down: string[]): string {
  const q = (sql: string) => `    await queryRunner.query(${JSON.stringify(sql)});`;
  return `import type { MigrationInterface, QueryRunner } from "typeorm";

export class ${className} implements MigrationInterface {
  name = "${className}";

  async up(queryRunner: QueryRunner): Promise<void> {
${up.map(q).join("\n")}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${down.map(q).join("\n")}
  }
}
`;
}

runCommand(async () => {
  const { values, positionals } = parseCommandLine(USAGE, { dir: { type: "string", default: "migrations" } }, { positionals: 1 });
  const [name] = positionals;
  if (!/^[a-z0-9-]+$/.test(name)) throw new CommandError(USAGE, EXIT_USAGE);
  const db = await connectDatabase(commandConfig());
  try {
    const { up, down } = await pendingSchemaChanges(db.ds);
    if (up.length === 0) {
      console.log("No changes: the entities and the migrations agree.");
      return 0;
    }
    const stamp = Date.now();
    const className = name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()) + stamp;
    fs.mkdirSync(values.dir!, { recursive: true });
    const file = path.join(values.dir!, `${stamp}-${name}.ts`);
    fs.writeFileSync(file, migrationSource(className, up, down));
    console.log(`Wrote ${file} (${up.length} statements). Review it, then add it to migrations/index.ts.`);
    return 0;
  } finally {
    await db.close();
  }
});
