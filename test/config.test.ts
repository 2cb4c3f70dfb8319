import assert from "node:assert/strict";
import { it } from "node:test";
import { ConfigError, loadConfig } from "../src/config";

it("has defaults that run a development server with nothing set", () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.env, "development");
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.bcryptCost, 12);
  assert.equal(c.cookieSecure, false);
  assert.equal(c.trustProxy, false);
});

it("names every bad variable in one clear error", () => {
  assert.throws(
    () => loadConfig({ PORT: "eighty", BCRYPT_COST: "40", DATABASE_URL: "mysql://x" }),
    (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /PORT/);
      assert.match(err.message, /BCRYPT_COST/);
      assert.match(err.message, /DATABASE_URL: must be a postgres:\/\/ URL/);
      return true;
    },
  );
});

it("requires a long SESSION_SECRET in production and makes cookies Secure there", () => {
  assert.throws(() => loadConfig({ NODE_ENV: "production" }), /SESSION_SECRET: required in production/);
  assert.throws(() => loadConfig({ NODE_ENV: "production", SESSION_SECRET: "short" }), /at least 32 characters/);
  const c = loadConfig({ NODE_ENV: "production", SESSION_SECRET: "x".repeat(40), TRUST_PROXY: "1" });
  assert.equal(c.cookieSecure, true);
  assert.equal(c.trustProxy, 1);
});

it("treats empty strings as unset, as .env files write them", () => {
  const c = loadConfig({ DATABASE_URL: "", PORT: "" });
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.port, 3000);
});

it("limits the data export and the member picker as before unless told otherwise, and refuses a limit of zero", () => {
  const c = loadConfig({});
  assert.equal(c.rateLimits.export, 5);
  assert.equal(c.rateLimits.suggestPerMinute, 120);
  const lowered = loadConfig({ EXPORT_RATE_LIMIT: "2", PEOPLE_SUGGEST_PER_MINUTE: "30" });
  assert.equal(lowered.rateLimits.export, 2);
  assert.equal(lowered.rateLimits.suggestPerMinute, 30);
  assert.throws(() => loadConfig({ EXPORT_RATE_LIMIT: "0", PEOPLE_SUGGEST_PER_MINUTE: "many" }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /EXPORT_RATE_LIMIT/);
    assert.match(err.message, /PEOPLE_SUGGEST_PER_MINUTE/);
    return true;
  });
});
