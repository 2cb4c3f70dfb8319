// No Docker engine runs on the test machines, so the deployment files are checked for what can go wrong
// without one: docker-compose.yml, the Dockerfile, deploy/nginx.conf and .env.example must agree with each
// other and with src/config.ts. Where a compose CLI is installed, `config` must also accept the file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config";
import { ROOT } from "./server-process";

const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
const composeText = read("docker-compose.yml");
const dockerfile = read("Dockerfile");
const nginx = read("deploy/nginx.conf");
const envExample = read(".env.example");

interface Service {
  build?: unknown;
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  stop_grace_period?: string;
}
const compose = parse(composeText) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const appNames = Object.keys(services).filter((n) => services[n].build !== undefined);
const apps = appNames.map((n) => [n, services[n]] as const);

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}; the values of `vars` win. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (vars[name]) return vars[name];
    if (op === "?") throw new Error(`${name} is required: ${arg}`);
    return op === "-" ? arg ?? "" : "";
  });
}
const composeVariables = [...new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]))];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The last stage of the Dockerfile: what actually runs. */
const stages = dockerfile.split(/^FROM /m).slice(1);
const runtime = stages[stages.length - 1];

describe("docker-compose.yml", () => {
  it("has postgres, redis, nginx and at least two app replicas built from the Dockerfile", () => {
    for (const s of ["postgres", "redis", "nginx"]) assert.ok(services[s], `service ${s}`);
    assert.ok(appNames.length >= 2, `app replicas: ${appNames.join(", ")}`);
    for (const [, app] of apps) assert.equal(app.build, ".", "built from ./Dockerfile");
  });

  it("sets only variables src/config.ts knows, and they make a valid production config", () => {
    for (const [name, app] of apps) {
      const env = app.environment ?? {};
      for (const key of Object.keys(env)) assert.ok((CONFIG_VARIABLES as string[]).includes(key), `${name} sets ${key}, which the app does not read`);
      assert.equal(env.NODE_ENV, "production");
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v), { SESSION_SECRET: "s".repeat(64), POSTGRES_PASSWORD: "pw" })]));
      const config = loadConfig(resolved);
      assert.equal(config.isProduction, true);
      assert.equal(config.cookieSecure, true, "Secure cookies unless .env says otherwise");
      assert.equal(config.trustProxy, 1, "trusts exactly the one proxy in front (nginx)");
      assert.equal(config.mediaRoot, "/app/media");
      assert.match(String(env.SESSION_SECRET), /^\$\{SESSION_SECRET:\?/, "no default secret: compose refuses to start without one");
    }
  });

  it("gives all replicas the same settings", () => {
    const [first, ...rest] = apps.map(([, app]) => JSON.stringify({ ...app }));
    for (const other of rest) assert.equal(other, first);
  });

  it("points the app at the postgres and redis services, with matching credentials", () => {
    const pg = services.postgres.environment!;
    for (const [name, app] of apps) {
      const url = new URL(interpolate(app.environment!.DATABASE_URL, { POSTGRES_PASSWORD: "pw" }));
      assert.equal(url.hostname, "postgres", name);
      assert.equal(url.username, pg.POSTGRES_USER);
      assert.equal(url.pathname, `/${pg.POSTGRES_DB}`);
      assert.equal(url.password, "pw");
      assert.equal(pg.POSTGRES_PASSWORD, "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}");
      assert.equal(new URL(app.environment!.REDIS_URL).hostname, "redis");
      assert.equal(app.depends_on?.postgres?.condition, "service_healthy");
      assert.equal(app.depends_on?.redis?.condition, "service_healthy");
    }
  });

  it("keeps media on one named volume mounted at MEDIA_ROOT in every replica", () => {
    const mounts = apps.map(([name, app]) => {
      const m = (app.volumes ?? []).map((v) => v.split(":")).find(([, target]) => target === app.environment!.MEDIA_ROOT);
      assert.ok(m, `${name} mounts a volume at MEDIA_ROOT`);
      return m[0];
    });
    assert.equal(new Set(mounts).size, 1, "the same volume everywhere");
    assert.ok(mounts[0] in compose.volumes, `${mounts[0]} is a named volume, not a per-container directory`);
  });

  it("has health checks: pg_isready for postgres, a ping for redis, /readyz for the app", () => {
    assert.match(JSON.stringify(services.postgres.healthcheck?.test), /pg_isready -U hromada -d hromada/);
    assert.match(JSON.stringify(services.redis.healthcheck?.test), /redis-cli.*ping/);
    for (const [, app] of apps) {
      const port = app.environment!.PORT;
      assert.match(JSON.stringify(app.healthcheck?.test), new RegExp(`127\\.0\\.0\\.1:${port}/readyz`));
    }
  });

  it("stores postgres data on a named volume", () => {
    const [volume, target] = (services.postgres.volumes ?? [])[0].split(":");
    assert.ok(volume in compose.volumes);
    assert.match(target, /^\/var\/lib\/postgresql/);
  });

  it("gives a draining replica more time than its own shutdown timeout", () => {
    for (const [, app] of apps) {
      const grace = Number(/^(\d+)s$/.exec(app.stop_grace_period ?? "")?.[1] ?? 10);
      const drain = Number(app.environment!.SHUTDOWN_DELAY_SECONDS ?? 0) + Number(app.environment!.SHUTDOWN_TIMEOUT_SECONDS ?? 25);
      assert.ok(grace > drain, `stop_grace_period ${grace}s > ${drain}s of delay and drain`);
    }
  });

  it("publishes only nginx, which mounts deploy/nginx.conf (and the mail catcher's UI, on this machine only)", () => {
    for (const [name, s] of Object.entries(services)) if (name !== "nginx" && name !== "mailpit") assert.equal(s.ports, undefined, `${name} is not published`);
    assert.deepEqual(services.mailpit.ports, ["127.0.0.1:${MAILPIT_PORT:-8025}:8025"], "Mailpit's UI is reachable from this machine only");
    assert.deepEqual(services.nginx.ports?.map((p) => p.split(":").pop()), ["80"]);
    assert.ok(services.nginx.volumes?.includes("./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"));
    for (const name of appNames) assert.equal(services.nginx.depends_on?.[name]?.condition, "service_healthy");
  });

  it("documents every variable it reads in .env.example", () => {
    for (const v of composeVariables) assert.match(envExample, new RegExp(`^${v}=`, "m"), `${v} in .env.example`);
  });

  it("is accepted by `docker compose config` (where a compose CLI is installed)", (t) => {
    const cli = [["docker", "compose"], ["docker-compose"]].find(([cmd, ...sub]) => spawnSync(cmd, [...sub, "version"], { stdio: "ignore" }).status === 0);
    if (!cli) return t.skip("no compose CLI here (neither `docker compose` nor `docker-compose`): only the checks above ran");
    const [cmd, ...sub] = cli;
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
    const ok = spawnSync(cmd, [...sub, "config", "--quiet"], { cwd: ROOT, env: { ...env, SESSION_SECRET: "s".repeat(64), POSTGRES_PASSWORD: "pw" }, encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stderr);
    const missing = spawnSync(cmd, [...sub, "config", "--quiet"], { cwd: ROOT, env, encoding: "utf8" });
    assert.notEqual(missing.status, 0, "refuses to run without the secrets");
    assert.match(missing.stderr, /set (SESSION_SECRET|POSTGRES_PASSWORD) in \.env/);
  });
});

