// A spy on the SQL the app sends: pg's Client.prototype.query is wrapped while one piece of work runs (every
// statement still runs). Used to hold hot pages to a fixed number of statements and to prove a page writes nothing.
import { Client } from "pg";

type QueryFn = (...args: unknown[]) => unknown;

function statementText(args: unknown[]): string {
  const first = args[0] as string | { text?: string } | undefined;
  return typeof first === "string" ? first : first?.text ?? String(first);
}

/** Runs fn and returns every statement any pg client of this process sent meanwhile. */
export async function recordStatements(fn: () => Promise<unknown>): Promise<string[]> {
  return (await recordQueries(fn)).map((q) => q.text);
}

/** recordStatements with each statement's parameters (to EXPLAIN a statement exactly as it was sent). */
export async function recordQueries(fn: () => Promise<unknown>): Promise<{ text: string; values: unknown[] }[]> {
  const seen: { text: string; values: unknown[] }[] = [];
  const proto = Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  proto.query = function (this: Client, ...args: unknown[]) {
    const first = args[0] as { values?: unknown[] } | string | undefined;
    const values = (typeof first === "object" && first?.values) || (Array.isArray(args[1]) ? args[1] : []);
    seen.push({ text: statementText(args), values });
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return seen;
}

/** The statements among these that change data (or open a transaction to). */
export const writes = (statements: string[]) => statements.filter((s) => /^\s*(INSERT|UPDATE|DELETE|BEGIN|COMMIT)\b/i.test(s));
