// Simulated visitors for `tenx seed-demo`: real browsers' user agents, countries, channels, and a share of bots.

/** Small seeded PRNG (mulberry32), so `--seed` replays the same demo world. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const weighted = <T>(table: readonly (readonly [T, number])[]): T => {
    const total = table.reduce((s, [, w]) => s + w, 0);
    let r = next() * total;
    for (const [item, w] of table) if ((r -= w) < 0) return item;
    return table[table.length - 1][0];
  };
  return { next, pick, weighted, chance: (p: number) => next() < p, between: (lo: number, hi: number) => lo + next() * (hi - lo) };
}
export type Rng = ReturnType<typeof rng>;

const BROWSERS = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 30],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15', 12],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 6],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1', 22],
  ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 16],
  ['Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1', 5],
  ['Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 3],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 345.0.0.18.84 (iPhone14,5; iOS 17_5; en_US)', 6],
] as const;

/** Crawlers, HTTP tools, headless browsers and link unfurlers: what the built-in detectors are for. */
export const BOT_AGENTS = [
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 4],
  ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 2],
  ['Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', 3],
  ['curl/8.5.0', 3],
  ['python-requests/2.32.3', 4],
  ['Go-http-client/1.1', 2],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 4],
  ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 2],
  ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 2],
] as const;

const COUNTRIES = [['US', 40], ['GB', 15], ['DE', 12], ['FR', 8], ['CA', 8], ['ES', 5], ['BR', 5], ['IN', 4], ['AU', 3]] as const;
const BOT_COUNTRIES = [['US', 5], ['NL', 3], ['SG', 2], ['DE', 2], ['RU', 1], ['CN', 1]] as const;
const LANGUAGES: Record<string, string> = {
  US: 'en-US,en;q=0.9', GB: 'en-GB,en;q=0.9', CA: 'en-CA,en;q=0.9,fr-CA;q=0.6', AU: 'en-AU,en;q=0.9', IN: 'en-IN,en;q=0.9,hi;q=0.7',
  DE: 'de-DE,de;q=0.9,en;q=0.7', FR: 'fr-FR,fr;q=0.9,en;q=0.6', ES: 'es-ES,es;q=0.9,en;q=0.5', BR: 'pt-BR,pt;q=0.9,en;q=0.6',
};

/** How a visitor arrives: which query parameter or Referer tells the server the channel. */
export interface Channel {
  name: string;
  query?: Record<string, string>;
  referer?: string;
  /** The partner's own labels on the link (sub1: the placement, sub2: one of its spots), for the Sub-IDs page. */
  subIds?: { sub1: string; sub2: readonly string[] };
}
const CHANNELS: Record<string, Channel> = {
  email: { name: 'email', query: { src: 'email' }, subIds: { sub1: 'newsletter-dec', sub2: ['banner-top', 'footer-link'] } },
  newsletter: { name: 'email', referer: 'https://mail.google.com/', subIds: { sub1: 'newsletter-dec', sub2: ['banner-top', 'footer-link'] } },
  twitter: { name: 'twitter', referer: 'https://t.co/Xb12kL9q' },
  instagram: { name: 'instagram', query: { utm_source: 'instagram', utm_medium: 'social' }, subIds: { sub1: 'ig-story', sub2: ['swipe-up', 'bio-link'] } },
  facebook: { name: 'facebook', referer: 'https://l.facebook.com/' },
  blog: { name: 'dealsblog.example.net', referer: 'https://dealsblog.example.net/best-deals-2026', subIds: { sub1: 'blog-review', sub2: ['top-10', 'sidebar'] } },
  coupons: { name: 'coupons', query: { src: 'coupons' }, subIds: { sub1: 'coupon-page', sub2: ['code-SAVE10', 'code-FREESHIP'] } },
  direct: { name: 'direct' },
};

/** Each partner promotes through its own channel mix (alpha: email and social, beta: coupon sites). */
export const PARTNER_CHANNELS: Record<string, readonly (readonly [string, number])[]> = {
  'partner-alpha': [['email', 22], ['newsletter', 8], ['twitter', 18], ['instagram', 14], ['facebook', 10], ['blog', 6], ['direct', 22]],
  'partner-beta': [['coupons', 35], ['blog', 15], ['twitter', 10], ['direct', 40]],
};

export interface Visit {
  campaignId: string;
  bot: boolean;
  ip: string;
  country: string;
  channel: Channel;
  /** sub1/sub2 query parameters of the link followed (none for the channels without sub-IDs). */
  subIds: Record<string, string>;
  headers: Record<string, string>;
}

const PUBLIC_FIRST_OCTETS = [23, 31, 37, 45, 51, 62, 77, 81, 86, 91, 95, 104, 109, 151, 176, 185, 188, 193, 212, 217];

export function visitorIp(r: Rng): string {
  return [r.pick(PUBLIC_FIRST_OCTETS), 1 + Math.floor(r.next() * 254), Math.floor(r.next() * 256), 1 + Math.floor(r.next() * 254)].join('.');
}

/** One click on a partner's link: a person's browser with matching language, or a bot with a bot's habits. */
export function visit(r: Rng, campaignId: string, botShare: number): Visit {
  const bot = r.chance(botShare);
  const channel = CHANNELS[r.weighted(PARTNER_CHANNELS[campaignId] ?? PARTNER_CHANNELS['partner-alpha'])];
  const ip = visitorIp(r);
  if (bot) {
    const country = r.weighted(BOT_COUNTRIES);
    // Bots rarely send a language; crawlers never carry a social Referer.
    const botChannel = channel.referer ? CHANNELS.direct : channel;
    return { campaignId, bot, ip, country, channel: botChannel, subIds: subIdsOf(r, botChannel), headers: { 'user-agent': r.weighted(BOT_AGENTS), accept: '*/*' } };
  }
  const country = r.weighted(COUNTRIES);
  const headers: Record<string, string> = {
    'user-agent': r.weighted(BROWSERS),
    accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'accept-language': LANGUAGES[country] ?? 'en;q=0.8',
  };
  if (channel.referer) headers.referer = channel.referer;
  return { campaignId, bot, ip, country, channel, subIds: subIdsOf(r, channel), headers };
}

function subIdsOf(r: Rng, channel: Channel): Record<string, string> {
  return channel.subIds ? { sub1: channel.subIds.sub1, sub2: r.pick(channel.subIds.sub2) } : {};
}

/** A believable order value, and the currency a shopper in that country pays in. */
export function order(r: Rng, country: string): { value: number; currency: string } {
  const currency = ['DE', 'FR', 'ES'].includes(country) ? 'EUR' : 'USD';
  return { value: Math.round(r.between(8, 180) * 100) / 100, currency };
}

/**
 * The same order resubmitted with its amount changed by `delta` (a merchant's retry that disagrees: a mismatch), still
 * in whole cents: 11.01 + 5 is 16.009999999999998 in floating point, which the API refuses (at most 2 fraction digits).
 */
export function changedValue(value: number, delta: number): number {
  return Math.round((value + delta) * 100) / 100;
}
