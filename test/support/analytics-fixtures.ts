// Analytics data sets written row for row as the click flusher and the conversions endpoint write
// them: raw clicks and conversions plus the matching rollups and campaign_stats, in one transaction.
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { clickRollupCtes, conversionRollupCtes, conversionRollupCtesBefore0021 } from '../../core/analytics/index.ts';

export interface ConversionSpec {
  value?: number | null;
  currency?: string | null;
  /** When the conversion was recorded (its rollup hour); defaults to 5 minutes after the click. */
  at?: string | Date;
  eventType?: string;
}

export interface ClickSpec {
  campaignId: string;
  at: string | Date;
  country?: string;
  segment?: string;
  source?: string;
  referrerHost?: string | null;
  isBot?: boolean;
  botReason?: string | null;
  conversions?: ConversionSpec[];
}

export interface CampaignSpec {
  campaignId: string;
  status?: 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'ARCHIVED';
}

export async function insertCampaigns(sql: pg.Pool, handle: string, campaigns: Array<string | CampaignSpec>) {
  for (const c of campaigns) {
    const { campaignId, status = 'ACTIVE' } = typeof c === 'string' ? { campaignId: c } : c;
    await sql.query(
      `insert into campaigns (handle, campaign_id, goal_type, status, tracking_preset, conversion_event, slug, destination_url)
       values ($1, $2, 'AFFILIATE_CLICKOUT', $3, 'custom_webhook', 'affiliate_click', $2, 'https://merchant.example.com/product')`,
      [handle, campaignId, status],
    );
  }
}

type Rows = Record<string, unknown[]>;

function columns(names: string[]): Rows {
  return Object.fromEntries(names.map((n) => [n, []]));
}

function push(rows: Rows, values: Record<string, unknown>) {
  for (const [k, v] of Object.entries(values)) rows[k].push(v);
}

export interface TrafficOptions {
  /** The database is at a migration before 0021 (no hourly conversion rollup): write what the claim wrote then. */
  before0021?: boolean;
}

/** Inserts clicks (and their conversions) with rollups and last-click stats that match them exactly. */
export async function insertTraffic(sql: pg.Pool, handle: string, clicks: ClickSpec[], opts: TrafficOptions = {}) {
  // Like the conversions endpoint: a conversion without a currency is rolled up in the reporting currency.
  const { rows: tenant } = await sql.query('select reporting_currency from tenants where handle = $1', [handle]);
  const rollupCurrency = (c: string | null | undefined) => c ?? (tenant[0]?.reporting_currency as string) ?? 'USD';
  const click = columns(['id', 'campaign', 'at', 'country', 'segment', 'device', 'source', 'referrer', 'bot', 'reason']);
  const conv = columns(['id', 'key', 'click', 'campaign', 'event', 'value', 'currency', 'country', 'segment', 'source', 'bot', 'at']);
  const lastClick = new Map<string, Date>();
  const clickIds: string[] = [];
  for (const c of clicks) {
    const at = new Date(c.at);
    const clickId = uuidv7();
    clickIds.push(clickId);
    const country = c.country ?? 'US';
    const segment = c.segment ?? (c.isBot ? 'bot' : 'desktop');
    const source = c.source ?? 'direct';
    push(click, {
      id: clickId, campaign: c.campaignId, at, country, segment, device: c.isBot ? 'bot' : 'desktop', source,
      referrer: c.referrerHost ?? null, bot: Boolean(c.isBot), reason: c.isBot ? (c.botReason ?? 'fixture-bot') : null,
    });
    if (!lastClick.has(c.campaignId) || lastClick.get(c.campaignId)! < at) lastClick.set(c.campaignId, at);

    for (const v of c.conversions ?? []) {
      const createdAt = v.at ? new Date(v.at) : new Date(at.getTime() + 5 * 60_000);
      const conversionId = uuidv7();
      push(conv, {
        id: conversionId, key: `fixture-${conversionId}`, click: clickId, campaign: c.campaignId, event: v.eventType ?? 'affiliate_click',
        value: v.value ?? null, currency: v.currency ?? null, country, segment, source, bot: Boolean(c.isBot), at: createdAt,
      });
    }
  }
  const client = await sql.connect();
  try {
    await client.query('begin');
    // The rollups come from the statement the click flush runs (core/analytics/rollup-sql.ts), over the rows inserted.
    await client.query(
      `with ins as (
         insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, referrer_host,
           destination_url, user_agent, is_bot, bot_reason)
         select id, $1, campaign, at, country, segment, device, source, referrer, 'https://merchant.example.com/product', 'fixture', bot, reason
           from unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bool[], $11::text[])
             as t(id, campaign, at, country, segment, device, source, referrer, bot, reason)
         returning handle, campaign_id, occurred_at as at, country, segment, source, browser, os, is_bot),
       ${clickRollupCtes('ins')}
       select 1`,
      [handle, ...Object.values(click)],
    );
    // As the conversions endpoint writes them: merchant-posted (the fixture's conversions are never unauthenticated),
    // a conversion without a currency rolled up in the reporting currency.
    await client.query(
      `with c as (
         insert into conversions (conversion_id, handle, idempotency_key, click_id, campaign_id, event_type, value, currency,
           body_hash, country, segment, source, click_is_bot, verified, authenticated, created_at)
         select id, $1, key, click, campaign, event, value, currency, 'fixture', country, segment, source, bot, not bot, true, at
           from unnest($2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::numeric[], $8::text[], $9::text[], $10::text[],
                       $11::text[], $12::bool[], $13::timestamptz[])
             as t(id, key, click, campaign, event, value, currency, country, segment, source, bot, at)
         returning *),
       keys as (insert into idempotency_keys (handle, idempotency_key, conversion_id, created_at) select $1, idempotency_key, conversion_id, created_at from c),
       rollup_source as (
         select handle, campaign_id, created_at as at, coalesce(currency, $14::text) as currency, country, segment, source, browser, os,
                verified, authenticated, value
           from c),
       ${(opts.before0021 ? conversionRollupCtesBefore0021 : conversionRollupCtes)('rollup_source')}
       select 1`,
      [handle, ...Object.values(conv), rollupCurrency(null)],
    );
    await client.query(
      `insert into campaign_stats (handle, campaign_id, last_click_at) select $1, * from unnest($2::text[], $3::timestamptz[])
       on conflict (handle, campaign_id) do update set last_click_at = greatest(campaign_stats.last_click_at, excluded.last_click_at)`,
      [handle, [...lastClick.keys()], [...lastClick.values()]],
    );
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  return { clickIds };
}

/** `count` clicks of one campaign, one a second from `start`, inserted set-wise with their rollups. */
export async function insertBulkClicks(sql: pg.Pool, handle: string, campaignId: string, count: number, start: Date) {
  await sql.query(
    `with ins as (
       insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, destination_url, user_agent, is_bot)
       select gen_random_uuid(), $1, $2, $3::timestamptz + make_interval(secs => i), 'US', 'desktop', 'desktop', 'direct',
              'https://merchant.example.com/product', 'fixture', false
         from generate_series(0, $4::int - 1) as i
       returning handle, campaign_id, occurred_at as at, country, segment, source, browser, os, is_bot),
     ${clickRollupCtes('ins')}
     select 1`,
    [handle, campaignId, start, count],
  );
}
