// Management commands under test: each runs as a child process (`node bin/cli.js <command>`), as an operator would,
// against a database and a temp dir of the test file's own (cliSandbox).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { Client } from "pg";
import { createTestDatabase, type TestDatabase } from "./db";

export const ROOT = path.resolve(__dirname, "../..");

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `env` is the whole environment of the child (plus PATH and HOME), so nothing leaks in from the test runner.
 * `input` is written to stdin, which is then closed; `onStdout` may answer prompts as they appear instead.
 */
export function runCli(
  command: string,
  args: string[] = [],
  { env = {}, input, onStdout }: { env?: Record<string, string>; input?: string; onStdout?: (all: string, write: (s: string) => void) => void } = {},
): Promise<CommandResult> {
  const child = spawn(process.execPath, [path.join(ROOT, "bin/cli.js"), command, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    onStdout?.(stdout, (s) => child.stdin.write(s));
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  if (input !== undefined) child.stdin.end(input);
  else if (!onStdout) child.stdin.end();
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export interface CliSandbox {
  db: TestDatabase;
  /** A client on the sandbox's database, to set up rows and check what a command left. */
  sql: Client;
  tmp: string;
  /** A command's whole environment: this database, data and media under tmp, cheap bcrypt; `extra` overrides. */
  env(extra?: Record<string, string>): Record<string, string>;
}

/**
 * A migrated database (or, with `empty`, one with nothing in it) and a temp dir for this test file, made before its
 * tests and removed after them. The fields are filled in by the before hook.
 */
export function cliSandbox({ empty = false } = {}): CliSandbox {
  const box = {
    env(extra: Record<string, string> = {}) {
      return {
        NODE_ENV: "test", DATABASE_URL: box.db.url, BCRYPT_COST: "4",
        DATA_DIR: path.join(box.tmp, "data"), MEDIA_ROOT: path.join(box.tmp, "media"), ...extra,
      };
    },
  } as unknown as CliSandbox;
  before(async () => {
    box.db = await createTestDatabase();
    box.sql = new Client({ connectionString: box.db.url });
    await box.sql.connect();
    if (empty) await box.sql.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    box.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-cli-"));
  });
  after(async () => {
    await box.sql.end();
    await box.db.drop();
    fs.rmSync(box.tmp, { recursive: true, force: true });
  });
  return box;
}
