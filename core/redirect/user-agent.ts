// Browser and OS names of a user agent, for the browser/os breakdowns: parsed once per distinct
// user agent (ua-parser-js costs 40–250 µs per UA), then a Map look-up per click.
import { UAParser } from 'ua-parser-js';
import { memoizeByString } from '../infra/string-memo.ts';

export interface BrowserAndOs {
  browser: string;
  os: string;
}

const NAME_MAX = 64;
const UNKNOWN: BrowserAndOs = { browser: 'unknown', os: 'unknown' };

const key = (name: string | undefined) => (name ? name.trim().toLowerCase().slice(0, NAME_MAX) || 'unknown' : 'unknown');

function parse(userAgent: string): BrowserAndOs {
  const parser = new UAParser(userAgent);
  return { browser: key(parser.getBrowser().name), os: key(parser.getOS().name) };
}

// Longer UAs are parsed but not kept, so junk headers cannot bloat the memo.
const parsed = memoizeByString(parse, { size: 5000, maxKeyLength: 1024 });

/** Lower-case browser and OS names (`chrome`, `mobile safari`; `windows`, `ios`), `unknown` when the UA does not say. */
export function browserAndOs(userAgent: string): BrowserAndOs {
  return userAgent ? parsed(userAgent) : UNKNOWN;
}
