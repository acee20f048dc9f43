// Flags clicks whose User-Agent names a crawler, script or HTTP library (the `isbot` pattern list).
import { isbotMatch } from 'isbot';
import { definePlugin, memoizeByString, type BotDetectorPlugin, type BotVerdict, type ClickFacts } from '../../../core/plugins/sdk.ts';

export interface UserAgentSettings {
  /** Case-insensitive substrings that mark a bot on top of isbot's list. */
  extraPatterns?: string[];
  /** Case-insensitive substrings that clear a UA isbot would flag (e.g. a partner's own monitor). */
  allowPatterns?: string[];
}

// Named first so the reason reads `user_agent:curl`, not the raw UA text isbot matched.
const TOOLS = /\b(curl|wget|python-requests|python-urllib|go-http-client|headlesschrome|phantomjs|axios|node-fetch|undici|okhttp|scrapy|httpx)\b/i;
const REASON_MAX = 40;
const UNSAFE_REASON_CHARS = /[^a-z0-9._-]+/g;

interface Patterns {
  extra: string[];
  allow: string[];
}
// Settings objects live as long as the handle's resolved plugins: lower-case their lists once each.
const patternCache = new WeakMap<object, Patterns>();

function patternsOf(settings: UserAgentSettings): Patterns {
  let patterns = patternCache.get(settings);
  if (!patterns) {
    const clean = (list?: string[]) => (list ?? []).map((p) => p.trim().toLowerCase()).filter(Boolean);
    patterns = { extra: clean(settings.extraPatterns), allow: clean(settings.allowPatterns) };
    patternCache.set(settings, patterns);
  }
  return patterns;
}

function reason(matched: string): string {
  const what = matched.toLowerCase().replace(UNSAFE_REASON_CHARS, '-').replace(/^-+|-+$/g, '');
  return `user_agent:${what.slice(0, REASON_MAX) || 'pattern'}`;
}

function inspectUserAgent(click: ClickFacts, settings: UserAgentSettings = {}): BotVerdict {
  const ua = click.userAgent.trim();
  if (!ua) return { bot: true, reason: 'user_agent:empty' };
  const { extra, allow } = patternsOf(settings);
  const lower = extra.length || allow.length ? ua.toLowerCase() : '';
  if (allow.some((p) => lower.includes(p))) return { bot: false };
  const extraHit = extra.find((p) => lower.includes(p));
  if (extraHit) return { bot: true, reason: reason(extraHit) };
  const listed = listedReason(ua);
  return listed ? { bot: true, reason: listed } : { bot: false };
}

/** The reason a UA is on the tools or isbot list (settings-independent), or null. */
function matchListed(ua: string): string | null {
  const tool = TOOLS.exec(ua);
  const match = tool ? tool[1] : isbotMatch(ua);
  return match ? reason(match) : null;
}

// Visitors send a few thousand distinct User-Agents: match each against isbot's ~1,000-pattern
// regex once (~2 µs a click otherwise); very long UAs are matched every time.
const listedReason = memoizeByString(matchListed, { size: 4096, maxKeyLength: 512 });

const patternList = { type: 'array', maxItems: 100, items: { type: 'string', minLength: 2, maxLength: 100 } };

export default definePlugin<BotDetectorPlugin<UserAgentSettings>>({
  name: 'user-agent',
  version: '1.0.0',
  kind: 'bot-detector',
  // Substrings, not regexes: a tenant's setting must not be able to stall the shared event loop.
  description: 'Flags empty User-Agents, crawlers and HTTP tools (isbot list); extra and allow patterns are case-insensitive substrings.',
  settingsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { extraPatterns: patternList, allowPatterns: patternList },
  },
  defaultSettings: { extraPatterns: [], allowPatterns: [] },
  inspect: (click, settings) => inspectUserAgent(click, settings),
});