describe("deploy/nginx.conf", () => {
  const upstreams = Object.fromEntries(
    [...nginx.matchAll(/^\s*upstream\s+(\S+)\s*\{([^}]*)\}/gm)].map((m) => [m[1], m[2]]),
  );
  const serversOf = (body: string) => [...body.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]).sort();

  it("balances over exactly the app replicas, on the port they listen on", () => {
    const expected = apps.map(([name, app]) => `${name}:${app.environment!.PORT}`).sort();
    assert.ok(Object.keys(upstreams).length >= 1);
    for (const [name, body] of Object.entries(upstreams)) assert.deepEqual(serversOf(body), expected, `upstream ${name}`);
  });

  it("routes socket.io stickily and passes WebSocket upgrades", () => {
    const location = /location\s+\/socket\.io\/\s*\{([^}]*)\}/.exec(nginx)?.[1];
    assert.ok(location, "a location for /socket.io/");
    const target = /proxy_pass\s+http:\/\/([^;/]+)/.exec(location)![1];
    assert.match(upstreams[target], /^\s*(ip_hash|hash\s+\S+)/m, `upstream ${target} is sticky`);
    assert.match(location, /proxy_http_version 1\.1/);
    assert.match(location, /proxy_set_header Upgrade \$http_upgrade/);
    assert.match(location, /proxy_set_header Connection \$connection_upgrade/);
    assert.match(nginx, /map \$http_upgrade \$connection_upgrade/);
  });

  it("forwards the headers TRUST_PROXY relies on, in every proxied location", () => {
    const locations = [...nginx.matchAll(/^\s*location\s+\S+\s*\{([^}]*)\}/gm)].map((m) => m[1]).filter((l) => /proxy_pass/.test(l));
    assert.ok(locations.length >= 2);
    // proxy_set_header in a location replaces the server's, so each location must set them itself.
    for (const loc of locations) {
      assert.match(loc, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for/);
      assert.match(loc, /proxy_set_header X-Forwarded-Proto \$scheme/);
      assert.match(loc, /proxy_set_header Host \$host/);
    }
  });

  it("sends media only after the app said yes: an internal location on the media volume, named by MEDIA_ACCEL_REDIRECT", () => {
    const internal = apps.map(([, app]) => app.environment!.MEDIA_ACCEL_REDIRECT);
    assert.equal(new Set(internal).size, 1);
    const prefix = internal[0];
    assert.match(String(prefix), /^\/[^/].*\/$/, "a path with slashes at both ends");
    const esc = String(prefix).replace(/[/.]/g, "\\$&");
    const location = new RegExp(`location\\s+${esc}\\s*\\{([^}]*)\\}`).exec(nginx)?.[1];
    assert.ok(location, `a location for ${prefix}`);
    assert.match(location, /^\s*internal;/m, "not reachable from outside");
    assert.doesNotMatch(location, /proxy_pass|autoindex on/);
    const mediaRoot = apps[0][1].environment!.MEDIA_ROOT;
    assert.match(location, new RegExp(`alias ${mediaRoot}/;`), "serves the folder the app stores into");
    assert.match(location, /add_header X-Content-Type-Options nosniff/);
    assert.doesNotMatch(location, /expires|Cache-Control/, "keeps the app's private, short Cache-Control");
    // nginx mounts the very volume the replicas store into, read-only, at the same path.
    const appVolume = apps[0][1].volumes!.find((v) => v.split(":")[1] === mediaRoot)!.split(":")[0];
    assert.ok(services.nginx.volumes?.includes(`${appVolume}:${mediaRoot}:ro`), "nginx mounts the media volume read-only");
    // /media itself is not served from disk by nginx: it goes to the app, which authorizes every file.
    assert.doesNotMatch(nginx, /location\s+[~^=]*\s*\/media/);
  });

  it("lets uploads through up to the app's own limit, so the app answers too-large uploads itself", async () => {
    const { MAX_FILE_BYTES, MAX_FILES } = await import("../../src/http/upload");
    const mb = Number(/client_max_body_size\s+(\d+)m;/.exec(nginx)?.[1]);
    assert.ok(mb * 1024 * 1024 > MAX_FILE_BYTES * MAX_FILES, `client_max_body_size ${mb}m`);
  });
});

