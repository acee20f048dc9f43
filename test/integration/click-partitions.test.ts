import { expect } from 'chai';
import pg from 'pg';
import pino from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { initOrm } from '../../core/db/orm.ts';
import { reconcile } from '../../core/analytics/reconcile.ts';
import type { ClickBuffer, ClickRow } from '../../core/redirect/click-buffer.ts';
import { clickByIdLateral } from '../../core/redirect/index.ts';
import type { ClickPartitions } from '../../core/redirect/click-partitions.ts';
import { insertBulkClicks, insertCampaigns, insertTraffic, type ClickSpec } from '../support/analytics-fixtures.ts';
import { codec, CONVERSIONS, clickThrough, partnerCampaign } from '../support/conversions.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const DAY = 86_400_000;
/** The first instant (UTC) of the month `offset` months from the current one. */
const month = (offset: number, day = 1) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, day));
};
const partitionOf = (d: Date) => `clicks_p${d.toISOString().slice(0, 7).replace('-', '')}`;

/** A click as the redirector hands it to the buffer. */
function clickRow(handle: string, campaignId: string, occurredAt: Date, clickId = uuidv7({ msecs: occurredAt.getTime() })): ClickRow {
  return {
    clickId, handle, campaignId, occurredAt, country: 'US', segment: 'desktop', device: 'desktop', source: 'direct', referrerHost: null,
    language: null, destinationUrl: 'https://merchant.example.com/', userAgent: 'test', ipHash: null, isBot: false, botReason: null,
    sub1: null, sub2: null, sub3: null, sub4: null, sub5: null,
  };
}

/** Which table each click of the handle lives in, by click id. */
async function homes(server: TestServer, handle: string): Promise<Record<string, string>> {
  const { rows } = await server.sql.query('select click_id, tableoid::regclass::text as home from clicks where handle = $1', [handle]);
  return Object.fromEntries(rows.map((r) => [r.click_id, r.home]));
}

const rowsOf = (server: TestServer, table: string) => server.sql.query(`select count(*)::int as n from ${table}`).then((r) => r.rows[0].n as number);

describe('partitioned clicks: migration 0020 on a table with data', () => {
  let db: TestDatabase;
  let server: TestServer;
  let original: { n: number; digest: string };
  const months = [-3, -2, -1, 0];
  const traffic: ClickSpec[] = months.flatMap((m) => Array.from({ length: 40 }, (_, i) => ({
    campaignId: i % 2 ? 'spring' : 'summer', at: new Date(month(m).getTime() + i * 3_600_000 + 1234),
    country: ['US', 'DE'][i % 2], isBot: i % 7 === 0, conversions: i % 5 === 0 ? [{ value: 10, currency: 'EUR' }] : [],
  })));

  before(async () => {
    db = await createTestDatabase();
    const orm = await initOrm(db.url, 2, pino({ level: 'silent' }));
    const sql = new pg.Pool({ connectionString: db.url, max: 2 });
    sql.on('error', () => {}); // a socket still closing when the database is dropped (as server.ts)
    try {
      await orm.getMigrator().up({ to: '0019-compressed-rollups' }); // the state 0020 finds
      await sql.query(`insert into tenants (handle, name, reporting_currency, public_conversions) values ('old', 'Old', 'EUR', 'accept')`);
      await insertCampaigns(sql, 'old', ['spring', 'summer']);
      await insertTraffic(sql, 'old', traffic, { before0021: true });
      await sql.query(`update clicks set sub1 = 'kept-' || left(click_id::text, 8) where country = 'DE'`);
      original = (await sql.query(`select count(*)::int as n, md5(string_agg(c::text, '|' order by click_id)) as digest from clicks c`)).rows[0];
    } finally {
      await sql.end();
      await orm.close();
    }
    server = await startTestServer({ db }); // applies 0020 on the rows in place
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('keeps every row and column as it was, each in its month\'s partition, with months ahead and an empty default', async () => {
    const after = (await server.sql.query(`select count(*)::int as n, md5(string_agg(c::text, '|' order by click_id)) as digest from clicks c`)).rows[0];
    expect(original.n).to.equal(160);
    expect(after).to.deep.equal(original);
    const { rows } = await server.sql.query(`select tableoid::regclass::text as home, count(*)::int as n from clicks group by 1 order by 1`);
    expect(rows).to.deep.equal(months.map((m) => ({ home: partitionOf(month(m)), n: 40 })));
    const list = await server.kernel.container.resolve<ClickPartitions>('clickPartitions').list();
    expect(list.map((p) => p.name)).to.deep.equal([-3, -2, -1, 0, 1, 2].map((m) => partitionOf(month(m))));
    expect(await rowsOf(server, 'clicks_default')).to.equal(0);
    const kind = await server.sql.query(`select relkind from pg_class where relname = 'clicks'`);
    expect(kind.rows[0].relkind).to.equal('p');
    // The indexes of the old table came along, on every partition.
    const idx = await server.sql.query(`select indexname from pg_indexes where tablename = $1 order by 1`, [partitionOf(month(-3))]);
    expect(idx.rows.map((r) => r.indexname)).to.have.length(3);
  });

  it('reconciles the migrated handle across its four months (funnel, export rows, raw tables, rollups)', async () => {
    const report = await reconcile(server.sql, 'old');
    expect(report.mismatches).to.deep.equal([]);
    expect(report.raw.clicks).to.equal(160);
    expect(report.export.rows).to.equal(160);
    expect(report.raw.conversionsWithoutClick).to.equal(0);
  });

  it('verifies a conversion on a migrated click from three months ago (found whatever its id says)', async () => {
    const { rows } = await server.sql.query(
      `select click_id, occurred_at, country from clicks where handle = 'old' and campaign_id = 'spring' and not is_bot and occurred_at < $1 order by occurred_at limit 1`,
      [month(-2)],
    );
    const ctx = codec(server).sign({ clickId: rows[0].click_id, handle: 'old', campaignId: 'spring', issuedAt: rows[0].occurred_at, windowDays: 365 });
    const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'migrated-1' }).expect(201);
    const stored = await server.sql.query('select verified, country from conversions where conversion_id = $1', [res.body.conversionId]);
    expect(stored.rows[0]).to.deep.equal({ verified: true, country: rows[0].country });
    expect(rows[0].country).to.equal('DE');
  });
});

