// Bench data for analytics: clicks streamed into PostgreSQL with COPY (generated in this process
// from a seeded PRNG, with Zipf-like countries and campaigns), then folded into the rollups chunk by
// chunk by the server's own rollup SQL (core/analytics/rollup-sql.ts), as the click flush would.
// Conversions on every n-th click, recorded by the same rollup SQL as the conversion claim.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { clickRollupCtes, conversionRollupCtes } from '../../core/analytics/index.ts';
import { browserAndOs } from '../../core/redirect/user-agent.ts';

export interface DataSpec {
  handle: string;
  campaigns: number;
  /** Partners owning campaigns (campaign i belongs to partner i % partners; every tenth campaign has none). */
  partners: number;
  /** The clicks of each load spread evenly over this many days, ending at `end`. */
  days: number;
}

const CHUNK = 200_000;
const HOUR = 3_600_000;

/** A seeded PRNG (mulberry32): the same data set for the same click numbers. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from `values` with weights 1/(rank+1)^s (Zipf) or given weights. */
function picker<T>(values: T[], weights: number[]) {
  const total = weights.reduce((a, b) => a + b, 0);
  const cum: number[] = [];
  let acc = 0;
  for (const w of weights) cum.push((acc += w / total));
  return (r: number): T => {
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return values[lo];
  };
}
const zipf = (n: number, s: number) => Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);

const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'IN', 'BR', 'CA', 'NL', 'ES', 'IT', 'AU', 'JP', 'PL', 'SE', 'MX', 'TR', 'BE', 'CH', 'AT', 'IE',
  'DK', 'NO', 'FI', 'PT', 'CZ', 'RO', 'ZA', 'AR', 'CO', 'CL', 'ID', 'PH', 'SG', 'KR', 'NZ', 'GR', 'HU', 'IL', 'AE', 'UA'];
const SEGMENTS = ['desktop', 'mobile', 'tablet', 'other'];
const SOURCES = ['direct', 'email', 'twitter', 'instagram', 'facebook', 'search', 'newsletter', 'partner-blog'];
const REFERRERS: Record<string, string> = { twitter: 't.co', instagram: 'l.instagram.com', facebook: 'm.facebook.com', search: 'google.com', 'partner-blog': 'blog.partner.example' };
// User agents by share; browser and os come from the server's own parser (one parse per UA).
const AGENTS: Array<[ua: string, weight: number, segment: string]> = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 30, 'desktop'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 20, 'mobile'],
  ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 15, 'mobile'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 8, 'desktop'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 6, 'desktop'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 6, 'desktop'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', 4, 'desktop'],
  ['Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36', 4, 'mobile'],
  ['Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 3, 'tablet'],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 2, 'desktop'],
  ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 1, 'desktop'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/114.0.0.0', 1, 'other'],
];
const BOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

export const campaignId = (i: number) => `bench-${String(i).padStart(3, '0')}`;
export const partnerId = (i: number) => `p${String(i).padStart(2, '0')}`;
const partnerOf = (campaign: number, spec: DataSpec) => (campaign % 10 === 9 || !spec.partners ? null : partnerId(campaign % spec.partners));

function progress(label: string, done: number, total: number, started: number) {
  const secs = (performance.now() - started) / 1000;
  const rate = done / Math.max(secs, 0.001);
  process.stderr.write(`\r${label} ${done.toLocaleString('en')}/${total.toLocaleString('en')} ${Math.round(rate).toLocaleString('en')}/s ` +
    `ETA ${(rate > 0 ? (total - done) / rate : 0).toFixed(0)}s   ${done >= total ? '\n' : ''}`);
}

export async function insertCampaigns(db: pg.ClientBase, spec: DataSpec) {
  await db.query(`insert into partners (handle, partner_id, name) select $1, 'p' || lpad(i::text, 2, '0'), 'Partner ' || i from generate_series(0, $2::int - 1) i`,
    [spec.handle, spec.partners]);
  const ids = Array.from({ length: spec.campaigns }, (_, i) => campaignId(i));
  await db.query(
    `insert into campaigns (handle, campaign_id, goal_type, status, tracking_preset, conversion_event, slug, destination_url, partner_id)
     select $1, id, 'AFFILIATE_CLICKOUT', 'ACTIVE', 'custom_webhook', 'affiliate_click', id, 'https://merchant.example.com/p?ref=' || id, partner
       from unnest($2::text[], $3::text[]) as c(id, partner)`,
    [spec.handle, ids, ids.map((_, i) => partnerOf(i, spec))],
  );
}

const COLUMNS = 'click_id, handle, campaign_id, occurred_at, country, segment, device, source, referrer_host, destination_url, user_agent, is_bot, bot_reason, browser, os';

