import { createHash } from 'node:crypto';
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

/** sha256 of the canonical facts; the money is compared in cents so 24.9 and 24.90 are the same body. */
export function bodyHash(f: ConversionFacts): string {
  const canonical = canonicalJson({
    clickId: f.claims.clickId,
    handle: f.claims.handle,
    campaignId: f.claims.campaignId,
    issuedAt: Math.floor(f.claims.issuedAt.getTime() / 1000),
    eventType: f.eventType,
    cents: f.value === null ? null : Math.round(f.value * 100),
    currency: f.currency,
    metadata: f.metadata,
  });
  return createHash('sha256').update(canonical).digest('base64url');
}
