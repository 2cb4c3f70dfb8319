import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { stripVTControlCharacters } from "node:util";
import bcrypt from "bcrypt";
import { Client } from "pg";
import { migrations } from "../../migrations";
import { createTestDatabase } from "../helpers/db";
import { cliSandbox, runCli } from "../helpers/cli";

const box = cliSandbox();
const env = (extra: Record<string, string> = {}) => box.env(extra);
const createsuperuser = (args: string[], opts: Parameters<typeof runCli>[2] = {}) =>
  runCli("createsuperuser", args, { ...opts, env: env(opts.env) });

interface UserRow { id: number; username: string; email: string; password_hash: string; is_staff: boolean; is_active: boolean; gallery_id: number }
const userNamed = async (username: string) =>
  (await box.sql.query<UserRow>("SELECT * FROM users WHERE username = $1", [username])).rows[0];
const userCount = async () => Number((await box.sql.query("SELECT count(*) AS n FROM users")).rows[0].n);

let n = 0;
const fresh = () => {
  n += 1;
  return { username: `boss${n}`, email: `boss${n}@example.test`, password: `a long password ${n}` };
};

describe("createsuperuser --no-input", () => {
  it("prints its help and exits 0, touching nothing", async () => {
    const before = await userCount();
    const r = await createsuperuser(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: npm run createsuperuser/);
    assert.match(r.stdout, /--no-input/);
    assert.match(r.stdout, /HROMADA_SUPERUSER_PASSWORD/);
    assert.equal(await userCount(), before);
  });

  it("creates an active staff user with a bcrypt hash and a gallery from flags, audited", async () => {
    const c = fresh();
    const r = await createsuperuser(["--no-input", "--username", c.username, `--email=${c.email}`, "--password", c.password]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Superuser ${c.username} created`));
    assert.match(r.stderr, /--password can be seen by other users/);
    const u = await userNamed(c.username);
    assert.ok(u);
    assert.equal(u.email, c.email);
    assert.equal(u.is_staff, true);
    assert.equal(u.is_active, true);
    assert.match(u.password_hash, /^\$2[aby]\$04\$/);
    assert.ok(await bcrypt.compare(c.password, u.password_hash));
    assert.equal((await box.sql.query("SELECT 1 FROM galleries WHERE id = $1", [u.gallery_id])).rowCount, 1);
    const audit = (await box.sql.query("SELECT * FROM audit_logs WHERE target_id = $1 AND action = 'user.create_superuser'", [String(u.id)])).rows;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor_id, null);
    assert.equal(audit[0].actor_username, "cli:createsuperuser", "a stable code the admin site translates, not English text");
  });

  it("takes the details from HROMADA_SUPERUSER_* (no warning about the password)", async () => {
    const c = fresh();
    const r = await createsuperuser(["--no-input"], {
      env: { HROMADA_SUPERUSER_USERNAME: c.username, HROMADA_SUPERUSER_EMAIL: c.email, HROMADA_SUPERUSER_PASSWORD: c.password },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /--password/);
    assert.ok(!r.stdout.includes(c.password) && !r.stderr.includes(c.password), "the password is never printed");
    const u = await userNamed(c.username);
    assert.equal(u.is_staff, true);
    assert.ok(await bcrypt.compare(c.password, u.password_hash));
  });

  it("exits 2 naming what is missing, creating nothing", async () => {
    const before = await userCount();
    let r = await createsuperuser(["--no-input", "--username", "someone_new"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--no-input needs email and password: --email or HROMADA_SUPERUSER_EMAIL; --password or HROMADA_SUPERUSER_PASSWORD/);
    r = await createsuperuser(["--no-input"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs a username/);
    r = await createsuperuser(["--no-input", "--bogus"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown option '--bogus'/);
    assert.match(r.stderr, /Usage:/);
    assert.equal(await userCount(), before);
  });

  it("applies the sign-up rules and exits 1 listing every problem", async () => {
    const before = await userCount();
    const r = await createsuperuser(["--no-input", "--username", "x!", "--email", "not-an-email"], { env: { HROMADA_SUPERUSER_PASSWORD: "short" } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /username: Username must be at least 3 characters/);
    assert.match(r.stderr, /email: Enter a valid email address/);
    assert.match(r.stderr, /password: Password must be at least 8 characters/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace for a user error");
    const long = await createsuperuser(["--no-input", "--username", "longpass", "--email", "lp@example.test"], { env: { HROMADA_SUPERUSER_PASSWORD: "x".repeat(73) } });
    assert.equal(long.code, 1);
    assert.match(long.stderr, /at most 72 bytes/);
    assert.equal(await userCount(), before);
  });

  it("refuses an existing username (any case) or email with a clear message", async () => {
    const c = fresh();
    assert.equal((await createsuperuser(["--no-input", "--username", c.username, "--email", c.email], { env: { HROMADA_SUPERUSER_PASSWORD: c.password } })).code, 0);
    const before = await userCount();
    let r = await createsuperuser(["--no-input", "--username", c.username.toUpperCase(), "--email", "other@example.test"], { env: { HROMADA_SUPERUSER_PASSWORD: c.password } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`A user named ${c.username} already exists. Use --update`));
    r = await createsuperuser(["--no-input", "--username", "different_name", "--email", c.email.toUpperCase()], { env: { HROMADA_SUPERUSER_PASSWORD: c.password } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /email: An account with that email already exists/);
    assert.equal(await userCount(), before);
  });

  it("--update makes an existing user staff and active again, leaving their password alone", async () => {
    const c = fresh();
    await createsuperuser(["--no-input", "--username", c.username, "--email", c.email], { env: { HROMADA_SUPERUSER_PASSWORD: c.password } });
    await box.sql.query("UPDATE users SET is_staff = false, is_active = false WHERE username = $1", [c.username]);
    const hashBefore = (await userNamed(c.username)).password_hash;
    const r = await createsuperuser(["--no-input", "--update", "--username", c.username], { env: { HROMADA_SUPERUSER_PASSWORD: "a different password" } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${c.username} is now staff and active again`));
    const u = await userNamed(c.username);
    assert.equal(u.is_staff, true);
    assert.equal(u.is_active, true);
    assert.equal(u.password_hash, hashBefore);
    const [entry] = (await box.sql.query("SELECT * FROM audit_logs WHERE target_id = $1 ORDER BY id DESC LIMIT 1", [String(u.id)])).rows;
    assert.equal(entry.action, "user.grant_staff");
    assert.deepEqual(entry.details, { username: c.username, reactivated: true });
    const again = await createsuperuser(["--no-input", "--update", "--username", c.username]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already an active staff user/);
  });
});

