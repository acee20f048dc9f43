import { timingSafeEqual } from 'node:crypto';
import { keyedMac } from './keyed-mac.ts';

/** What a ctx token binds: the click, its tenant and campaign, when it was issued, and its window. */
export interface CtxClaims {
  clickId: string;
  handle: string;
  campaignId: string;
  issuedAt: Date;
  /** The campaign's attribution window at click time; the token expires after it. */
  windowDays: number;
}

export type CtxVerification =
  | { ok: true; claims: CtxClaims; expired: boolean }
  | { ok: false; reason: 'malformed' | 'bad_signature' };

const VERSION = 1;
const MAC_BYTES = 16; // HMAC-SHA256 truncated to 128 bits keeps the token under 200 characters
const DAY_MS = 86_400_000;
const TAIL_CACHE = 10_000;

// A hex digit's value by its character code (the click id is a UUID this process minted: lowercase hex).
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;

/** Writes a UUID's 16 bytes at `offset`, skipping its dashes (no slices, no hex decode call per click). */
function uuidBytesInto(id: string, out: Buffer, offset: number): void {
  let o = offset;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++;
    out[o++] = (HEX_VALUE[id.charCodeAt(i)] << 4) | HEX_VALUE[id.charCodeAt(i + 1)];
  }
}

function bytesToUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Signs and verifies ctx tokens: base64url of [version, clickId(16), issuedAt(u32 s), window(u16),
 * handle, campaignId] + HMAC. Keys are newest first: sign with the first, verify with any (rotation).
 */
export function createCtxCodec(secrets: string[]) {
  if (secrets.length === 0) throw new Error('at least one ctx secret is required');
  // One MAC per secret, newest first: sign with the first, verify with any.
  const macs = secrets.map((s) => keyedMac(Buffer.from(s, 'utf8'), MAC_BYTES));

  // Per campaign, the token's tail [len, handle, len, campaignId] is the same on every click: encoded once,
  // found by campaign id then handle (the link's own strings: no key string built per click; handles of one
  // network often share campaign ids, so neither alone is a key). Past TAIL_CACHE tails, all are rebuilt as met.
  const tails = new Map<string, Map<string, Buffer>>();
  let tailCount = 0;
  function tailOf(handle: string, campaignId: string): Buffer {
    let byHandle = tails.get(campaignId);
    const known = byHandle?.get(handle);
    if (known) return known;
    const h = Buffer.from(handle, 'utf8');
    const c = Buffer.from(campaignId, 'utf8');
    const tail = Buffer.allocUnsafe(2 + h.length + c.length);
    let o = tail.writeUInt8(h.length, 0);
    o += h.copy(tail, o);
    o = tail.writeUInt8(c.length, o);
    c.copy(tail, o);
    if (tailCount >= TAIL_CACHE) {
      tails.clear();
      tailCount = 0;
      byHandle = undefined;
    }
    if (!byHandle) tails.set(campaignId, (byHandle = new Map()));
    byHandle.set(handle, tail);
    tailCount++;
    return tail;
  }

  // Runs per click, synchronously: one buffer, reused, holds the body and then its MAC until it is encoded.
  // Sized for the longest tail a length byte can describe.
  const out = Buffer.alloc(1 + 16 + 4 + 2 + 2 * 256 + MAC_BYTES);
  function sign(c: CtxClaims): string {
    const tail = tailOf(c.handle, c.campaignId);
    const bodyLength = 1 + 16 + 4 + 2 + tail.length;
    out[0] = VERSION;
    uuidBytesInto(c.clickId, out, 1);
    out.writeUInt32BE(Math.floor(c.issuedAt.getTime() / 1000), 17);
    out.writeUInt16BE(c.windowDays, 21);
    out.set(tail, 23);
    out.set(macs[0](out.subarray(0, bodyLength)), bodyLength);
    return out.toString('base64url', 0, bodyLength + MAC_BYTES);
  }

  function verify(token: unknown, now = Date.now()): CtxVerification {
    if (typeof token !== 'string' || token.length < 40 || token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) {
      return { ok: false, reason: 'malformed' };
    }
    const raw = Buffer.from(token, 'base64url');
    // base64url decoding ignores stray trailing characters: only the canonical encoding is the token.
    if (raw.toString('base64url') !== token) return { ok: false, reason: 'malformed' };
    if (raw.length < 1 + 16 + 4 + 2 + 2 + MAC_BYTES || raw[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const body = raw.subarray(0, raw.length - MAC_BYTES);
    const tag = raw.subarray(raw.length - MAC_BYTES);
    if (!macs.some((mac) => timingSafeEqual(mac(body), tag))) return { ok: false, reason: 'bad_signature' };
    let o = 1;
    const clickId = bytesToUuid(body.subarray(o, (o += 16)));
    const issuedAt = new Date(body.readUInt32BE(o) * 1000);
    const windowDays = body.readUInt16BE((o += 4));
    const handleLen = body.readUInt8((o += 2));
    const handle = body.subarray(++o, (o += handleLen)).toString('utf8');
    if (o >= body.length) return { ok: false, reason: 'malformed' };
    const campaignLen = body.readUInt8(o);
    const campaignId = body.subarray(++o, (o += campaignLen)).toString('utf8');
    if (o !== body.length) return { ok: false, reason: 'malformed' };
    const expired = now > issuedAt.getTime() + windowDays * DAY_MS;
    return { ok: true, claims: { clickId, handle, campaignId, issuedAt, windowDays }, expired };
  }

  return { sign, verify };
}

export type CtxCodec = ReturnType<typeof createCtxCodec>;