describe("Dockerfile", () => {
  it("builds in one stage and runs compiled JavaScript in another", () => {
    assert.ok(stages.length >= 2, "multi-stage");
    assert.match(stages[0], /RUN npm ci\b/);
    assert.match(stages[0], /RUN npm run build/);
    assert.match(runtime, /COPY --from=build \/app\/dist \.\/dist/);
    assert.match(runtime, /^CMD \["node", "bin\/start\.js"\]/m);
    assert.doesNotMatch(runtime, /tsx|src\/server\.ts/);
    assert.match(runtime, /NODE_ENV=production/);
  });

  it("installs production dependencies only, from the lockfile", () => {
    assert.match(runtime, /RUN npm ci --omit=dev/);
    assert.doesNotMatch(runtime, /npm install/);
  });

  it("runs as a non-root user", () => {
    const user = /^USER\s+(\S+)/m.exec(runtime)?.[1];
    assert.ok(user, "a USER instruction");
    assert.notEqual(user, "root");
    assert.notEqual(user, "0");
    // The user must own the media folder that the shared volume is mounted on.
    assert.match(runtime, new RegExp(`chown ${user}:${user} /app/media`));
  });

  it("exposes the port the compose file uses and copies what the compiled app reads from the project root", () => {
    const exposed = /^EXPOSE\s+(\d+)/m.exec(runtime)?.[1];
    for (const [, app] of apps) assert.equal(app.environment!.PORT, exposed);
    for (const dir of ["bin", "views", "public"]) assert.match(runtime, new RegExp(`^COPY ${dir} \\./${dir}`, "m"));
  });

  it("keeps build context small: node_modules, dist, data and media stay out", () => {
    const ignored = read(".dockerignore").split("\n").map((l) => l.trim());
    for (const p of ["node_modules", "dist", ".data", "media", ".env", ".git"]) assert.ok(ignored.includes(p), `.dockerignore has ${p}`);
  });
});

describe(".env.example", () => {
  const lines = envExample.split("\n");
  it("lists every variable src/config.ts reads, each with a comment above it", () => {
    for (const v of CONFIG_VARIABLES) {
      const i = lines.findIndex((l) => l.startsWith(`${v}=`));
      assert.ok(i > 0, `${v} is in .env.example`);
      assert.match(lines[i - 1], /^# \S/, `${v} has a one-line comment`);
    }
  });

  // The management commands read a few HROMADA_* variables of their own, outside Config (see commandEnvironment).
  const commandVariables = [...new Set(sourceFiles(path.join(ROOT, "src")).flatMap((f) => [...fs.readFileSync(f, "utf8").matchAll(/\b(HROMADA_[A-Z0-9_]*[A-Z0-9])\b/g)].map((m) => m[1])))];

  it("lists the variables the management commands read", () => {
    for (const v of commandVariables) assert.match(envExample, new RegExp(`^${v}=`, "m"), `${v} in .env.example`);
  });

  it("names no variable that nothing reads", () => {
    const listed = lines.filter((l) => /^[A-Z0-9_]+=/.test(l)).map((l) => l.split("=")[0]);
    const known = new Set<string>([...CONFIG_VARIABLES, ...composeVariables, ...commandVariables]);
    for (const v of listed) assert.ok(known.has(v), `${v} is read by the app, a command or docker-compose.yml`);
  });

  it("holds a SESSION_SECRET placeholder that production refuses", () => {
    const secret = lines.find((l) => l.startsWith("SESSION_SECRET="))!.split("=")[1];
    assert.throws(() => loadConfig({ NODE_ENV: "production", SESSION_SECRET: secret }), /placeholder/);
  });
});
