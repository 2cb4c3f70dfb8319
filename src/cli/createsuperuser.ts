// npm run createsuperuser: creates a staff account, asking for what it needs (password hidden), or taking it
// from flags and HROMADA_SUPERUSER_* for scripts (--no-input). Same rules as the sign-up form.
import readline from "node:readline";
import input from "@inquirer/input";
import password from "@inquirer/password";
import { CLI_ACTORS } from "../admin/audit-labels";
import { AuditLog } from "../admin/audit-log.entity";
import { password as passwordSchema, profileSchema, signupSchema, PASSWORD_RULES, USERNAME_RULES } from "../auth/auth.schemas";
import { AuthService } from "../auth/auth.service";
import { User } from "../auth/user.entity";
import { passwordProblem } from "../auth/password-policy";
import { FieldError } from "../http/errors";
import { issueText } from "../http/validate";
import { translateMessage, translator } from "../i18n";
import { commandEnvironment } from "../config";
import type { DataSource } from "typeorm";
import type { z } from "zod";
import { CommandError, commandConfig, describeDatabase, EXIT_USAGE, openCommandDatabase, parseCommandArgs, runCommand } from "./command";

const USAGE = `Usage: npm run createsuperuser [-- options]

Creates a staff user, who can use the admin site at /admin. Without --no-input it asks for
whatever the options did not give (the password is not shown as you type).

Options:
  --username NAME   ${USERNAME_RULES}
  --email ADDRESS
  --password PASS   visible to other users of this machine (ps, shell history):
                    prefer HROMADA_SUPERUSER_PASSWORD
  --no-input        never ask; fail if something is missing (for scripts)
  --update          if the username exists, make that user staff (and active) instead of failing;
                    their email and password are left as they are
  -h, --help        show this help

Environment (used when the matching option is not given):
  HROMADA_SUPERUSER_USERNAME, HROMADA_SUPERUSER_EMAIL, HROMADA_SUPERUSER_PASSWORD`;

/**
 * Recorded in the audit log as the actor: there is no logged-in user on the command line. A stable code, never a
 * username (":" is not allowed in one); the admin site shows it in the reader's language (src/admin/audit-labels.ts).
 */
const CLI_ACTOR = { id: null, username: CLI_ACTORS.createsuperuser };

type Existing = Pick<User, "id" | "username" | "isStaff" | "isActive">;

/** Makes an existing user staff and active, with its audit entry, in one transaction. */
async function promote(ds: DataSource, user: Existing): Promise<string> {
  if (user.isStaff && user.isActive) return `${user.username} is already an active staff user: nothing to change.`;
  await ds.transaction(async (em) => {
    await em.update(User, { id: user.id }, { isStaff: true, isActive: true });
    await AuditLog.record(em, {
      actor: CLI_ACTOR, action: "user.grant_staff", targetType: "user", targetId: user.id,
      details: { username: user.username, reactivated: !user.isActive },
    });
  });
  return `${user.username} is now staff${user.isActive ? "" : " and active again"}.`;
}

async function create(ds: DataSource, auth: AuthService, input: { username: string; email: string; password: string }): Promise<string> {
  try {
    const user = await auth.signup(input, { isStaff: true, verified: true });
    await AuditLog.record(ds.manager, {
      actor: CLI_ACTOR, action: "user.create_superuser", targetType: "user", targetId: user.id, details: { username: user.username },
    });
    return `Superuser ${user.username} created.`;
  } catch (err) {
    if (err instanceof FieldError) throw new CommandError(`${err.field}: ${err.text(ENGLISH)}`);
    throw err;
  }
}

/** The command line speaks English; the schemas' and services' messages are translation keys. */
const ENGLISH = translator("en");

/** First zod message for a value, or null when it is fine. */
function problem(schema: z.ZodType, value: string) {
  const r = schema.safeParse(value);
  return r.success ? null : issueText(ENGLISH, r.error.issues[0]);
}

/** The password policy's objection in words, or null. */
function policyProblem(password: string, account: { username: string; email: string }): string | null {
  const m = passwordProblem(password, account);
  return m && translateMessage(ENGLISH, m.key, m.params);
}

interface Prompter {
  /** `label` without punctuation ("Password"); hidden answers are never echoed. */
  ask(label: string, options?: { hidden?: boolean }): Promise<string>;
  close(): void;
}

/** On a terminal: @inquirer's prompts, whose password prompt echoes nothing. Ctrl-C cancels. */
function terminalPrompter(): Prompter {
  return {
    async ask(label, { hidden = false } = {}) {
      try {
        return hidden ? await password({ message: `${label}:` }) : await input({ message: `${label}:` });
      } catch (err) {
        if ((err as Error).name !== "ExitPromptError") throw err;
        console.log("\nCancelled.");
        process.exit(130);
      }
    },
    close() {},
  };
}

/**
 * Piped input (a script, a test): answers are read line by line, and lines that arrive before a question is asked
 * are queued, so input piped in all at once is answered in order. Nothing is echoed, so nothing needs hiding.
 * (@inquirer reads a pipe ahead and would hand every line to its first prompt.)
 */
