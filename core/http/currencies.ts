/**
 * ISO-4217 currency codes, from ICU through Node's Intl (162 on Node 20's ICU): real money only, so
 * `XXX` (no currency), `XTS` (testing), precious metals and made-up codes such as `ZZZ` are refused.
 */
export const ISO_4217: readonly string[] = Intl.supportedValuesOf('currency');

/** A JSON schema for a currency field: a list, not a pattern, so any 3 letters are not enough. */
export const currencyCode = { type: 'string', enum: [...ISO_4217], description: 'An ISO-4217 currency code, e.g. USD.' } as const;
