// The time zones a user may choose: the IANA names this Node knows, plus "UTC".
const SUPPORTED = new Set<string>(Intl.supportedValuesOf("timeZone"));

/** Sorted, for the profile's select. */
export const TIME_ZONES: readonly string[] = [...new Set(["UTC", ...SUPPORTED])].sort();

/**
 * Whether `name` is an IANA zone we can print times in. A browser with newer time-zone data may send a newer
 * name ("Europe/Kyiv") that this Node's list knows under its older one ("Europe/Kiev"): accepted when Intl takes
 * it and resolves it to a listed zone. Offsets ("+02:00") and abbreviations are refused.
 */
export function isTimeZone(name: unknown): name is string {
  if (typeof name !== "string" || name.length > 64) return false;
  if (name === "UTC" || SUPPORTED.has(name)) return true;
  if (!/^[A-Za-z]+(\/[A-Za-z0-9_+-]+)+$/.test(name)) return false;
  try {
    return SUPPORTED.has(new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone);
  } catch {
    return false;
  }
}