describe("createsuperuser, interactive", () => {
  it("asks again after each bad answer, hides nothing it should not print, and creates the user", async () => {
    const taken = fresh();
    await createsuperuser(["--no-input", "--username", taken.username, "--email", taken.email], { env: { HROMADA_SUPERUSER_PASSWORD: taken.password } });
    const c = fresh();
    const answers = [
      "ab", // too short
      taken.username, // taken
      c.username,
      "not-an-email",
      taken.email, // taken
      c.email,
      "short", // too short: asked again
      c.password, "not the same", // mismatch: asked again
      c.password, c.password,
    ];
    const r = await createsuperuser([], { input: answers.join("\n") + "\n" });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout.match(/Username: /g) ?? []).length, 3);
    assert.equal((r.stdout.match(/Email: /g) ?? []).length, 3);
    assert.equal((r.stdout.match(/Password: /g) ?? []).length, 3);
    assert.equal((r.stdout.match(/Password \(again\): /g) ?? []).length, 2);
    assert.match(r.stderr, /Username must be at least 3 characters/);
    assert.match(r.stderr, /That username is taken/);
    assert.match(r.stderr, /Enter a valid email address/);
    assert.match(r.stderr, /An account with that email already exists/);
    assert.match(r.stderr, /Password must be at least 8 characters/);
    assert.match(r.stderr, /The passwords do not match/);
    assert.ok(!r.stdout.includes(c.password) && !r.stderr.includes(c.password), "the password is never printed");
    const u = await userNamed(c.username);
    assert.equal(u.is_staff, true);
    assert.equal(u.email, c.email);
    assert.ok(await bcrypt.compare(c.password, u.password_hash));
  });

  it("answers prompts as they come, skipping those given as options", async () => {
    const c = fresh();
    const r = await createsuperuser(["--username", c.username], {
      onStdout: (all, write) => {
        if (all.endsWith("Email: ")) write(`${c.email}\n`);
        else if (all.endsWith("Password: ")) write(`${c.password}\n`);
        else if (all.endsWith("Password (again): ")) write(`${c.password}\n`);
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Username: /);
    assert.equal((await userNamed(c.username)).is_staff, true);
  });

  it("fails cleanly when the input ends early, creating nothing", async () => {
    const before = await userCount();
    const r = await createsuperuser([], { input: "halfway_user\n" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Input ended before all questions were answered/);
    assert.equal(await userCount(), before);
  });

  it("hides the password on a real terminal", { skip: !fs.existsSync("/usr/bin/script") && "needs script(1) for a pty" }, async () => {
    const c = fresh();
    const shellEnv = Object.entries(env()).map(([k, v]) => `${k}='${v}'`).join(" ");
    const cmd = `env ${shellEnv} ${process.execPath} bin/cli.js createsuperuser --username ${c.username} --email ${c.email}`;
    // script(1) gives the command a pseudo-terminal: the terminal would echo typed characters unless the command hides them.
    const { spawn } = await import("node:child_process");
    const child = spawn("script", ["-qfec", cmd, "/dev/null"], { cwd: path.resolve(__dirname, "../.."), stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let typed = 0;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      // The prompts redraw themselves with ANSI codes: answer each once it has appeared.
      const text = stripVTControlCharacters(out);
      const next = ["Password:", "Password (again):"][typed];
      if (next && text.includes(next)) {
        typed++;
        child.stdin.write(`${c.password}\r`);
      }
    });
    child.stderr.resume();
    const code = await new Promise((resolve) => child.once("close", resolve));
    assert.equal(code, 0, out);
    assert.match(stripVTControlCharacters(out), /Password \(again\):/);
    assert.match(out, /Superuser .* created/);
    assert.ok(!out.includes(c.password), `the password was echoed: ${JSON.stringify(out)}`);
    assert.equal((await userNamed(c.username)).is_staff, true);
  });
});

describe("createsuperuser against an unmigrated database", () => {
  it("says to run the migrations first, and creates nothing", async () => {
    const empty = await createTestDatabase();
    const c = new Client({ connectionString: empty.url });
    await c.connect();
    try {
      await c.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
      const r = await runCli("createsuperuser", ["--no-input", "--username", "early", "--email", "e@example.test"], {
        env: { ...env({ DATABASE_URL: empty.url }), HROMADA_SUPERUSER_PASSWORD: "long enough pass" },
      });
      assert.equal(r.code, 1);
      const names = migrations.map((m) => (m as unknown as { name: string }).name).join(", ");
      assert.ok(r.stderr.includes(`has ${migrations.length} unapplied migration(s) (${names}). Run \`npm run migrate\` first.`), r.stderr);
      const tables = await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      assert.equal(tables.rowCount, 0, "nothing was created");
    } finally {
      await c.end();
      await empty.drop();
    }
  });
});
