// Sorting names in Node, the same on every machine: Intl.Collator with a fixed locale, never a bare
// localeCompare() (its order follows the server's environment). The database sorts names in code-point order
// (lower(username)): the embedded cluster and the test databases use the builtin C.UTF-8 locale, which has no
// language rules, so lists that come from SQL keep that order. A page sorts in its reader's language with
// compareNames() in public/js/i18n.js.

/**
 * ICU's root order, for lists shared by readers of every language (who has a chat open is one broadcast to the
 * room). Made once; accents and case are tie-breakers only, digits compare as numbers ("anna2" before "anna10").
 */
export const ROOT_COLLATOR = new Intl.Collator("und", { sensitivity: "variant", numeric: true });
