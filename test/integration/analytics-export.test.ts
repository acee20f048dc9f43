import http from 'node:http';
import type pg from 'pg';
import { expect } from 'chai';
import { EXPORT_COLUMNS } from '../../core/analytics/csv.ts';
import { reconcile } from '../../core/analytics/reconcile.ts';
import { insertBulkClicks, insertCampaigns, insertTraffic, type ClickSpec } from '../support/analytics-fixtures.ts';
import { csvObjects, parseCsv } from '../support/csv-parse.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';
import { partnerHandle } from '../support/partner-traffic.ts';

type Row = Record<string, unknown>;

/** What an export adds up to, in the funnel's terms. */
function sums(rows: Row[]) {
  const valueByCurrency: Record<string, number> = {};
  let conversions = 0;
  for (const r of rows) {
    conversions += Number(r.conversions);
    if (r.value !== '' && r.value !== null && /^[A-Z]{3}$/.test(String(r.currency))) {
      valueByCurrency[String(r.currency)] = Math.round(((valueByCurrency[String(r.currency)] ?? 0) + Number(r.value)) * 100) / 100;
    }
  }
  return {
    clicks: rows.length,
    qualifiedClicks: rows.filter((r) => String(r.isBot) === 'false').length,
    conversions,
    valueByCurrency: Object.fromEntries(Object.entries(valueByCurrency).sort()),
  };
}

