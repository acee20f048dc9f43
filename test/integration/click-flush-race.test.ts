import { expect } from 'chai';
import pg from 'pg';
import pino from 'pino';
import { ClickBuffer, type ClickRow } from '../../core/redirect/click-buffer.ts';
import { newClickId } from '../../core/redirect/click-id.ts';
import { noSubscribers } from '../support/click-buffer.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// Two processes flushing clicks of one handle at once upsert the same handle-wide rollup rows (each dimension value's
// hour and day): each flush statement locks them in one fixed order (core/analytics/rollup-sql.ts), so the second waits
// for the first instead of deadlocking. Here two connections, each a ClickBuffer's as in two servers, flush batches at the
// same moment, round after round: their campaigns differ (so no campaign row, such as campaign_stats', queues one behind
// the other before the handle-wide rows: with shared campaigns that first upsert hid any order below it), their visitors'
// countries and sources are the same ~1,000 values, arriving in opposite orders. With the rollups' `order by` made
// random() instead, this failed (deadlock detected, 40P01); see docs/performance.md.

const HALF = 300; // campaigns of each writer
const COUNTRIES = Array.from({ length: 26 * 26 }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)));
const SOURCES = Array.from({ length: 300 }, (_, i) => `source-${i}`);
const SEGMENTS = ['desktop', 'mobile', 'tablet'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
];
const PER_BATCH = 1560;
const ROUNDS = 8;

/** Click `i` of writer `w`'s batch: its own campaigns, the shared visitor values. */
function click(w: number, i: number): ClickRow {
  return {
    clickId: newClickId(), handle: 'race', campaignId: `c${w * HALF + (i % HALF)}`, occurredAt: new Date(),
    country: COUNTRIES[(i * 7) % COUNTRIES.length], segment: SEGMENTS[i % SEGMENTS.length], device: 'desktop',
    source: SOURCES[(i * 11) % SOURCES.length], referrerHost: null, language: 'en', destinationUrl: 'https://merchant.example/',
    userAgent: AGENTS[i % AGENTS.length], ipHash: null, isBot: i % 10 === 0, botReason: null,
    sub1: null, sub2: null, sub3: null, sub4: null, sub5: null,
  };
}

describe('click flush race: two writers of the same rollup rows at once wait for each other, never deadlock', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const pools: pg.Pool[] = [];
  const buffers: ClickBuffer[] = [];

  before(async () => {
    db = await createTestDatabase({ migrated: true });
    const sql = new pg.Pool({ connectionString: db.url, max: 1 });
    pools.push(sql);
    await sql.query(`insert into tenants (handle, name, reporting_currency) values ('race', 'Race', 'USD')`);
    await sql.query(
      `insert into campaigns (handle, campaign_id, goal_type, status, tracking_preset, conversion_event, slug, destination_url)
       select 'race', 'c' || i, 'AFFILIATE_CLICKOUT', 'ACTIVE', 'custom_webhook', 'affiliate_click', 'c' || i, 'https://merchant.example/'
         from generate_series(0, $1::int - 1) i`,
      [2 * HALF],
    );
  });

  after(async () => {
    for (const buffer of buffers) await buffer.close(1000);
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
    for (let w = 0; w < 2; w++) {
      const pool = new pg.Pool({ connectionString: db.url, max: 1 });
      pools.push(pool);
      buffers.push(new ClickBuffer({ pg: pool, oneMessage: true, outbox: noSubscribers, log, flushMs: 1e9, batchSize: 1000, maxBuffered: 100_000 }));
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_BATCH; i++) {
        buffers[0].push(click(0, i));
        buffers[1].push(click(1, PER_BATCH - 1 - i));
      }
      await Promise.all(buffers.map((b) => b.flush()));
      // A batch that failed (a deadlock: 40P01) stays in its buffer, and its warning says why.
      expect(warnings, `round ${round}`).to.deep.equal([]);
      expect(buffers.map((b) => b.size), `round ${round}`).to.deep.equal([0, 0]);
    }

    const total = ROUNDS * PER_BATCH * 2;
    const [sql] = pools;
    const rows = async (q: string) => (await sql.query(q)).rows;
    expect(await rows('select count(*)::int as n, count(*) filter (where not is_bot)::int as q from clicks')).to.deep.equal([{ n: total, q: (total * 9) / 10 }]);
    for (const table of ['click_rollups', 'funnel_click_days', 'funnel_click_totals']) {
      expect(await rows(`select sum(clicks)::int as n, sum(qualified_clicks)::int as q from ${table}`), table).to.deep.equal([{ n: total, q: (total * 9) / 10 }]);
    }
    // Every dimension value's sums, handle-wide (hours and days) and per campaign, are the raw rows' counts.
    for (const dimension of ['country', 'segment', 'source', 'browser', 'os']) {
      const raw = await rows(`select ${dimension}::text as key, count(*)::int as n from clicks group by 1 order by 1`);
      for (const table of ['analytics_handle_dimension_hours', 'analytics_handle_dimension_days']) {
        const rolled = await rows(`select key, sum(clicks)::int as n from ${table} where dimension = '${dimension}' group by 1 order by 1`);
        expect(rolled, `${table} ${dimension}`).to.deep.equal(raw);
      }
      const rawByCampaign = await rows(`select campaign_id, ${dimension}::text as key, count(*)::int as n from clicks group by 1, 2 order by 1, 2`);
      const rolledByCampaign = await rows(
        `select campaign_id, key, sum(clicks)::int as n from analytics_dimension_days where dimension = '${dimension}' group by 1, 2 order by 1, 2`,
      );
      expect(rolledByCampaign, `analytics_dimension_days ${dimension}`).to.deep.equal(rawByCampaign);
    }
    expect(await rows('select count(*)::int as n from campaign_stats where last_click_at is not null')).to.deep.equal([{ n: 2 * HALF }]);
  });
});
