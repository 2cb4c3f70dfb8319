// Runs a management command as a child process (`node bin/cli.js <command>`), as an operator would.
import { spawn } from "node:child_process";
import path from "node:path";

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
