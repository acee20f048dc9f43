// What a click is, from its request alone: source channel, device, languages, country (the client IP is
// core/http/client-ip.ts: conversions' rate limit needs it too).
// Every function here runs once per click, so regexes are compiled once and repeat work is cached.
import { memoizeByString } from '../infra/string-memo.ts';
import { geoCountry } from './geoip.ts';
import { ISO_3166_ALPHA_2 } from '../http/countries.ts';
import { NOT_PRINTABLE } from './sub-ids.ts';
import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';
import type { Device } from '../plugins/index.ts';

// ---------------------------------------------------------------- source channel

const SOURCE_MAX = 64;
const HOST_MAX = 253;
const UNSAFE_KEY_CHARS = /[^a-z0-9._-]/g;
// scheme://[userinfo@]host — also android-app://com.google.android.gm/ from Android apps.
const REFERER_HOST = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]/?#]*\]|[^:/?#]*)/i;
const GOOGLE_SEARCH = /^google\.(?:com?\.)?[a-z]{2,3}$/;
const YANDEX_SEARCH = /^yandex\.[a-z]{2,3}$/;

// Host (or any parent domain of it) → channel; the most specific listed domain wins.
const CHANNEL_DOMAINS: Record<string, string[]> = {
  twitter: ['t.co', 'twitter.com', 'x.com'],
  instagram: ['instagram.com'],
  facebook: ['facebook.com', 'fb.me', 'fb.com', 'messenger.com'],
  email: ['mail.google.com', 'com.google.android.gm', 'mail.yahoo.com', 'mail.aol.com', 'mail.proton.me', 'mail.zoho.com', 'app.fastmail.com'],
  linkedin: ['linkedin.com', 'lnkd.in', 'com.linkedin.android'],
  youtube: ['youtube.com', 'youtu.be'],
  reddit: ['reddit.com', 'redd.it'],
  search: ['bing.com', 'duckduckgo.com', 'search.yahoo.com', 'search.brave.com', 'ecosia.org', 'baidu.com'],
  tiktok: ['tiktok.com'],
  pinterest: ['pinterest.com', 'pin.it'],
  whatsapp: ['whatsapp.com', 'whatsapp.net', 'wa.me'],
  telegram: ['t.me', 'telegram.me', 'telegram.org'],
};
const CHANNEL_BY_DOMAIN = new Map(
  Object.entries(CHANNEL_DOMAINS).flatMap(([channel, domains]) => domains.map((d) => [d, channel] as const)),
);

/** Printable ASCII: nothing a sub-ID would drop (the common case; the Unicode-property pattern costs ~0.2 µs). */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/**
 * A query value as an analytics key: what sub-IDs drop (controls, format and private-use characters, line separators)
 * dropped, trimmed, lower-case, ≤ 64 chars of [a-z0-9._-]; '' when nothing is left (`src=%00` falls through to
 * utm_source: it became a `-` channel).
 */
function sourceKey(raw: string | undefined): string {
  if (!raw) return '';
  const printable = PLAIN_ASCII.test(raw) ? raw : raw.replace(NOT_PRINTABLE, '');
  return printable.trim().slice(0, SOURCE_MAX).toLowerCase().replace(UNSAFE_KEY_CHARS, '-');
}

/**
 * The Referer's host, lower-cased (without a trailing dot); null when there is none. `www.` stays: API.md's fallback
 * source is "the Referer host itself" (until 2026-12-06 `www.example.org` was counted as `example.org`, and a rule
 * with `sourceIn: ["www.example.org"]` never matched it). Channels are found with or without it.
 */
function refererHost(referer: string | undefined): string | null {
  if (!referer) return null;
  const m = REFERER_HOST.exec(referer);
  if (!m || !m[1]) return null;
  let host = m[1].toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  host = host.slice(0, HOST_MAX).replace(UNSAFE_KEY_CHARS, '-');
  return host || null;
}

function channelOf(referrerHost: string): string | null {
  const host = referrerHost.startsWith('www.') ? referrerHost.slice(4) : referrerHost;
  for (let domain = host; ; ) {
    const channel = CHANNEL_BY_DOMAIN.get(domain);
    if (channel) return channel;
    const dot = domain.indexOf('.');
    if (dot < 0) break;
    domain = domain.slice(dot + 1);
  }
  if (host.startsWith('outlook.')) return 'email';
  if (GOOGLE_SEARCH.test(host) || YANDEX_SEARCH.test(host)) return 'search';
  return null;
}

/** The click's source channel: src, else utm_source, else the Referer's channel or host, else `direct`. */
export function sourceChannel(
  query: Record<string, string>,
  referer: string | undefined,
): { source: string; referrerHost: string | null } {
  const referrerHost = refererHost(referer);
  const explicit = sourceKey(query.src) || sourceKey(query.utm_source);
  if (explicit) return { source: explicit, referrerHost };
  if (!referrerHost) return { source: 'direct', referrerHost };
  return { source: channelOf(referrerHost) ?? referrerHost, referrerHost };
}