/** A seeded generator so the reconciliation data set is the same on every run. */
function random(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

describe('analytics exports and reconciliation', () => {
  let server: TestServer;
  let h: Awaited<ReturnType<typeof partnerHandle>>;

  before(async () => {
    server = await startTestServer();
    h = await partnerHandle(server);
  });
  after(async () => server?.close());

  it('exports one CSV row per click, header first, RFC 4180, adding up to the funnel', async () => {
    const res = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=csv`).set(h.auth).buffer(true).parse((r, cb) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => cb(null, text));
    }).expect(200);
    expect(res.headers['content-type']).to.match(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).to.match(new RegExp(`^attachment; filename="tenx-${h.handle}-all-\\d{8}T\\d{6}Z\\.csv"$`));
    const text = res.body as string;
    expect(parseCsv(text)[0]).to.deep.equal([...EXPORT_COLUMNS]);
    const rows = csvObjects(text);
    const funnel = (await server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true`).set(h.auth).expect(200)).body.totals;
    expect(sums(rows)).to.deep.equal({ clicks: funnel.clicks, qualifiedClicks: funnel.qualifiedClicks, conversions: funnel.conversions, valueByCurrency: funnel.revenueByCurrency });
    expect(rows.map((r) => r.occurredAt)).to.deep.equal([...rows.map((r) => r.occurredAt)].sort());
    expect(rows[0]).to.include({ campaignId: 'partner-alpha', occurredAt: '2026-02-23T08:00:00.000Z', country: 'US', converted: 'false', conversions: '0', value: '', currency: '' });
    const first = rows.find((r) => r.referrer === 't.co' && r.segment === 'desktop')!;
    expect(first).to.include({ source: 'twitter', isBot: 'false', converted: 'true', conversions: '1', value: '24.99', currency: 'USD' });
    // A bot reason that looks like a spreadsheet formula is defused and quoted.
    const bot = rows.find((r) => r.country === 'FR')!;
    expect(bot).to.include({ isBot: 'true', botReason: `'=HYPERLINK("http://evil")` });
    expect(text).to.include(`"'=HYPERLINK(""http://evil"")"`);
  });

  it('exports NDJSON with typed values that add up to one partner\'s funnel', async () => {
    const res = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=ndjson&campaignId=partner-alpha`).set(h.auth).buffer(true).parse((r, cb) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => cb(null, text));
    }).expect(200);
    expect(res.headers['content-type']).to.match(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).to.include('-partner-alpha-');
    const rows = (res.body as string).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(Object.keys(rows[0])).to.deep.equal([...EXPORT_COLUMNS]);
    expect(rows[0]).to.include({ isBot: false, converted: false, conversions: 0, value: null });
    const funnel = (await server.http.get(`/v2/handles/${h.handle}/analytics?funnel=true&campaignId=partner-alpha`).set(h.auth).expect(200)).body.totals;
    expect(sums(rows)).to.deep.equal({ clicks: 7, qualifiedClicks: 6, conversions: 3, valueByCurrency: { EUR: 10, USD: 30 } });
    expect(sums(rows)).to.deep.equal({ clicks: funnel.clicks, qualifiedClicks: funnel.qualifiedClicks, conversions: funnel.conversions, valueByCurrency: funnel.revenueByCurrency });
  });

  it('filters exports by time like the funnel, and refuses unknown campaigns and formats', async () => {
    const res = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=ndjson&from=2026-02-25T00:00:00Z&to=2026-02-25T10:00:00Z`).set(h.auth).expect(200);
    const lines = res.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((r) => r.occurredAt)).to.deep.equal(['2026-02-25T00:30:00.000Z', '2026-02-25T01:00:00.000Z', '2026-02-25T09:00:00.000Z', '2026-02-25T09:30:00.000Z']);
    // Quotes, commas, a line break and a backslash survive both formats unchanged.
    const reason = 'ua "curl", line1\nline2 \\path';
    expect(lines[0].botReason).to.equal(reason);
    const csv = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=csv&campaignId=partner-beta`).set(h.auth).expect(200);
    expect(csvObjects(csv.text).find((r) => r.country === 'GB')!.botReason).to.equal(reason);
    await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=csv&campaignId=partner-nope`).set(h.auth).expect(404);
    const bad = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=xlsx`).set(h.auth).expect(400);
    expect(bad.body.error.details[0].pointer).to.equal('/query/format');
  });

  it('reconciles funnel totals, export rows and raw tables on a data set with bots, repeats and currencies', async () => {
    const r = await createHandle(server, undefined, { reportingCurrency: 'EUR' });
    const ids = ['rec-a', 'rec-b', 'rec-c'];
    await insertCampaigns(server.sql, r.handle, [...ids, { campaignId: 'rec-old', status: 'ARCHIVED' }]);
    const rand = random(42);
    const currencies = ['EUR', 'USD', 'GBP', null];
    const clicks: ClickSpec[] = Array.from({ length: 400 }, (_, i) => {
      const conversions = rand() < 0.25 ? Array.from({ length: rand() < 0.2 ? 2 : 1 }, () => {
        const currency = currencies[Math.floor(rand() * 4)];
        return { currency, value: currency ? Math.round(rand() * 10_000) / 100 : null };
      }) : [];
      return {
        campaignId: [...ids, 'rec-old'][i % 4], at: new Date(Date.UTC(2026, 10, 1) + i * 997_000),
        country: ['US', 'DE', 'FR'][i % 3], source: ['direct', 'email', 'twitter'][i % 5 % 3], isBot: rand() < 0.3, conversions,
      };
    });
    // One click converted twice in two currencies: the export cannot add those up, the funnel can.
    clicks.push({ campaignId: 'rec-a', at: '2026-11-20T10:00:00Z', conversions: [{ value: 5, currency: 'EUR' }, { value: 7, currency: 'USD' }] });
    // A conversion without a value adds no currency: USD 10 stays on its row (it was lost as "EUR USD").
    clicks.push({ campaignId: 'rec-a', at: '2026-11-20T11:00:00Z', conversions: [{ value: 10, currency: 'USD' }, { currency: 'EUR' }] });
    await insertTraffic(server.sql, r.handle, clicks);
    const report = await reconcile(server.sql, r.handle);
    expect(report.mismatches).to.deep.equal([]);
    expect(report.ok).to.equal(true);
    expect(report.raw.clicks).to.equal(402);
    expect(report.export.rows).to.equal(402);
    const mixed = clicks.filter((c) => new Set((c.conversions ?? []).filter((v) => v.value != null).map((v) => v.currency).filter(Boolean)).size > 1);
    expect(mixed.length).to.be.greaterThan(1);
    expect(report.export.mixedCurrencyRows).to.equal(mixed.length);
    // tenx reconcile prints the views' VALUE side by side: a note says why the export's is smaller.
    expect(report.notes.some((n) => n.startsWith(`${mixed.length} export row(s) hold conversions in several currencies`)), report.notes.join('; ')).to.equal(true);
    expect(Object.keys(report.funnel.valueByCurrency)).to.deep.equal(['EUR', 'GBP', 'USD']);
    expect(report.funnel.qualifiedClicks).to.be.within(220, 340);

    const funnel = (await server.http.get(`/v2/handles/${r.handle}/analytics?funnel=true&includeArchived=true`).set(r.auth).expect(200)).body.totals;
    expect(funnel).to.include({ clicks: 402, conversions: report.raw.conversions, revenue: report.raw.valueByCurrency.EUR });
    const csv = await server.http.get(`/v2/handles/${r.handle}/analytics/export?format=csv&includeArchived=true`).set(r.auth).expect(200);
    const rows = csvObjects(csv.text);
    expect(sums(rows)).to.deep.include({ clicks: 402, qualifiedClicks: report.raw.qualifiedClicks, conversions: report.raw.conversions });
    const mixedRows = rows.filter((x) => String(x.currency).includes(' '));
    expect(mixedRows).to.have.length(mixed.length);
    expect(mixedRows.every((x) => x.value === '' && x.converted === 'true')).to.equal(true);
    expect(mixedRows.map((x) => x.currency)).to.include('EUR USD');
    expect(rows.filter((x) => x.occurredAt === '2026-11-20T11:00:00.000Z').map((x) => [x.conversions, x.value, x.currency])).to.deep.equal([['2', '10', 'USD']]);

    // A click stored without its rollup is caught.
    await server.sql.query(
      `insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, destination_url)
       values (gen_random_uuid(), $1, 'rec-a', now(), 'US', 'desktop', 'desktop', 'direct', 'https://x.example')`,
      [r.handle],
    );
    const broken = await reconcile(server.sql, r.handle);
    expect(broken.ok).to.equal(false);
    expect(broken.mismatches.join('\n')).to.match(/funnel vs raw: clicks 402 ≠ 403/).and.to.match(/rollups vs raw: clicks/);
    expect(broken.mismatches.join('\n')).to.not.match(/funnel hours/);

    // So is an hourly conversion row that disagrees with the daily rollups.
    const { rowCount } = await server.sql.query(
      `update funnel_conversion_hours set conversions = conversions + 1, value = value + 2.5
        where (handle, campaign_id, hour, currency) = (select handle, campaign_id, hour, currency from funnel_conversion_hours
                                                       where handle = $1 and currency = 'USD' order by hour limit 1)`,
      [r.handle],
    );
    expect(rowCount).to.equal(1);
    const tampered = (await reconcile(server.sql, r.handle)).mismatches.filter((m) => m.startsWith('funnel hours'));
    expect(tampered).to.have.length(2);
    expect(tampered[0]).to.match(/^funnel hours vs rollups: conversions (\d+) ≠ (\d+)$/);
    const [, hoursCount, rollupCount] = /(\d+) ≠ (\d+)/.exec(tampered[0])!;
    expect(Number(hoursCount)).to.equal(Number(rollupCount) + 1);
    expect(tampered[1]).to.match(/^funnel hours vs rollups: valueByCurrency /);
  });

  it('releases the database client when the client disconnects mid-export', async function () {
    this.timeout(30_000);
    const d = await createHandle(server);
    await insertCampaigns(server.sql, d.handle, ['bulk']);
    await insertBulkClicks(server.sql, d.handle, 'bulk', 150_000, new Date('2026-11-01T00:00:00Z'));
    const pool = server.kernel.container.resolve<pg.Pool>('exportPool'); // exports run on a pool of their own
    const exportSessions = async () =>
      (await server.sql.query(
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and query ilike 'copy (select%'
            and state <> 'idle'`,
      )).rows[0].n as number;
    const url = new URL(`${server.url}/v2/handles/${d.handle}/analytics/export?format=csv`);
    let req!: http.ClientRequest;
    await new Promise<void>((ok, fail) => {
      req = http.get(url, { headers: d.auth }, (res) => {
        expect(res.statusCode).to.equal(200);
        res.once('data', () => {
          res.pause(); // stop reading: backpressure stalls the cursor mid-export
          setTimeout(ok, 300);
        });
      });
      req.on('error', () => {});
      setTimeout(() => fail(new Error('no data')), 10_000);
    });
    expect(await exportSessions()).to.equal(1); // the export's COPY is still running, stalled by backpressure
    req.destroy();
    const deadline = Date.now() + 5_000;
    let open = -1;
    while (Date.now() < deadline) {
      open = await exportSessions();
      if (open === 0 && pool.idleCount === pool.totalCount) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(open).to.equal(0);
    expect(pool.idleCount).to.equal(pool.totalCount);
    // The export slot was given back: more exports than the limit in a row all succeed.
    for (let i = 0; i < 6; i++) await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=ndjson`).set(h.auth).expect(200);
  });
});
