import { hash } from 'node:crypto';
import type { CtxClaims } from '../redirect/index.ts';

/** What makes two submissions "the same body": the click the ctx names and what was reported about it. */
export interface ConversionFacts {
  claims: Pick<CtxClaims, 'clickId' | 'handle' | 'campaignId' | 'issuedAt'>;
  eventType: string;
  value: number | null;
  currency: string | null;
  metadata: Record<string, unknown> | null;
}

/** JSON with object keys sorted at every depth, so key order never makes two bodies differ. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as object)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * sha256 of the canonical facts; the money is compared in cents so 24.9 and 24.90 are the same body.
 * The fixed fields are written in their sorted order (what canonicalJson would sort them to); the one-shot
 * `hash()` makes no Hash object per request (node:crypto objects cost several times their loop cost in the server).
 */
export function bodyHash(f: ConversionFacts): string {
  const fields: [string, unknown][] = [
    ['campaignId', f.claims.campaignId],
    ['cents', f.value === null ? null : Math.round(f.value * 100)],
    ['clickId', f.claims.clickId],
    ['currency', f.currency],
    ['eventType', f.eventType],
    ['handle', f.claims.handle],
    ['issuedAt', Math.floor(f.claims.issuedAt.getTime() / 1000)],
    ['metadata', f.metadata],
  ];
  let canonical = '{';
  for (const [name, value] of fields) {
    if (value === undefined) continue; // as canonicalJson: an undefined field is left out
    canonical += `${canonical.length > 1 ? ',' : ''}"${name}":${canonicalJson(value)}`;
  }
  return hash('sha256', `${canonical}}`, 'base64url');
}
