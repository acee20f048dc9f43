import { lookup as dnsLookup, promises as dnsPromises } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// Webhook endpoints are integrator-supplied URLs: without this guard they reach our own network.

/** `transient`: the host could not be resolved right now (DNS down or slow), which says nothing about the URL. */
/**
 * `reason` goes to the tenant and never contains what DNS answered (that would map the operator's
 * network); `detail`, for the operator's log only, may.
 */
export type EndpointCheck = { ok: true; addresses: string[] } | { ok: false; reason: string; transient?: boolean; detail?: string };

// getaddrinfo/c-ares codes for a lookup that may well succeed on retry.
const TRANSIENT_DNS = new Set(['EAI_AGAIN', 'ETIMEOUT', 'ESERVFAIL', 'ECONNREFUSED', 'ETIMEDOUT']);

export interface EndpointCheckOptions {
  /** Development and tests (WEBHOOK_ALLOW_PRIVATE): allow http and any address. */
  allowPrivate: boolean;
  /** Resolves a host name to its addresses; defaults to dns.lookup(all). */
  lookup?: (host: string) => Promise<string[]>;
  /** Ports an endpoint may use (WEBHOOK_ALLOWED_PORTS); default 80, 443, 8443. allowPrivate allows any. */
  allowedPorts?: readonly number[];
  /**
   * Who reads a refusal: a partner's postback says "postbacks" and names no server setting (WEBHOOK_ALLOW_PRIVATE,
   * WEBHOOK_ALLOWED_PORTS), which only the operator can change; a handle's webhooks name them.
   */
  audience?: 'handle' | 'partner';
}

export const DEFAULT_ALLOWED_PORTS: readonly number[] = [80, 443, 8443];

/** Error code of a connection refused by `guardedLookup`. */
export const ENDPOINT_NOT_ALLOWED = 'ERR_ENDPOINT_NOT_ALLOWED';

interface Rule { what: string; list: BlockList }

function rule(what: string, ipv4: string[], ipv6: string[]): Rule {
  const list = new BlockList();
  for (const cidr of ipv4) list.addSubnet(cidr.split('/')[0], Number(cidr.split('/')[1]), 'ipv4');
  for (const cidr of ipv6) list.addSubnet(cidr.split('/')[0], Number(cidr.split('/')[1]), 'ipv6');
  return { what, list };
}

// Order matters: the first match names the reason (metadata before link-local and private).
const RULES: Rule[] = [
  rule('a cloud metadata address', ['169.254.169.254/32', '100.100.100.200/32'], ['fd00:ec2::254/128']),
  rule('an unspecified address', ['0.0.0.0/8'], ['::/128']),
  rule('a loopback address', ['127.0.0.0/8'], ['::1/128']),
  rule('a private address', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'], ['fc00::/7', 'fec0::/10']),
  rule('a link-local address', ['169.254.0.0/16'], ['fe80::/10']),
  rule('a carrier-grade NAT address', ['100.64.0.0/10'], []),
  rule('a multicast address', ['224.0.0.0/4'], ['ff00::/8']),
  rule('the broadcast address', ['255.255.255.255/32'], []),
  rule('a reserved address', ['240.0.0.0/4', '192.0.0.0/24', '192.0.2.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24'],
    ['::/96', '100::/64', '2001:db8::/32', '64:ff9b:1::/48']),
  rule('a Teredo address', [], ['2001::/32']),
  // The rest of IANA's special-purpose IPv6 block (ORCHID, benchmarking, AMT, …) and the second documentation range.
  rule('a special-purpose address', [], ['2001::/23', '3fff::/20']),
];

// Public IPv6 unicast is 2000::/3 (IANA's global unicast space); anything else that no rule above names
// (::ffff:0:0/96's translated form, 5f00::/16, unassigned space) is reserved. NAT64 of a public IPv4 address
// lies outside it and is judged by that address.
const GLOBAL_UNICAST = rule('', [], ['2000::/3']).list;

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

function category(address: string, family: 'ipv4' | 'ipv6'): string | undefined {
  return RULES.find((r) => r.list.check(address, family))?.what;
}

/** The eight 16-bit words of a valid IPv6 address (with or without a trailing dotted quad). */
function ipv6Words(address: string): number[] {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((w) => parseInt(w, 16));
}

const MAPPED = 'an IPv4-mapped form';

/** An IPv4 address carried inside an IPv6 one (mapped, NAT64, 6to4), which reaches that IPv4 host. */
function embeddedIPv4(address: string): { form: string; ipv4: string } | undefined {
  const w = ipv6Words(address);
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && w[5] === 0xffff) return { form: MAPPED, ipv4: quad(w[6], w[7]) };
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return { form: 'a NAT64 form', ipv4: quad(w[6], w[7]) };
  if (w[0] === 0x2002) return { form: 'a 6to4 form', ipv4: quad(w[1], w[2]) };
  return undefined;
}

/**
 * Why a webhook must not reach this address, as a phrase ("a loopback address"), or null when it is
 * public. IPv6 forms that carry an IPv4 address are judged by that IPv4 address.
 */