describe('partitioned clicks on a running server', () => {
  let server: TestServer;
  let buffer: ClickBuffer;
  let partitions: ClickPartitions;
  let h: Awaited<ReturnType<typeof partnerCampaign>>;

  before(async () => {
    server = await startTestServer({ redis: false });
    buffer = server.kernel.container.resolve<ClickBuffer>('clickBuffer');
    partitions = server.kernel.container.resolve<ClickPartitions>('clickPartitions');
    h = await partnerCampaign(server);
  });
  after(async () => server?.close());

  it('stores a click of a month with no partition in the default one, and the daily run moves it into its own month', async () => {
    const old = clickRow(h.handle, h.campaignId, new Date('2019-05-17T10:00:00.123Z'));
    const ahead = clickRow(h.handle, h.campaignId, month(7, 3));
    buffer.push(old);
    buffer.push(ahead);
    await buffer.flush();
    expect(await homes(server, h.handle)).to.deep.equal({ [old.clickId]: 'clicks_default', [ahead.clickId]: 'clicks_default' });
    expect(await partitions.ensure()).to.equal(2);
    expect(await homes(server, h.handle)).to.deep.equal({ [old.clickId]: 'clicks_p201905', [ahead.clickId]: partitionOf(month(7)) });
    expect(await rowsOf(server, 'clicks_default')).to.equal(0);
    expect(await partitions.ensure()).to.equal(0); // nothing more to do: running twice (or in two processes) is harmless
  });

  it('adds nothing twice when the same batch is flushed again (rows, rollups, last click)', async () => {
    const batch = [clickRow(h.handle, 'partner-alpha', month(-1, 20)), clickRow(h.handle, 'partner-alpha', month(0, 1)),
      clickRow(h.handle, 'partner-alpha', new Date('2018-01-01T00:00:00Z'))];
    const totals = async () => (await server.sql.query(
      `select (select count(*)::int from clicks where handle = $1) as rows,
              (select coalesce(sum(clicks), 0)::int from click_rollups where handle = $1) as rolled`, [h.handle])).rows[0];
    const start = await totals();
    for (const r of batch) buffer.push(r);
    await buffer.flush();
    const once = await totals();
    expect(once).to.deep.equal({ rows: start.rows + 3, rolled: start.rolled + 3 });
    // A retry after a commit whose answer was lost: the very same rows again, partition by partition.
    for (const r of batch) buffer.push({ ...r });
    await buffer.flush();
    expect(await totals()).to.deep.equal(once);
    expect(buffer.size).to.equal(0);
  });

  it('finds a click by id in its own month only (EXPLAIN ANALYZE over 26 partitions), and any click by the fallback', async () => {
    await server.sql.query(`select click_partition_ensure(now() - make_interval(months => i)) from generate_series(1, 24) i`);
    expect((await partitions.list()).length).to.be.at.least(26);
    const ctx = await clickThrough(server, h.handle, h.slug);
    const clickId = codec(server).verify(ctx).ok ? (codec(server).verify(ctx) as { claims: { clickId: string } }).claims.clickId : '';
    const lookup = (id: string) => ({
      text: `select i.click_id, c.occurred_at from unnest($1::uuid[], $2::text[], $3::text[]) as i(click_id, handle, campaign_id)
               left join lateral ${clickByIdLateral('i.click_id', 'i.handle', 'i.campaign_id')} c on true`,
      values: [[id], [h.handle], [h.campaignId]],
    });
    let found: unknown = null;
    for (let i = 0; i < 100 && !found; i++) {
      found = (await server.sql.query(lookup(clickId))).rows[0].occurred_at;
      if (!found) await new Promise((r) => setTimeout(r, 20));
    }
    expect(found).to.be.instanceOf(Date);
    // Many clicks of the same handle around it, on a partition without statistics: the probe must
    // still walk the primary key to the one row, not the handle's clicks of the window.
    await insertBulkClicks(server.sql, h.handle, h.campaignId, 2000, new Date(Date.now() - 30 * 60_000));
    const q = lookup(clickId);
    const plan = (await server.sql.query({ text: `explain (analyze, format json) ${q.text}`, values: q.values })).rows[0]['QUERY PLAN'];
    const scanned: string[] = [];
    const probes: { index: unknown; removed: number }[] = [];
    const walk = (node: Record<string, unknown>) => {
      if (typeof node['Relation Name'] === 'string' && Number(node['Actual Loops']) > 0) {
        scanned.push(node['Relation Name'] as string);
        probes.push({ index: node['Index Name'], removed: Number(node['Rows Removed by Filter'] ?? 0) });
      }
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk(plan[0].Plan);
    expect(scanned).to.deep.equal([partitionOf(new Date())]);
    expect(probes).to.deep.equal([{ index: `${partitionOf(new Date())}_pkey`, removed: 0 }]);

    // A click whose id does not carry its time (written by another tool) is still found: every partition is probed.
    const foreign = clickRow(h.handle, h.campaignId, month(-5, 9), '6f1c1a52-3c2e-4a6c-9a5e-0a0f3c1d2e3f');
    buffer.push(foreign);
    await buffer.flush();
    const row = (await server.sql.query(lookup(foreign.clickId))).rows[0];
    expect(row.occurred_at.toISOString()).to.equal(month(-5, 9).toISOString());
  });

  it('records a conversion on a real click as verified with its click\'s facts', async () => {
    const ctx = await clickThrough(server, h.handle, h.slug, { 'cf-ipcountry': 'FR' });
    const clickId = (codec(server).verify(ctx) as { claims: { clickId: string } }).claims.clickId;
    for (let i = 0; i < 100; i++) {
      if ((await server.sql.query('select 1 from clicks where click_id = $1', [clickId])).rowCount) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'live-1' }).expect(201);
    const stored = await server.sql.query('select verified, country, click_id from conversions where conversion_id = $1', [res.body.conversionId]);
    expect(stored.rows[0]).to.deep.equal({ verified: true, country: 'FR', click_id: clickId });
  });
});

