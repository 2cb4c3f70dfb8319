// Which new passwords are accepted: what Django's default validators refuse (too short, too common, too similar to
// the username or email, entirely numeric), judged by zxcvbn's guess estimate with its common-password and word
// lists. Asked at sign-up, on password change and by createsuperuser; never at login, so existing accounts with
// weaker passwords keep working.
import type { ZxcvbnFactory, ZxcvbnResult } from "@zxcvbn-ts/core";

/**
 * zxcvbn's score 3 is "safely unguessable" (about 10^10 guesses): beyond what an attacker holding a stolen bcrypt
 * hash tries against one account. Below it are the common passwords, names, dates, keyboard walks and their
 * variations.
 */
const MIN_SCORE = 3;

export const PASSWORD_POLICY =
  "Not a common password, not like your username or email, not only digits. A few unrelated words work well.";

let estimator: ZxcvbnFactory | undefined;

/**
 * Built on first use: the dictionaries take about 0.3 s and 25 MB to load, which a process that never sees a new
 * password (or a command that never asks for one) should not pay. One check takes a few milliseconds.
 */
function zxcvbn(): ZxcvbnFactory {
  if (!estimator) {
    const { ZxcvbnFactory } = require("@zxcvbn-ts/core") as typeof import("@zxcvbn-ts/core");
    const common = require("@zxcvbn-ts/language-common") as typeof import("@zxcvbn-ts/language-common");
    const en = require("@zxcvbn-ts/language-en") as typeof import("@zxcvbn-ts/language-en");
    // No Levenshtein matching: it made one check take 0.1-1.6 s, and the dictionaries alone catch what it adds.
    estimator = new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    });
  }
  return estimator;
}

/** The account's own names, whole and in pieces (as Django splits them), for zxcvbn to treat as known words. */
function personalWords(account: { username: string; email: string }): string[] {
  const words = new Set<string>();
  for (const value of [account.username, account.email]) {
    if (!value) continue;
    words.add(value.toLowerCase());
    for (const part of value.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part);
  }
  return [...words];
}

const uses = (result: ZxcvbnResult, dictionary: (name: string) => boolean) =>
  result.sequence.some((m) => m.pattern === "dictionary" && dictionary(String(m.dictionaryName)));

/**
 * Why `password` may not be this account's new password, in words for the form, or null when it may. The length
 * rules are the schema's (auth.schemas.ts); this judges only what is left.
 */
export function passwordProblem(password: string, account: { username: string; email: string }): string | null {
  if (/^\p{Nd}+$/u.test(password)) return "This password is entirely numeric. Add letters or, better, use a few words.";
  const result = zxcvbn().check(password, personalWords(account));
  if (result.score >= MIN_SCORE) return null;
  if (uses(result, (d) => d === "userInputs")) return "This password is too similar to your username or email.";
  if (uses(result, (d) => d.startsWith("passwords"))) return "This password is too common: it is on the lists attackers try first.";
  const why = result.feedback.warning ? ` ${result.feedback.warning}` : "";
  return `This password is too easy to guess.${why} Try a few unrelated words.`;
}
