// The client's IP behind trusted proxies (TRUSTED_PROXIES): the redirect records it, the public
// conversion endpoint rate-limits by it. Runs once per click, so lookups are memoised.
import { BlockList, isIP } from 'node:net';

/** The proxies whose `x-forwarded-for` we believe (TRUSTED_PROXIES). */
export interface TrustedProxies {
  /** Number of configured entries; 0 means x-forwarded-for is never honoured. */
  readonly size: number;
  has(ip: string): boolean;
}

const V4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
// Some proxies (Azure, IIS) append the client's port to the forwarded address.
const WITH_PORT = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$|^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/i;
const MAX_FORWARDED_HOPS = 16;
const MEMO_SIZE = 1024;

function normalizeIp(ip: string): string {
  // Only a string starting with ':' can be an IPv4-mapped IPv6 address: skip the regex otherwise.
  if (ip.charCodeAt(0) !== 58) return ip;
  const m = V4_MAPPED.exec(ip);
  return m ? m[1] : ip;
}

/** One x-forwarded-for hop as an IP address, or '' when it is not one. */
function forwardedHop(raw: string): string {
  const hop = raw.trim();
  if (isIP(hop)) return normalizeIp(hop);
  const m = WITH_PORT.exec(hop);
  const inner = m ? (m[1] ?? m[2]) : '';
  return inner && isIP(inner) ? normalizeIp(inner) : '';
}

class TrustedProxyList implements TrustedProxies {
  readonly size: number;
  private readonly list: BlockList;
  // BlockList.check costs ~5 µs; the few proxy addresses repeat on every request.
  private readonly memo = new Map<string, boolean>();

  constructor(list: BlockList, size: number) {
    this.list = list;
    this.size = size;
  }

  has(ip: string): boolean {
    let trusted = this.memo.get(ip);
    if (trusted !== undefined) return trusted;
    const family = isIP(ip);
    trusted = family !== 0 && this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
    if (this.memo.size >= MEMO_SIZE) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(ip, trusted);
    return trusted;
  }
}

/** Parses `TRUSTED_PROXIES`: comma-separated IPv4/IPv6 addresses and CIDRs; throws naming a bad entry. */
export function parseTrustedProxies(csv: string): TrustedProxies {
  const list = new BlockList();
  let size = 0;
  for (const raw of csv.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const slash = entry.indexOf('/');
    const address = normalizeIp(slash < 0 ? entry : entry.slice(0, slash));
    const family = isIP(address);
    const prefixText = slash < 0 ? '' : entry.slice(slash + 1);
    const prefix = slash < 0 ? -1 : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    const maxPrefix = family === 4 ? 32 : 128;
    if (family === 0 || Number.isNaN(prefix) || prefix > maxPrefix) {
      throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix < 0) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
    size++;
  }
  return new TrustedProxyList(list, size);
}

/**
 * The visitor's IP. `x-forwarded-for` counts only when the peer is a trusted proxy; it is then
 * walked right to left, skipping trusted hops, and the first untrusted hop is the client.
 */
export function clientIp(peerAddress: string, forwardedFor: string | undefined, trusted: TrustedProxies): string {
  let ip = normalizeIp(peerAddress);
  if (!forwardedFor || trusted.size === 0 || !trusted.has(ip)) return ip;
  let end = forwardedFor.length;
  for (let hops = 0; end > 0 && hops < MAX_FORWARDED_HOPS; hops++) {
    const start = forwardedFor.lastIndexOf(',', end - 1);
    const raw = forwardedFor.slice(start + 1, end);
    end = start;
    if (!raw.trim()) continue;
    const hop = forwardedHop(raw);
    // A trusted proxy forwarded something that is not an address: keep the last one we can vouch for.
    if (!hop) return ip;
    ip = hop;
    if (!trusted.has(ip)) return ip;
  }
  return ip;
}
