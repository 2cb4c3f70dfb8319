// Unicode-aware databases whatever the environment says (issue #14, item 1): the embedded cluster is created
// with a Unicode locale even with no LANG at all, and a database that does not fold non-ASCII case (an external
// one, or an embedded data directory made by an earlier version) is reported at start with the fix.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "pg";
import { loadConfig } from "../../src/config";
import { connectDatabase } from "../../src/db/connect";
import { freePort, loadEmbeddedPostgres } from "../../src/db/embedded";
import { checkUnicodeAt, createUnicodeDatabase, createUnicodeDatabaseSql, withDatabase } from "../../src/db/locale";
import { query, startServerProcess } from "../production/server-process";

const root = path.resolve(__dirname, "../..");
const adminUrl = process.env.TEST_ADMIN_URL ?? process.env.DATABASE_URL!;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-locale-"));
const tag = `hromada_t_loc${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
const created: string[] = [];

/** A database made the way a server without LANG makes one: the C locale. */
async function createCDatabase(name: string): Promise<string> {
  created.push(name);
  await query(adminUrl, `CREATE DATABASE "${name}" TEMPLATE template0 LOCALE 'C'`);
  return withDatabase(adminUrl, name);
}

after(async () => {
  for (const name of created) await query(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the embedded cluster", () => {
  it("folds Cyrillic case in every database even when started with no locale in the environment", { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "emptied-env-"));
    // What `env -i` gives: no LANG, no LC_*. LC_ALL=C on top, so not even a default could make it UTF-8.
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "embedded-probe.ts"), dir], {
      cwd: root,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    assert.equal(code, 0, out);
    const result = JSON.parse(out.trim().split("\n").at(-1)!);
    for (const db of ["admin", "app", "plain"]) {
      assert.deepEqual(result[db].failing, [], `${db}: ${JSON.stringify(result[db])}`);
      assert.equal(result[db].locale, 'builtin "C.UTF-8"', db);
    }
    assert.equal(fs.existsSync(dir), false, "the throwaway cluster was removed");
  });
});

describe("a database that does not fold non-ASCII case", () => {
  it("is reported by connectDatabase with the SQL that fixes it, and the SQL really does", async () => {
    const name = `${tag}_c`;
    const url = await createCDatabase(name);
    const db = await connectDatabase(loadConfig({ DATABASE_URL: url, LOG_LEVEL: "silent" }));
    try {
      assert.ok(db.localeProblem, "a problem was found");
      assert.match(db.localeProblem, new RegExp(`Database "${name}" uses the (libc|builtin) "C" locale, so lower\\(\\), ILIKE and full-text search ignore case for non-ASCII text`));
      assert.match(db.localeProblem, new RegExp(`Fix: create a database with a UTF-8 locale \\(CREATE DATABASE "${name}_utf8" TEMPLATE template0 ENCODING 'UTF8' .*point DATABASE_URL at it`));
      const [{ n }] = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM migrations");
      assert.ok(n > 0, "the app still migrated and opened it");
    } finally {
      await db.close();
    }
    // The statement the message gives, run on this very server, makes a database that folds.
    const { serverVersion } = await checkUnicodeAt(url);
    const fixed = `${tag}_fixed`;
    created.push(fixed);
    await query(adminUrl, createUnicodeDatabaseSql(fixed, serverVersion));
    assert.deepEqual((await checkUnicodeAt(withDatabase(adminUrl, fixed))).failing, []);

    const good = await connectDatabase(loadConfig({ DATABASE_URL: withDatabase(adminUrl, fixed), LOG_LEVEL: "silent" }));
    assert.equal(good.localeProblem, undefined);
    await good.close();
  });

  it("is logged as one error when the server starts on it, and the server still serves", { timeout: 120_000 }, async () => {
    const url = await createCDatabase(`${tag}_srv`);
    const server = await startServerProcess({ env: { NODE_ENV: "test", DATABASE_URL: url, LOG_LEVEL: "info" } });
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "it still serves");
    // Log lines are buffered: read them once the process has exited.
    assert.equal(await server.stop(), 0, server.output());
    const errors = server.output().split("\n").filter((l) => l.includes('"level":50'));
    assert.equal(errors.length, 1, server.output());
    assert.match(JSON.parse(errors[0]).msg, /uses the (libc|builtin) "C" locale.*CREATE DATABASE/);
  });
});

describe("an embedded data directory made by an earlier version under the C locale", () => {
  const dataDir = path.join(tmp, "old-data");
  const clusterDir = path.join(dataDir, "pg");
  let pgPort: number;

  before(async () => {
    pgPort = await freePort();
    fs.mkdirSync(dataDir);
    const password = crypto.randomBytes(12).toString("hex");
    fs.writeFileSync(path.join(dataDir, "pg-password"), password + "\n", { mode: 0o600 });
    const isRoot = process.getuid?.() === 0;
    if (isRoot) fs.chmodSync(dataDir, 0o711); // the postgres OS user must reach its folder
    // The cluster as the earlier version made it when started without LANG: initdb took "C".
    const EmbeddedPostgres = loadEmbeddedPostgres();
    const old = new EmbeddedPostgres({
      databaseDir: clusterDir, port: pgPort, user: "hromada", password, authMethod: "scram-sha-256", persistent: true,
      createPostgresUser: isRoot, initdbFlags: ["--encoding=UTF8", "--no-sync", "--locale=C"],
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="], onLog: () => {}, onError: () => {},
    });
    await old.initialise();
    await old.start();
    const oldAdmin = `postgres://hromada:${password}@127.0.0.1:${pgPort}/postgres`;
    try {
      await query(oldAdmin, `CREATE DATABASE hromada`);
      assert.deepEqual((await checkUnicodeAt(withDatabase(oldAdmin, "hromada"))).failing, ["lower", "ilike", "fulltext"], "made the old way");
      // A database the app creates in such a cluster now is Unicode-aware all the same.
      await createUnicodeDatabase(oldAdmin, "fresh");
      assert.deepEqual((await checkUnicodeAt(withDatabase(oldAdmin, "fresh"))).failing, []);
    } finally {
      await old.stop();
    }
  });

  it("is detected at start, and the message names the folder and what to do", { timeout: 120_000 }, async () => {
    const server = await startServerProcess({
      env: { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: "info", MEDIA_ROOT: path.join(tmp, "media") },
      bootTimeoutMs: 90_000,
    });
    // Log lines are buffered: read them once the process has exited.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal(await server.stop(), 0, server.output());
    const errors = server.output().split("\n").filter((l) => l.includes('"level":50'));
    assert.equal(errors.length, 1, server.output());
    const msg: string = JSON.parse(errors[0]).msg;
    assert.ok(msg.includes(`The embedded PostgreSQL data directory ${clusterDir} was created with the libc "C" locale`), msg);
    assert.match(msg, new RegExp(`Fix: stop the app and move ${clusterDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} aside`));
    assert.match(msg, /pg_dump/);
    // Nothing was changed behind the user's back: the data directory is still the old cluster.
    assert.equal(fs.existsSync(path.join(clusterDir, "PG_VERSION")), true);
  });
});
