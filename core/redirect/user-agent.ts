// Browser and OS names of a user agent, for the browser/os breakdowns: parsed once per distinct
// user agent (ua-parser-js costs 40–250 µs per UA), then a Map look-up per click.
import { UAParser } from 'ua-parser-js';

export interface BrowserAndOs {
  browser: string;
  os: string;
}

const CACHE_SIZE = 5000;
// Longer UAs are parsed but not cached, so junk headers cannot bloat the cache.
const CACHE_MAX_UA = 1024;
const NAME_MAX = 64;
const cache = new Map<string, BrowserAndOs>();
const UNKNOWN: BrowserAndOs = { browser: 'unknown', os: 'unknown' };

const key = (name: string | undefined) => (name ? name.trim().toLowerCase().slice(0, NAME_MAX) || 'unknown' : 'unknown');

/** Lower-case browser and OS names (`chrome`, `mobile safari`; `windows`, `ios`), `unknown` when the UA does not say. */
export function browserAndOs(userAgent: string): BrowserAndOs {
  if (!userAgent) return UNKNOWN;
  const cached = cache.get(userAgent);
  if (cached) return cached;
  const parser = new UAParser(userAgent);
  const out = { browser: key(parser.getBrowser().name), os: key(parser.getOS().name) };
  if (userAgent.length <= CACHE_MAX_UA) {
    // Insertion order makes the first key the oldest: evict it (FIFO is close enough to LRU here).
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(userAgent, out);
  }
  return out;
}
