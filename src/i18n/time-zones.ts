// The time zones a user may choose: the IANA names this Node knows, plus "UTC".
const SUPPORTED = new Set<string>(Intl.supportedValuesOf("timeZone"));

/**
 * Zones IANA renamed that Node's ICU still lists under the old name (CLDR keeps old ids stable): a Ukrainian
 * looking for Kyiv found only "Europe/Kiev". Intl takes the new names too (they resolve to the old ids), so the
 * select offers and stores the new ones.
 */
const RENAMED: Readonly<Record<string, string>> = {
  "Europe/Kiev": "Europe/Kyiv",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "America/Godthab": "America/Nuuk",
  "Pacific/Truk": "Pacific/Chuuk",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Enderbury": "Pacific/Kanton",
};

/** A zone's current IANA name ("Europe/Kiev" -> "Europe/Kyiv"); any other name as it is. */
export function currentZoneName(name: string): string {
  return RENAMED[name] ?? name;
}

/** Sorted, for the profile's select, under their current names. */
export const TIME_ZONES: readonly string[] = [...new Set(["UTC", ...[...SUPPORTED].map(currentZoneName)])].sort();

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