/** Click number `n` → its COPY line (a UUID from n, so conversions can find their click by number). */
function clickLines(spec: DataSpec, first: number, count: number, load: { from: number; total: number; start: number; spanMs: number }) {
  const rnd = prng(first * 2654435761);
  const campaign = picker(Array.from({ length: spec.campaigns }, (_, i) => i), zipf(spec.campaigns, 0.6));
  const country = picker(COUNTRIES, zipf(COUNTRIES.length, 1.1));
  const source = picker(SOURCES, [40, 12, 12, 10, 8, 8, 6, 4]);
  const agents = AGENTS.map(([ua, , segment]) => ({ ua, segment, ...browserAndOs(ua) }));
  const agent = picker(agents, AGENTS.map((a) => a[1]));
  const bot = { ua: BOT_UA, segment: 'bot', ...browserAndOs(BOT_UA) };
  const lines: string[] = [];
  for (let n = first; n < first + count; n++) {
    const c = campaign(rnd());
    const at = new Date(load.start + ((n - load.from) * load.spanMs) / load.total).toISOString();
    // Bot share varies by campaign (5%..40%), so confidence scores spread.
    const isBot = rnd() < 0.05 + (c % 8) * 0.05;
    const a = isBot ? bot : agent(rnd());
    const src = source(rnd());
    const segment = isBot ? 'bot' : rnd() < 0.97 ? a.segment : SEGMENTS[3];
    const id = `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
    lines.push(`${id}\t${spec.handle}\t${campaignId(c)}\t${at}\t${country(rnd())}\t${segment}\t${segment}\t${src}\t${REFERRERS[src] ?? '\\N'}\t` +
      `https://merchant.example.com/p\t${a.ua}\t${isBot ? 't' : 'f'}\t${isBot ? 'bench-bot' : '\\N'}\t${a.browser}\t${a.os}\n`);
  }
  return lines.join('');
}

/**
 * Loads clicks numbered [from, to) spread evenly over `spec.days` days ending at `end`: each chunk
 * COPYed in, then rolled up by the flush's rollup SQL over the rows of the chunk.
 */
export async function loadClicks(db: pg.ClientBase, spec: DataSpec, from: number, to: number, end: Date) {
  const spanMs = spec.days * 24 * HOUR;
  const load = { from, total: to - from, start: end.getTime() - spanMs, spanMs };
  const started = performance.now();
  // The load's session only: the chunk's hash aggregates stay in memory (the server's batches are small).
  await db.query(`set work_mem = '256MB'`);
  // Each month's partition before its rows (the server's daily job would move them out of clicks_default
  // while the COPY writes there, and the COPY would fail on the moved constraint).
  await db.query(`select click_partition_ensure(m) from generate_series(date_trunc('month', $1::timestamptz, 'UTC'), $2::timestamptz, interval '1 month') m`,
    [new Date(load.start), end]);
  for (let first = from; first < to; first += CHUNK) {
    const count = Math.min(CHUNK, to - first);
    const t0 = performance.now();
    const text = clickLines(spec, first, count, load);
    const t1 = performance.now();
    await db.query('begin');
    await pipeline(Readable.from([text]), db.query(copyFrom(`copy clicks (${COLUMNS}) from stdin`)));
    const t2 = performance.now();
    const lo = `00000000-0000-7000-8000-${first.toString(16).padStart(12, '0')}`;
    const hi = `00000000-0000-7000-8000-${(first + count).toString(16).padStart(12, '0')}`;
    await db.query(
      `with chunk as (
         select handle, campaign_id, occurred_at as at, country, segment, source, browser, os, is_bot
           from clicks where click_id >= $1::uuid and click_id < $2::uuid),
       ${clickRollupCtes('chunk')},
       stats as (
         insert into campaign_stats (handle, campaign_id, last_click_at)
         select handle, campaign_id, max(at) from chunk group by 1, 2 order by 1, 2
         on conflict (handle, campaign_id) do update set last_click_at = greatest(campaign_stats.last_click_at, excluded.last_click_at))
       select 1`,
      [lo, hi],
    );
    await db.query('commit');
    if (process.env.BENCH_TIMING) process.stderr.write(`\ngenerate ${Math.round(t1 - t0)} ms, copy ${Math.round(t2 - t1)} ms, rollups ${Math.round(performance.now() - t2)} ms\n`);
    progress('clicks     ', first + count - from, to - from, started);
  }
}

/**
 * Conversions on every `every`-th click of [from, to) (several currencies), with idempotency keys,
 * rolled up by the conversion claim's rollup SQL in the same statement.
 */
export async function loadConversions(db: pg.ClientBase, spec: DataSpec, from: number, to: number, every: number) {
  const started = performance.now();
  const total = Math.floor((to - from) / every);
  const step = Math.ceil(CHUNK / every) * every;
  for (let first = from; first < to; first += step) {
    const last = Math.min(to, first + step);
    await db.query(
      `with picked as (
         select c.*, k from generate_series($2::bigint, $3::bigint - 1, $4::bigint) k
           join clicks c on c.click_id = ('00000000-0000-7000-8000-' || lpad(to_hex(k), 12, '0'))::uuid),
       ins as (
         insert into conversions (conversion_id, handle, idempotency_key, click_id, campaign_id, event_type, value, currency, body_hash,
                                  country, segment, source, browser, os, click_is_bot, verified, authenticated, created_at, partner_id)
         select gen_random_uuid(), $1, 'order-' || k, click_id, campaign_id, 'affiliate_click', round((5 + (k % 9500) / 100.0)::numeric, 2),
                case when k % 25 < 20 then 'USD' when k % 25 < 23 then 'EUR' else 'GBP' end, 'bench', country, segment, source, browser, os,
                is_bot, not is_bot, k % 3 <> 0, least(now(), occurred_at + make_interval(secs => (k % 3600)::int)),
                (select partner_id from campaigns cp where cp.handle = $1 and cp.campaign_id = picked.campaign_id)
           from picked
         returning *),
       keys as (insert into idempotency_keys (handle, idempotency_key, conversion_id, created_at) select handle, idempotency_key, conversion_id, created_at from ins),
       rollup_source as (
         select handle, campaign_id, created_at as at, currency, country, segment, source, browser, os, verified, authenticated, value from ins),
       ${conversionRollupCtes('rollup_source')}
       select 1`,
      [spec.handle, first, last, every],
    );
    progress('conversions', Math.min(total, Math.floor((last - from) / every)), total, started);
  }
}
