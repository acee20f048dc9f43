import { expect } from 'chai';
import { insertCampaigns } from '../support/analytics-fixtures.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

// Issue 18 item 4: on freshly written tables that were never analyzed, the export's plan must not
// recompute conversion totals per click. The tables' autovacuum is off so no ANALYZE can sneak in.
describe('analytics export on never-analyzed tables', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('exports 100k clicks with 5k conversions in a few seconds without ANALYZE', async function () {
    this.timeout(60_000);
    const h = await createHandle(server);
    await insertCampaigns(server.sql, h.handle, ['fresh']);
    // clicks is partitioned by month (migration 0020): the setting belongs to each partition.
    const { rows: parts } = await server.sql.query(`select inhrelid::regclass::text as name from pg_inherits where inhparent = 'clicks'::regclass`);
    for (const table of [...parts.map((p) => p.name), 'conversions']) await server.sql.query(`alter table ${table} set (autovacuum_enabled = false)`);
    await server.sql.query(
      `insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, destination_url, user_agent, is_bot)
       select gen_random_uuid(), $1, 'fresh', timestamptz '2026-11-01' + make_interval(secs => i), 'US', 'desktop', 'desktop', 'direct',
              'https://merchant.example.com/product', 'fixture', i % 7 = 0
         from generate_series(0, 99999) as i`,
      [h.handle],
    );
    // Every 20th click converts once, every 100th twice.
    await server.sql.query(
      `insert into conversions (conversion_id, handle, idempotency_key, click_id, campaign_id, event_type, value, currency, body_hash, created_at)
       select gen_random_uuid(), c.handle, 'k-' || c.click_id || '-' || n, c.click_id, c.campaign_id, 'affiliate_click', 12.5, 'USD', 'fixture',
              c.occurred_at + interval '1 minute'
         from (select *, row_number() over (order by occurred_at) as i from clicks where handle = $1) c
         cross join generate_series(1, 2) as n
        where c.i % 20 = 0 and (n = 1 or c.i % 100 = 0)`,
      [h.handle],
    );
    const { rows: stats } = await server.sql.query(
      `select coalesce(max(last_analyze), max(last_autoanalyze)) as analyzed from pg_stat_user_tables where relname in ('conversions', 'clicks') or relname like 'clicks\\_%'`,
    );
    expect(stats[0].analyzed).to.equal(null);

    const started = performance.now();
    const res = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=ndjson`).set(h.auth).expect(200);
    const ms = Math.round(performance.now() - started);
    const lines = res.text.trimEnd().split('\n');
    expect(lines).to.have.length(100_000);
    const converted = lines.map((l) => JSON.parse(l)).filter((r) => r.converted);
    expect(converted).to.have.length(5000);
    expect(converted.filter((r) => r.conversions === 2)).to.have.length(1000);
    console.log(`      100k-click export on never-analyzed tables: ${ms} ms`);
    expect(ms).to.be.below(20_000);
  });
});
