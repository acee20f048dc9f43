/**
 * ISO-3166-1 alpha-2 country codes, from ICU through Node's Intl: every two-letter region ICU names,
 * less the groupings and placeholders that are no country (EU, EZ, UN, QO, ZZ) and UK (GB is the
 * code). XK (Kosovo, user-assigned) stays: edge networks send it. `XX`, `T1` and made-up codes are refused.
 */
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'QO', 'ZZ', 'UK']);
const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export const ISO_3166_ALPHA_2: readonly string[] = [...LETTERS]
  .flatMap((a) => [...LETTERS].map((b) => a + b))
  .filter((code) => !NOT_COUNTRIES.has(code) && names.of(code) !== undefined);

/** A JSON schema for a country code: a list, not a pattern, so any two letters are not enough. */
export const countryCode = { type: 'string', enum: [...ISO_3166_ALPHA_2], description: 'An ISO-3166-1 alpha-2 country code, e.g. DE.' } as const;
