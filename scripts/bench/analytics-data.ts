// Bench data for analytics: clicks and conversions generated set-wise in PostgreSQL, chunk by
// chunk, each chunk writing its rollups in the same statement (as the click flusher would).
import type pg from 'pg';

export interface DataSpec {
  handle: string;
  clicks: number;
  conversions: number;
  campaigns: number;
  /** The clicks spread evenly over this many days, ending now. */
  days: number;
}

const CHUNK = 250_000;

// Attributes of click n from one hash of n, so conversions can find their click by id alone.
const CLICK_ROWS = `
  select n, h, ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid as click_id,
         'bench-' || lpad((((h >> 20) & 1023) % $campaigns::int)::text, 3, '0') as campaign_id,
         $start::timestamptz + make_interval(secs => n * $spanS::float8 / $total::float8) as occurred_at,
         (array['US','US','US','DE','DE','FR','GB','GB','NL','ES','IT','BR','IN','CA','AU','JP'])[(h & 15) + 1] as country,
         (array['desktop','desktop','desktop','mobile','mobile','mobile','tablet','other'])[((h >> 4) & 7) + 1] as segment,
         (array['direct','direct','email','twitter','instagram','facebook','newsletter','partner-blog'])[((h >> 8) & 7) + 1] as source,
         -- Bot share varies by campaign (10%..45%) so confidence scores spread over the seed's bands.
         ((h >> 12) & 1023) < 100 + (((h >> 20) & 1023) % $campaigns::int % 8) * 50 as is_bot
    from (select n, hashint8(n) as h from generate_series($from::bigint, $to::bigint - 1) as n) g`;

function bind(sql: string, values: Record<string, unknown>): { text: string; values: unknown[] } {
  const names = Object.keys(values);
  return { text: sql.replace(/\$(\w+)/g, (_, name: string) => `$${names.indexOf(name) + 1}`), values: Object.values(values) };
}

function progress(label: string, done: number, total: number, started: number) {
  const width = 30;
  const frac = total ? done / total : 1;
  const secs = (performance.now() - started) / 1000;
  const rate = done / Math.max(secs, 0.001);
  const eta = rate > 0 ? (total - done) / rate : 0;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
  process.stderr.write(`\r${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')} ` +
    `${Math.round(rate).toLocaleString('en')}/s ETA ${eta.toFixed(0)}s   ${done >= total ? '\n' : ''}`);
}

export async function insertCampaigns(db: pg.PoolClient, spec: DataSpec) {
  await db.query(
    `insert into campaigns (handle, campaign_id, goal_type, status, tracking_preset, conversion_event, slug, destination_url)
     select $1, id, 'AFFILIATE_CLICKOUT', 'ACTIVE', 'custom_webhook', 'affiliate_click', id, 'https://merchant.example.com/p?ref=' || id
       from (select 'bench-' || lpad(i::text, 3, '0') as id from generate_series(0, $2::int - 1) i) c`,
    [spec.handle, spec.campaigns],
  );
}

/** Clicks in time order, each chunk also upserting its click rollups. */
export async function generateClicks(db: pg.PoolClient, spec: DataSpec, start: Date) {
  const spanS = spec.days * 86_400;
  const started = performance.now();
  for (let from = 0; from < spec.clicks; from += CHUNK) {
    const to = Math.min(spec.clicks, from + CHUNK);
    const q = bind(
      `with ins as (
         insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, referrer_host,
                             destination_url, user_agent, is_bot, bot_reason)
         select click_id, $handle, campaign_id, occurred_at, country, segment, segment, source,
                case source when 'twitter' then 't.co' when 'instagram' then 'l.instagram.com' when 'facebook' then 'm.facebook.com'
                            when 'partner-blog' then 'blog.partner.example' end,
                'https://merchant.example.com/p', 'bench', is_bot, case when is_bot then 'bench-bot' end
           from (${CLICK_ROWS}) c
         returning campaign_id, occurred_at, country, segment, source, is_bot)
       insert into click_rollups (handle, campaign_id, hour, country, segment, source, clicks, qualified_clicks)
       select $handle, campaign_id, date_trunc('hour', occurred_at), country, segment, source, count(*), count(*) filter (where not is_bot)
         from ins group by 2, 3, 4, 5, 6 order by 2, 3, 4, 5, 6
       on conflict (handle, campaign_id, hour, country, segment, source) do update
         set clicks = click_rollups.clicks + excluded.clicks, qualified_clicks = click_rollups.qualified_clicks + excluded.qualified_clicks`,
      { handle: spec.handle, campaigns: spec.campaigns, start, spanS, total: spec.clicks, from, to },
    );
    await db.query(q);
    progress('clicks     ', to, spec.clicks, started);
  }
  await db.query(
    `insert into campaign_stats (handle, campaign_id, last_click_at)
     select handle, campaign_id, max(occurred_at) from clicks where handle = $1 group by 1, 2
     on conflict (handle, campaign_id) do update set last_click_at = excluded.last_click_at`,
    [spec.handle],
  );
}

/** Conversions on evenly spaced clicks (several currencies), with idempotency keys and rollups. */
export async function generateConversions(db: pg.PoolClient, spec: DataSpec) {
  const step = Math.max(1, Math.floor(spec.clicks / spec.conversions));
  const total = Math.min(spec.conversions, spec.clicks);
  const started = performance.now();
  for (let from = 0; from < total; from += CHUNK) {
    const to = Math.min(total, from + CHUNK);
    await db.query(
      `with ins as (
         insert into conversions (conversion_id, handle, idempotency_key, click_id, campaign_id, event_type, value, currency,
                                  body_hash, country, segment, source, click_is_bot, verified, created_at)
         select gen_random_uuid(), c.handle, 'order-' || k, c.click_id, c.campaign_id, 'affiliate_click',
                round((5 + (k % 9500) / 100.0)::numeric, 2),
                case when k % 25 < 20 then 'USD' when k % 25 < 23 then 'EUR' else 'GBP' end,
                'bench', c.country, c.segment, c.source, c.is_bot, not c.is_bot,
                least(now(), c.occurred_at + make_interval(secs => (k % 3600)::int))
           from generate_series($2::bigint, $3::bigint - 1) k
           join clicks c on c.click_id = ('00000000-0000-7000-8000-' || lpad(to_hex(k * $4::bigint), 12, '0'))::uuid
         returning conversion_id, idempotency_key, created_at, campaign_id, country, segment, source, currency, click_is_bot, value),
       keys as (
         insert into idempotency_keys (handle, idempotency_key, conversion_id, created_at)
         select $1, idempotency_key, conversion_id, created_at from ins)
       insert into conversion_rollups (handle, campaign_id, hour, country, segment, source, currency, conversions, verified_conversions, value)
       select $1, campaign_id, date_trunc('hour', created_at), country, segment, source, currency,
              count(*), count(*) filter (where not click_is_bot), sum(value)
         from ins group by 2, 3, 4, 5, 6, 7 order by 2, 3, 4, 5, 6, 7
       on conflict (handle, campaign_id, hour, country, segment, source, currency) do update
         set conversions = conversion_rollups.conversions + excluded.conversions,
             verified_conversions = conversion_rollups.verified_conversions + excluded.verified_conversions,
             value = conversion_rollups.value + excluded.value`,
      [spec.handle, from, to, step],
    );
    progress('conversions', to, total, started);
  }
}
