import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BlockList, isIPv4 } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
type GeoIp = { lookup(ip: string): { country?: string } | null };
let geoip: GeoIp | null = null;

/**
 * geoip-lite with its country tables only: tenx needs the country, and the city tables it loads
 * by default cost ~150 MB of RSS. geoip-lite falls back to country data when the city files are
 * absent from its data dir, so we point it at a dir holding links to the two country files.
 */
function load(): GeoIp {
  const source = join(dirname(require.resolve('geoip-lite/package.json')), 'data');
  const dir = join(tmpdir(), `tenx-geoip-country-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  for (const file of ['geoip-country.dat', 'geoip-country6.dat']) {
    if (!existsSync(join(dir, file))) {
      try {
        symlinkSync(join(source, file), join(dir, file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }
  (globalThis as { geodatadir?: string }).geodatadir = dir;
  return require('geoip-lite') as GeoIp;
}

/**
 * Addresses no country table covers (loopback, private, link-local, shared and reserved ranges):
 * answered without the tables, which cost ~14 MB of RSS, so a server only clicked from its own
 * machine or LAN (embedded mode on a laptop) never loads them. test/unit/geoip.test.ts checks
 * against the shipped tables that none of their rows falls in these ranges.
 */
export const UNLOCATED = [
  ...['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16'],
  ...['224.0.0.0/4', '240.0.0.0/4', '::/127', 'fc00::/7', 'fe80::/10', 'ff00::/8'],
];
const unlocated = new BlockList();
for (const subnet of UNLOCATED) {
  const [net, prefix] = subnet.split('/');
  unlocated.addSubnet(net, Number(prefix), isIPv4(net) ? 'ipv4' : 'ipv6');
}
const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** True for an address that has no country whatever the tables say (see UNLOCATED). */
export function isUnlocated(ip: string): boolean {
  const v4 = V4_MAPPED.exec(ip)?.[1] ?? ip;
  try {
    return isIPv4(v4) ? unlocated.check(v4, 'ipv4') : unlocated.check(ip, 'ipv6');
  } catch {
    return false; // not an address BlockList reads: the tables decide, as before
  }
}

// Unlocated addresses already checked: clicks come in bursts from one address, and behind a proxy
// missing from TRUSTED_PROXIES (or on a laptop) every click has the same private one. BlockList builds
// a native address object per check: ~1.1 µs of the redirect's CPU per click in the on-CPU profile.
const UNLOCATED_MEMO = 1024;
const unlocatedSeen = new Set<string>();

/** ISO country of an IP address, or undefined (private, unknown). The tables load on first public address. */
export function geoCountry(ip: string): string | undefined {
  // Only until the tables are loaded: then they answer these ranges with no country themselves, and
  // the BlockList check (~5 µs) would be one more cost on every click.
  if (!geoip) {
    if (unlocatedSeen.has(ip)) return undefined;
    if (isUnlocated(ip)) {
      if (unlocatedSeen.size >= UNLOCATED_MEMO) unlocatedSeen.clear();
      unlocatedSeen.add(ip);
      return undefined;
    }
    geoip = load();
  }
  return geoip.lookup(ip)?.country || undefined;
}