// ---------------------------------------------------------------- device

const DESKTOP_OS = /^(?:windows|mac ?os|linux|ubuntu|debian|fedora|mint|arch|gentoo|centos|red ?hat|suse|kubuntu|manjaro|chrom(?:e|ium) ?os|(?:free|open|net)bsd|solaris)/i;
const MOBILE_OS = /^(?:ios|android|harmonyos|kaios|windows phone|blackberry|symbian|tizen|sailfish|firefox os)/i;

function parseDevice(userAgent: string): Device {
  // ua-parser-js costs 40–250 µs per UA; ask only for the parts the answer needs.
  const parser = new UAParser(userAgent);
  const type = parser.getDevice().type;
  if (type === 'mobile' || type === 'tablet') return type;
  if (type) return 'other'; // smarttv, console, wearable, xr, embedded
  const os = parser.getOS().name ?? '';
  if (MOBILE_OS.test(os)) return 'mobile';
  if (DESKTOP_OS.test(os) || parser.getBrowser().name) return 'desktop';
  return 'other';
}

// Longer UAs are classified but not kept, so junk headers cannot bloat the memo.
const knownDevice = memoizeByString((ua: string): Device => (isbot(ua) ? 'bot' : parseDevice(ua)), { size: 5000, maxKeyLength: 1024 });

/** `bot` for isbot UAs and empty ones, else mobile / tablet / desktop / other. */
export function deviceClass(userAgent: string): Device {
  const ua = userAgent.trim();
  return ua ? knownDevice(ua) : 'bot';
}

// ---------------------------------------------------------------- languages

const MAX_LANGUAGES = 10;
// Bounds the work on a hostile header; real browsers send fewer than ten entries.
const MAX_LANGUAGE_ENTRIES = 32;
const LANGUAGE_ENTRY = /^\s*([a-z]{2,3}|\*)(?:[-_][a-z0-9-]*)?\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*)?$/i;

// Browsers send a handful of distinct Accept-Language values: parse each once. The memo's arrays never leave it
// (languages() hands out copies), so they are not frozen: V8's slice() of a frozen array takes its generic path,
// ~0.3 µs in a loop and 3 % of a redirect's main-thread time in the server's profile, against ~15 ns.
const parsedLanguages = memoizeByString(parseLanguages, { size: 1000, maxKeyLength: 256 });

/**
 * Primary language tags from Accept-Language, most preferred first (q=0 dropped), deduped, at most 10, up to a
 * wildcard: a tag the visitor ranks below `*` (any language) is no preference of theirs, so `*, de;q=0.5` reads as
 * none (it read German, and a languageIn: ["de"] rule sent the visitor to the German page).
 */
export function languages(acceptLanguage: string | undefined): string[] {
  if (!acceptLanguage) return [];
  return parsedLanguages(acceptLanguage).slice(); // a copy: callers own the array they get
}

function parseLanguages(acceptLanguage: string): string[] {
  const ranked: { tag: string; q: number }[] = [];
  const entries = acceptLanguage.split(',', MAX_LANGUAGE_ENTRIES);
  for (const entry of entries) {
    const m = LANGUAGE_ENTRY.exec(entry);
    if (!m) continue; // `i-klingon`, malformed q: none can match languageIn
    const q = m[2] === undefined ? 1 : Math.min(1, Number(m[2]));
    if (q > 0) ranked.push({ tag: m[1].toLowerCase(), q });
  }
  ranked.sort((a, b) => b.q - a.q); // stable: equal q keeps the header's order
  const out: string[] = [];
  for (const { tag } of ranked) {
    if (tag === '*') break;
    if (!out.includes(tag)) out.push(tag);
    if (out.length === MAX_LANGUAGES) break;
  }
  return out;
}

// ---------------------------------------------------------------- country

const TWO_LETTERS = /^[A-Za-z]{2}$/;
// Only assigned codes count: routing rules' countryIn takes no other, so a visitor recorded as `UK` or `EU` (which some
// edges send) matched no rule and split from GB in breakdowns. Cloudflare's XX (unknown) and T1 (Tor) are not countries
// either; GeoIP databases also answer EU and AP for some blocks. UK is the United Kingdom's common mistake.
const COUNTRIES = new Set(ISO_3166_ALPHA_2);
const ALIASES: Record<string, string> = { UK: 'GB' };

/** ISO-3166 alpha-2 of the click: the edge header when it holds one, else GeoIP of the IP, else `ZZ`. */
export function countryOf(
  headers: Record<string, string | string[] | undefined>,
  ip: string,
  headerName: string,
): string {
  const edge = headers[headerName];
  if (typeof edge === 'string') {
    const code = edge.trim();
    if (TWO_LETTERS.test(code)) {
      const upper = code.toUpperCase();
      if (COUNTRIES.has(upper)) return upper;
      if (ALIASES[upper]) return ALIASES[upper];
    }
  }
  if (ip) {
    const country = geoCountry(ip);
    if (country && COUNTRIES.has(country)) return country;
  }
  return 'ZZ';
}
