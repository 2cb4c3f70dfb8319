// A browser-like HTTP client (cookies kept) plus helpers to sign up, log in and read CSRF tokens.
import assert from "node:assert/strict";
import request from "supertest";
import type { TestApp } from "./app";

export type Agent = ReturnType<typeof request.agent>;

export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, "page has a CSRF field");
  return m[1];
}

export function agent(app: TestApp): Agent {
  return request.agent(app.url);
}

/** GETs a page and returns a CSRF token for the agent's session. */
export async function tokenFor(a: Agent, pagePath = "/login"): Promise<string> {
  const res = await a.get(pagePath);
  return csrfFrom(res.text);
}

/** POSTs a form with the agent's CSRF token (taken from `from`). */
export async function postForm(a: Agent, url: string, form: Record<string, string | string[]>, from = "/login") {
  const token = await tokenFor(a, from);
  return a.post(url).type("form").send({ ...form, _csrf: token });
}

export interface Credentials {
  username: string;
  email: string;
  password: string;
}

let counter = 0;
export function newCredentials(prefix = "user"): Credentials {
  counter += 1;
  const username = `${prefix}${counter}_${process.pid}`;
  return { username, email: `${username}@example.test`, password: "correct horse battery" };
}

/** Signs up through the form and returns the logged-in agent with its credentials and user id. */
export async function signedUpAgent(app: TestApp, creds: Credentials = newCredentials()) {
  const a = agent(app);
  const res = await postForm(a, "/signup", { ...creds, password_confirm: creds.password }, "/signup");
  assert.equal(res.status, 303, `sign-up should redirect, got ${res.status}: ${res.text.slice(0, 300)}`);
  const [row] = await app.sql<{ id: number }>("SELECT id FROM users WHERE username = $1", [creds.username]);
  assert.ok(row, "user row exists");
  return { agent: a, creds, userId: row.id };
}

/** Creates a user directly through the service (fast) and logs in through the form. */
export async function loggedInAgent(app: TestApp, creds: Credentials = newCredentials(), opts: { isStaff?: boolean } = {}) {
  const user = await app.auth.signup(creds, opts);
  const a = agent(app);
  const res = await postForm(a, "/login", { login: creds.username, password: creds.password });
  assert.equal(res.status, 303, `login should redirect, got ${res.status}`);
  // Signing up queued a verification mail. Its delivery runs in the background and would otherwise send its
  // statements in the middle of whatever a test records next (a statement count, "nothing is written").
  await app.mailer.drain();
  return { agent: a, creds, userId: user.id, user };
}
