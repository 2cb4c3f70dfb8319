// npm run migration:generate -- <name>: writes migrations/<timestamp>-<name>.ts with the SQL that
// brings the database schema in line with the entities. Review it by hand before committing.
import fs from "node:fs";
import path from "node:path";
import { loadConfig } from "../config";
import { connectDatabase } from "../db/connect";
import { pendingSchemaChanges } from "../db/schema-diff";

async function main() {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.length !== 1 || !/^[a-z0-9-]+$/.test(args[0])) {
    console.log("Usage: npm run migration:generate -- <kebab-case-name>\n\nCompares the entities with the migrated database and writes the difference as a new migration.");
    process.exit(args.includes("--help") ? 0 : 2);
  }
  const db = await connectDatabase(loadConfig());
  try {
    const { up, down } = await pendingSchemaChanges(db.ds);
    if (up.length === 0) {
      console.log("No changes: the entities and the migrations agree.");
      return;
    }
    const stamp = Date.now();
    const className = args[0].replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()) + stamp;
    const q = (sql: string) => `    await queryRunner.query(${JSON.stringify(sql)});`;
    const body = `import type { MigrationInterface, QueryRunner } from "typeorm";

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
    const file = path.join("migrations", `${stamp}-${args[0]}.ts`);
    fs.writeFileSync(file, body);
    console.log(`Wrote ${file}; add it to migrations/index.ts after reviewing it.`);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
