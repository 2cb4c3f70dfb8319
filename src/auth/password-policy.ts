// Which new passwords are accepted: what Django's default validators refuse (too short, too common, too similar to
// the username or email, entirely numeric), judged by zxcvbn's guess estimate with its common-password and word
// lists. Asked at sign-up, on password change and by createsuperuser; never at login, so existing accounts with
// weaker passwords keep working.
import type { ZxcvbnFactory, ZxcvbnResult } from "@zxcvbn-ts/core";
import type { Message } from "../i18n";

/**
 * zxcvbn's score 3 is "safely unguessable" (about 10^10 guesses): beyond what an attacker holding a stolen bcrypt
 * hash tries against one account. Below it are the common passwords, names, dates, keyboard walks and their
 * variations.
 */
const MIN_SCORE = 3;

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
    // Warnings come back as their names ("straightRow"), which our locale files translate (auth.password_warnings).
    const warnings = Object.fromEntries(Object.keys(en.translations.warnings).map((k) => [k, k]));
    // No Levenshtein matching: it made one check take 0.1-1.6 s, and the dictionaries alone catch what it adds.
    estimator = new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: { ...en.translations, warnings: warnings as typeof en.translations.warnings },
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

/** zxcvbn's warnings, as keys of auth.password_warnings (listed whole so the locale test sees each one used). */
const WARNINGS: Record<string, string> = {
  straightRow: "auth.password_warnings.straight_row",
  keyPattern: "auth.password_warnings.key_pattern",
  simpleRepeat: "auth.password_warnings.simple_repeat",
  extendedRepeat: "auth.password_warnings.extended_repeat",
  sequences: "auth.password_warnings.sequences",
  recentYears: "auth.password_warnings.recent_years",
  dates: "auth.password_warnings.dates",
  topTen: "auth.password_warnings.top_ten",
  topHundred: "auth.password_warnings.top_hundred",
  common: "auth.password_warnings.common",
  similarToCommon: "auth.password_warnings.similar_to_common",
  wordByItself: "auth.password_warnings.word_by_itself",
  namesByThemselves: "auth.password_warnings.names_by_themselves",
  commonNames: "auth.password_warnings.common_names",
  userInputs: "auth.password_warnings.user_inputs",
  pwned: "auth.password_warnings.pwned",
};

/**
 * Why `password` may not be this account's new password, as a message (key and parameters) for the form, or null
 * when it may. The length rules are the schema's (auth.schemas.ts); this judges only what is left. zxcvbn's warning
 * is a message of its own in the `why` parameter, translated with the rest.
 */
export function passwordProblem(password: string, account: { username: string; email: string }): Message | null {
  if (/^\p{Nd}+$/u.test(password)) return { key: "auth.password_policy.numeric" };
  const result = zxcvbn().check(password, personalWords(account));
  if (result.score >= MIN_SCORE) return null;
  if (uses(result, (d) => d === "userInputs")) return { key: "auth.password_policy.similar" };
  if (uses(result, (d) => d.startsWith("passwords"))) return { key: "auth.password_policy.common" };
  const warning = WARNINGS[result.feedback.warning ?? ""];
  return warning ? { key: "auth.password_policy.guessable_because", params: { why: { key: warning } } } : { key: "auth.password_policy.guessable" };
}