describe('CLICK_RETENTION_DAYS: whole months of clicks dropped, rollups kept', () => {
  let server: TestServer;
  let partitions: ClickPartitions;
  let h: Awaited<ReturnType<typeof partnerCampaign>>;
  const analytics = async (query: string) =>
    (await server.http.get(`/v2/handles/${h.handle}/analytics?${query}`).set(h.auth).expect(200)).body;

  before(async () => {
    server = await startTestServer({ redis: false, env: { CLICK_RETENTION_DAYS: '35' } });
    partitions = server.kernel.container.resolve<ClickPartitions>('clickPartitions');
    h = await partnerCampaign(server, { reportingCurrency: 'EUR' });
    await insertTraffic(server.sql, h.handle, [-3, -2, -1, 0].flatMap((m) => Array.from({ length: 30 }, (_, i) => ({
      campaignId: h.campaignId, at: new Date(month(m).getTime() + i * 3_600_000), country: ['US', 'DE', 'FR'][i % 3],
      isBot: i % 6 === 0, conversions: i % 4 === 0 ? [{ value: 5, currency: 'EUR' }] : [],
    }))));
  });
  after(async () => server?.close());

  it('drops the months entirely older than the retention, leaves the rest, and the analytics add up as before', async () => {
    const funnel = await analytics('funnel=true');
    const byCountry = await analytics('groupBy=country');
    expect(funnel.totals).to.include({ clicks: 120, conversions: 32 });
    expect(await partitions.ensure()).to.equal(3); // the three past months waited in the default partition
    // A day into this month with 35 days of retention: only the month that ended over 35 days ago goes.
    expect(await partitions.dropExpired(month(0, 2))).to.deep.equal([partitionOf(month(-3))]);
    const left = await server.sql.query(
      'select count(*)::int as n, min(occurred_at) as oldest from clicks where handle = $1', [h.handle]);
    expect(left.rows[0].n).to.equal(90);
    expect(left.rows[0].oldest.toISOString()).to.equal(month(-2).toISOString());
    expect(await partitions.dropExpired(month(0, 2))).to.deep.equal([]); // nothing more to drop
    expect(await analytics('funnel=true')).to.deep.equal(funnel);
    expect(await analytics('groupBy=country')).to.deep.equal(byCountry);
    expect((await server.sql.query('select count(*)::int as n from conversions where handle = $1', [h.handle])).rows[0].n).to.equal(32);
    // Reconcile compares every view from the first kept month: the dropped clicks are not a mismatch.
    const report = await reconcile(server.sql, h.handle);
    expect(report.mismatches).to.deep.equal([]);
    expect(report.clicksKeptFrom).to.equal(month(-2).toISOString());
    expect(report.raw.clicks).to.equal(90);
    // The export holds the clicks still kept.
    const csv = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=ndjson`).set(h.auth).expect(200);
    expect(csv.text.trimEnd().split('\n')).to.have.length(90);
  });

  it("keeps a campaign's breakdowns over a dropped month: day-precise at window edges (raw clicks are gone), hour-precise where rollups are hourly", async () => {
    // Month -3's first 30 hours, cut at hour edges: [day 1 12:00, day 2 06:00) holds 18 of its clicks.
    const from = new Date(month(-3).getTime() + 12 * 3_600_000).toISOString();
    const to = new Date(month(-3).getTime() + 30 * 3_600_000).toISOString();
    const w = `campaignId=${h.campaignId}&from=${from}&to=${to}`;
    // The same window widened to whole UTC days: what a dimension breakdown can still answer.
    const days = `campaignId=${h.campaignId}&from=${month(-3).toISOString()}&to=${new Date(month(-3).getTime() + 48 * 3_600_000).toISOString()}`;
    expect(await partitions.dropExpired(month(0, 2))).to.deep.equal([]); // dropped by the test above (or now)
    const funnel = await analytics(`funnel=true&${w}`);
    expect(funnel.totals.clicks).to.equal(18);
    const wholeDays = (await analytics(`funnel=true&${days}`)).totals.clicks;
    expect(wholeDays).to.be.above(18);
    const sum = async (query: string) => ((await analytics(query)).data as Array<{ clicks: number }>).reduce((n, r) => n + r.clicks, 0);
    for (const groupBy of ['hour', 'campaign']) expect(await sum(`groupBy=${groupBy}&${w}`), `groupBy=${groupBy}`).to.equal(18);
    for (const groupBy of ['country', 'segment', 'browser', 'os']) expect(await sum(`groupBy=${groupBy}&${w}`), `groupBy=${groupBy}`).to.equal(wholeDays);
    // From half past 12:00: that partial hour's raw clicks are gone with their month, so the window is read as from
    // 12:00 (the rollups around it: hour-precise where hourly, day-precise where daily), never as 0.
    const halfPast = `campaignId=${h.campaignId}&from=${new Date(Date.parse(from) + 1_800_000).toISOString()}&to=${to}`;
    expect((await analytics(`funnel=true&${halfPast}`)).totals.clicks).to.equal(18);
    for (const groupBy of ['hour', 'campaign']) expect(await sum(`groupBy=${groupBy}&${halfPast}`), `groupBy=${groupBy} from half past`).to.equal(18);
    for (const groupBy of ['country', 'browser']) expect(await sum(`groupBy=${groupBy}&${halfPast}`), `groupBy=${groupBy} from half past`).to.equal(wholeDays);
  });

  it('reads each end of a window apart: a dropped start from the rollups, a kept end to the instant, an open start ending in a dropped hour whole', async () => {
    // A campaign of its own, clicks at :00 and :45 of its first hours in month -3 (dropped) and month -2 (kept).
    await insertCampaigns(server.sql, h.handle, ['edges']);
    await insertTraffic(server.sql, h.handle, [-3, -2].flatMap((m) => [0, 1, 2].flatMap((hour) => [0, 45].map((minute) => ({
      campaignId: 'edges', at: new Date(month(m).getTime() + hour * 3_600_000 + minute * 60_000), country: 'US',
    })))));
    // Month -3's partition went with the tests above: its new raw rows sit in the default partition. Gone as they would be.
    await server.sql.query(`delete from clicks where handle = $1 and campaign_id = 'edges' and occurred_at < $2`, [h.handle, month(-2)]);
    const clicks = async (from: Date | null, to: Date) =>
      (await analytics(`funnel=true&campaignId=edges${from ? `&from=${from.toISOString()}` : ''}&to=${to.toISOString()}`)).totals.clicks;
    const at = (m: number, minutes: number) => new Date(month(m).getTime() + minutes * 60_000);
    // From 01:00 of the dropped month (on the hour: nothing to guess) to 01:30 of the kept one: month -3's 01:00-02:45
    // (4, from the rollups) and month -2's 00:00, 00:45, 01:00 (the 01:45 click is after `to`).
    expect(await clicks(at(-3, 60), at(-2, 90))).to.equal(7);
    // And the next window takes the rest of that hour: nothing counted twice.
    expect(await clicks(at(-2, 90), at(-2, 120))).to.equal(1);
    // From half past 00:00 of the dropped month: that hour counts whole (its raw clicks are gone), the kept end exactly.
    expect(await clicks(at(-3, 30), at(-2, 90))).to.equal(9);
    // No start, an end inside a dropped hour: that hour whole from the rollups, not 0.
    expect(await clicks(null, at(-3, 90))).to.equal(4);
  });

  it('keeps clicks forever when CLICK_RETENTION_DAYS is 0 (the default)', async () => {
    const forever = await startTestServer({ redis: false });
    try {
      const p = forever.kernel.container.resolve<ClickPartitions>('clickPartitions');
      expect(await p.dropExpired(new Date('2999-01-01T00:00:00Z'))).to.deep.equal([]);
      expect((await p.list()).length).to.equal(3);
    } finally {
      await forever.close();
    }
  });

  it('purges the per-click conversion counts of clicks past the attribution horizon, and only those', async () => {
    const now = Date.now();
    const old = uuidv7({ msecs: now - 367 * DAY });
    const recent = uuidv7({ msecs: now - 200 * DAY });
    const foreign = '6f1c1a52-3c2e-4a6c-9a5e-0a0f3c1d2e3f';
    await server.sql.query(
      `insert into click_conversion_counts (click_id, event_type, conversions) select unnest($1::uuid[]), 'sale', 1`, [[old, recent, foreign]]);
    const purge = server.kernel.container.resolve<{ purgeExpired(): Promise<number> }>('clickCountRetention');
    expect(await purge.purgeExpired()).to.equal(1);
    const { rows } = await server.sql.query('select click_id from click_conversion_counts where click_id = any($1::uuid[]) order by 1', [[old, recent, foreign]]);
    expect(rows.map((r) => r.click_id)).to.have.members([recent, foreign]);
  });
});
