import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/** ISO country of an IP address, or undefined (private, unknown). Loaded on first use. */
export function geoCountry(ip: string): string | undefined {
  geoip ??= load();
  return geoip.lookup(ip)?.country || undefined;
}