export function addressProblem(address: string): string | null {
  const bare = address.replace(/%.*$/, ''); // a zone id only ever appears on link-local addresses
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  if (family === 4) return category(bare, 'ipv4') ?? null;
  const inner = embeddedIPv4(bare);
  const innerWhat = inner && category(inner.ipv4, 'ipv4');
  if (inner && innerWhat) return `${inner.form} of ${inner.ipv4} (${innerWhat})`;
  // ::ffff:0:0/96 whatever IPv4 address it carries: stacks differ in how (and whether) they route it.
  // Not a BlockList rule: BlockList matches plain IPv4 addresses against it too.
  if (inner?.form === MAPPED) return 'an IPv4-mapped address';
  const what = category(bare, 'ipv6');
  if (what) return what;
  if (inner || GLOBAL_UNICAST.check(bare, 'ipv6')) return null;
  return 'a reserved address (outside global unicast 2000::/3)';
}

function hostNameProblem(host: string): string | null {
  if (METADATA_NAMES.has(host)) return 'a cloud metadata service';
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback name';
  return null;
}

/** All addresses of a host, as dns.lookup gives them: checkEndpoint's default lookup. */
export async function resolveAddresses(host: string): Promise<string[]> {
  return (await dnsPromises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

const refuse = (reason: string, detail?: string): EndpointCheck => ({ ok: false, reason, ...(detail && { detail }) });
/** What a refusal calls the endpoints, and whether it names the operator's settings (not to a partner). */
const wordingOf = (opts: EndpointCheckOptions) => (opts.audience === 'partner' ? { noun: 'postbacks', hints: false } : { noun: 'webhooks', hints: true });
type Wording = ReturnType<typeof wordingOf>;
const publicOnly = (w: Wording) => `${w.noun} may only reach public addresses${w.hints ? ' unless WEBHOOK_ALLOW_PRIVATE is set' : ''}.`;
// One answer for "does not exist", "resolves to nothing" and "resolves to a private address": the
// difference would let a tenant probe which internal names exist.
const hostNotAllowed = (host: string, detail: string, w: Wording) =>
  refuse(`The endpoint host ${host} is not allowed: it does not resolve, or not to public addresses only; ${publicOnly(w)}`, detail);

/** The port a URL connects to, explicit or its scheme's default. */
const portOf = (u: URL) => Number(u.port || (u.protocol === 'https:' ? 443 : 80));

/**
 * Whether a webhook may be sent to `url`. Refuses non-https URLs, credentials in the URL, and hosts
 * that are (or resolve to) any non-public address. With allowPrivate only the URL itself is checked.
 */
export async function checkEndpoint(url: string, opts: EndpointCheckOptions): Promise<EndpointCheck> {
  const w = wordingOf(opts);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('The endpoint is not a valid absolute URL.');
  }
  const schemeOk = parsed.protocol === 'https:' || (opts.allowPrivate && parsed.protocol === 'http:');
  if (!schemeOk) {
    const scheme = parsed.protocol.slice(0, -1);
    return refuse(opts.allowPrivate ? `The endpoint must use https or http, not ${scheme}.`
      : `The endpoint must use https, not ${scheme}${w.hints ? '; plain http is allowed only when WEBHOOK_ALLOW_PRIVATE is set' : ''}.`);
  }
  // Credentials in a URL end up in logs and the notifications panel.
  if (parsed.username || parsed.password) return refuse('The endpoint URL must not contain a user name or password.');

  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  const literal = isIP(host) !== 0;
  if (opts.allowPrivate) return { ok: true, addresses: literal ? [host] : [] };
  // Internal services listen on well-known ports (Redis 6379, PostgreSQL 5432, SMTP 25) of public hosts too.
  const ports = opts.allowedPorts ?? DEFAULT_ALLOWED_PORTS;
  if (!ports.includes(portOf(parsed))) {
    const settings = w.hints ? ' (WEBHOOK_ALLOWED_PORTS) unless WEBHOOK_ALLOW_PRIVATE is set' : '';
    return refuse(`The endpoint port ${portOf(parsed)} is not allowed; ${w.noun} may use ports ${ports.join(', ')}${settings}.`);
  }

  const nameProblem = hostNameProblem(host);
  if (nameProblem) return refuse(`The endpoint host ${host} is ${nameProblem}; ${publicOnly(w)}`);

  let addresses: string[];
  try {
    addresses = literal ? [host] : await (opts.lookup ?? resolveAddresses)(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (TRANSIENT_DNS.has(code)) return { ok: false, reason: `The endpoint host ${host} could not be resolved right now; retry shortly.`, transient: true, detail: code };
    return hostNotAllowed(host, `lookup failed: ${code}`, w);
  }
  if (addresses.length === 0) return hostNotAllowed(host, 'no address', w);

  for (const address of addresses) {
    const problem = addressProblem(address);
    if (!problem) continue;
    // A literal address is the tenant's own input: naming its category reveals nothing.
    if (literal) return refuse(`The endpoint address ${address} is ${problem}; ${publicOnly(w)}`);
    return hostNotAllowed(host, `resolves to ${address}, ${problem}`, w);
  }
  return { ok: true, addresses };
}

/**
 * A `net.connect` lookup that refuses non-public addresses at connect time, so a host that re-resolves
 * between checkEndpoint and the connection (DNS rebinding) still cannot reach them.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const bad = addresses.find((a) => addressProblem(a.address));
    if (bad || addresses.length === 0) {
      // The message may reach a panel or a plugin: it names the host, never what it resolved to.
      const refused: NodeJS.ErrnoException = new Error(`webhook endpoint ${hostname} is not allowed (not a public address)`);
      refused.code = ENDPOINT_NOT_ALLOWED;
      return callback(refused, '');
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};
