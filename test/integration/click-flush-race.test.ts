import { expect } from 'chai';
import pg from 'pg';
import pino from 'pino';
import { ClickBuffer, type ClickRow } from '../../core/redirect/click-buffer.ts';
import { newClickId } from '../../core/redirect/click-id.ts';
import { noSubscribers } from '../support/click-buffer.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// Two processes flushing clicks at once upsert the same rollup rows (a campaign's hour, day and total, each dimension
// value's day, the handle's hours and days, the last-click times): each flush statement locks them in one fixed order
// (core/analytics/rollup-sql.ts, campaign_stats in click-buffer.ts), so the second waits for the first instead of
// deadlocking. Here two connections, each a ClickBuffer's as in two servers, flush batches over the same campaigns and
// visitor values at the same moment, their clicks arriving in opposite orders, round after round. With every upsert's
// `order by` made random() instead, this failed within 6 rounds in each of 4 runs (deadlock detected, 40P01); with only
// the rollups' random and campaign_stats' kept, it passed: the first upsert both reach then queues the second behind the first.

// Enough distinct rows that each table's upserts take a while, so the two statements are inside the same table at once
// (with 40 campaigns, random orders did not deadlock).
const CAMPAIGNS = Array.from({ length: 600 }, (_, i) => `c${i}`);
const COUNTRIES = Array.from({ length: 26 }, (_, i) => `A${String.fromCharCode(65 + i)}`);
const SEGMENTS = ['desktop', 'mobile', 'tablet'];
const SOURCES = Array.from({ length: 20 }, (_, i) => `source-${i}`);
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
];

/** Click `i` of a batch of PER_BATCH: every campaign and visitor value turns up in every batch, in many combinations. */
function click(i: number): ClickRow {
  return {
    clickId: newClickId(), handle: 'race', campaignId: CAMPAIGNS[i % CAMPAIGNS.length], occurredAt: new Date(),
    country: COUNTRIES[(i * 7) % COUNTRIES.length], segment: SEGMENTS[i % SEGMENTS.length], device: 'desktop',
    source: SOURCES[(i * 3) % SOURCES.length], referrerHost: null, language: 'en', destinationUrl: 'https://merchant.example/',
    userAgent: AGENTS[i % AGENTS.length], ipHash: null, isBot: i % 10 === 0, botReason: null,
    sub1: null, sub2: null, sub3: null, sub4: null, sub5: null,
  };
}
const PER_BATCH = 1560;

describe('click flush race: two writers of the same rollup rows at once wait for each other, never deadlock', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const pools: pg.Pool[] = [];

  before(async () => {
    db = await createTestDatabase({ migrated: true });
    const sql = new pg.Pool({ connectionString: db.url, max: 1 });
    pools.push(sql);
    await sql.query(`insert into tenants (handle, name, reporting_currency) values ('race', 'Race', 'USD')`);
    await sql.query(
      `insert into campaigns (handle, campaign_id, goal_type, status, tracking_preset, conversion_event, slug, destination_url)
       select 'race', c, 'AFFILIATE_CLICKOUT', 'ACTIVE', 'custom_webhook', 'affiliate_click', c, 'https://merchant.example/' from unnest($1::text[]) c`,
      [CAMPAIGNS],
    );
  });

  after(async () => {
    for (const pool of pools) {
      // pool.end() resolves before its backends have gone, and dropping the database ends any still there: that client's
      // late error is expected, not this test's failure.
      pool.on('error', () => {});
      await pool.end();
    }
    await db?.drop();
  });

  it('every batch of both is written at once, and every rollup sums every click once', async () => {
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const buffers = [0, 1].map(() => {
      const pool = new pg.Pool({ connectionString: db.url, max: 1 });
      pools.push(pool);
      return new ClickBuffer({ pg: pool, oneMessage: true, outbox: noSubscribers, log, flushMs: 1e9, batchSize: 1000, maxBuffered: 100_000 });
    });
    const rounds = 10;
    const perBatch = PER_BATCH;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < perBatch; i++) {
        buffers[0].push(click(i));
        buffers[1].push(click(perBatch - 1 - i));
      }
      await Promise.all(buffers.map((b) => b.flush()));
      // A batch that failed (a deadlock: 40P01) stays in its buffer, and its warning says why.
      expect(warnings, `round ${round}`).to.deep.equal([]);
      expect(buffers.map((b) => b.size), `round ${round}`).to.deep.equal([0, 0]);
    }
    const total = rounds * perBatch * 2;
    const [sql] = pools;
    const one = async (q: string) => Number((await sql.query(q)).rows[0].n);
    expect(await one('select count(*) as n from clicks')).to.equal(total);
    expect(await one('select sum(clicks) as n from click_rollups')).to.equal(total);
    expect(await one('select sum(clicks) as n from funnel_click_days')).to.equal(total);
    expect(await one('select sum(clicks) as n from funnel_click_totals')).to.equal(total);
    expect(await one('select sum(qualified_clicks) as n from funnel_click_totals')).to.equal((total * 9) / 10);
    for (const table of ['analytics_dimension_days', 'analytics_handle_dimension_days', 'analytics_handle_dimension_hours']) {
      const { rows } = await sql.query(`select dimension, sum(clicks)::int as n from ${table} group by 1 order by 1`);
      expect(rows, table).to.deep.equal(['browser', 'country', 'os', 'segment', 'source'].map((dimension) => ({ dimension, n: total })));
    }
    const { rows: byCountry } = await sql.query(`select key, sum(clicks)::int as n from analytics_dimension_days where dimension = 'country' group by 1 order by 1`);
    expect(byCountry).to.deep.equal([...COUNTRIES].sort().map((key) => ({ key, n: total / COUNTRIES.length })));
    expect(await one('select count(*) as n from campaign_stats where last_click_at is not null')).to.equal(CAMPAIGNS.length);
  });
});