function linePrompter(stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout): Prompter {
  const rl = readline.createInterface({ input: stdin, terminal: false });
  const queue: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let closed = false;
  rl.on("line", (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queue.push(line);
  });
  rl.on("close", () => {
    closed = true;
    for (const w of waiting.splice(0)) w(null);
  });
  return {
    async ask(label) {
      stdout.write(`${label}: `);
      const line = queue.length ? queue.shift()! : closed ? null : await new Promise<string | null>((r) => waiting.push(r));
      stdout.write("\n");
      if (line === null) throw new CommandError("Input ended before all questions were answered.");
      return line;
    },
    close: () => rl.close(),
  };
}

async function interactive(
  ds: DataSource,
  auth: AuthService,
  given: { username?: string; email?: string; password?: string },
  update: boolean,
): Promise<string> {
  const p = process.stdin.isTTY && process.stdout.isTTY ? terminalPrompter() : linePrompter();
  try {
    let username = given.username;
    for (;;) {
      if (username === undefined) username = (await p.ask("Username")).trim();
      const bad = problem(profileSchema.shape.username, username);
      if (bad) {
        console.error(`  ${bad} (${USERNAME_RULES})`);
        username = undefined;
        continue;
      }
      const existing = await User.findByUsername(username);
      if (existing && update) return await promote(ds, existing);
      if (existing) {
        console.error(`  That username is taken. (Run with --update to make ${existing.username} staff instead.)`);
        username = undefined;
        continue;
      }
      break;
    }
    let email = given.email;
    for (;;) {
      if (email === undefined) email = (await p.ask("Email")).trim();
      const bad = problem(profileSchema.shape.email, email) ?? ((await User.emailTaken(email)) ? "An account with that email already exists." : null);
      if (!bad) break;
      console.error(`  ${bad}`);
      email = undefined;
    }
    let password = given.password;
    for (;;) {
      if (password === undefined) {
        password = await p.ask("Password", { hidden: true });
        const bad = problem(passwordSchema, password) ?? policyProblem(password, { username, email: email! });
        if (bad) {
          console.error(`  ${bad} (${PASSWORD_RULES})`);
          password = undefined;
          continue;
        }
        const again = await p.ask("Password (again)", { hidden: true });
        if (again !== password) {
          console.error("  The passwords do not match.");
          password = undefined;
          continue;
        }
      } else {
        const bad = problem(passwordSchema, password) ?? policyProblem(password, { username, email: email! });
        if (bad) throw new CommandError(`password: ${bad}`);
      }
      break;
    }
    return await create(ds, auth, { username, email: email!, password });
  } finally {
    p.close();
  }
}

async function nonInteractive(ds: DataSource, auth: AuthService, given: { username?: string; email?: string; password?: string }, update: boolean) {
  if (!given.username) {
    throw new CommandError("--no-input needs a username: --username or HROMADA_SUPERUSER_USERNAME.", EXIT_USAGE);
  }
  const existing = await User.findByUsername(given.username.trim());
  if (existing && update) return promote(ds, existing);
  if (existing) {
    throw new CommandError(`A user named ${existing.username} already exists. Use --update to make them staff, or choose another username.`);
  }
  const missing = (["email", "password"] as const).filter((k) => !given[k]);
  if (missing.length) {
    const how = missing.map((k) => `--${k} or HROMADA_SUPERUSER_${k.toUpperCase()}`).join("; ");
    throw new CommandError(`--no-input needs ${missing.join(" and ")}: ${how}.`, EXIT_USAGE);
  }
  const form = signupSchema.safeParse({ ...given, password_confirm: given.password });
  if (!form.success) {
    const lines = form.error.issues.map((i) => `  ${String(i.path[0])}: ${issueText(ENGLISH, i)}`);
    throw new CommandError(`Invalid superuser details:\n${lines.join("\n")}`);
  }
  return create(ds, auth, form.data);
}

runCommand(async () => {
  const args = parseCommandArgs(USAGE, {
    username: { type: "string" },
    email: { type: "string" },
    password: { type: "string" },
    "no-input": { type: "boolean" },
    update: { type: "boolean" },
  });
  const env = commandEnvironment();
  const given = {
    username: args.username ?? env.HROMADA_SUPERUSER_USERNAME,
    email: args.email ?? env.HROMADA_SUPERUSER_EMAIL,
    password: args.password ?? env.HROMADA_SUPERUSER_PASSWORD,
  };
  if (args.password !== undefined) {
    console.error("Warning: --password can be seen by other users of this machine; prefer HROMADA_SUPERUSER_PASSWORD.");
  }
  const config = commandConfig(env);
  const db = await openCommandDatabase(config);
  try {
    const auth = new AuthService(db.ds, config.bcryptCost);
    const done = args["no-input"]
      ? await nonInteractive(db.ds, auth, given, Boolean(args.update))
      : await interactive(db.ds, auth, given, Boolean(args.update));
    console.log(`${done} (${describeDatabase(config)})`);
    return 0;
  } finally {
    await db.close();
  }
});
