import { createHmac, randomBytes } from 'node:crypto';

// Standard Webhooks signing (https://www.standardwebhooks.com): any receiver library can verify it.

export const SECRET_PREFIX = 'whsec_';

export type SignatureHeaders = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes; shown to the integrator once. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The HMAC key a secret stands for; throws on a malformed secret instead of signing with garbage. */
function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  // Buffer.from(…, 'base64') silently drops bad characters, so check the shape first.
  if (!BASE64.test(encoded)) throw new Error('webhook secret must be whsec_ followed by base64');
  return Buffer.from(encoded, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for one secret. */
export function signPayload(secret: string, deliveryId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${deliveryId}.${timestampSeconds}.${body}`, 'utf8');
  return `v1,${mac.digest('base64')}`;
}

/**
 * The three signing headers of one send. `secrets` is current first, then the previous one during a
 * rotation overlap, so receivers holding either secret verify. Pure: safe to run in a worker pool.
 */
export function signatureHeaders(deliveryId: string, timestampSeconds: number, body: string, secrets: string[]): SignatureHeaders {
  if (secrets.length === 0) throw new Error('a webhook delivery needs at least one secret to sign with');
  if (!Number.isSafeInteger(timestampSeconds)) throw new Error('webhook timestamp must be whole unix seconds');
  return {
    'webhook-id': deliveryId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => signPayload(s, deliveryId, timestampSeconds, body)).join(' '),
  };
}
