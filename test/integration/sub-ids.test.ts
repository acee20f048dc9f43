import { expect } from 'chai';
import { CONVERSIONS } from '../support/conversions.ts';
import { csvObjects } from '../support/csv-parse.ts';
import { campaign, followed, GOOGLEBOT, metric, person, storedClicks, trustLocalProxy, waitFor } from '../support/redirect.ts';
import { createHandle, startTestServer, type TestServer } from '../support/server.ts';

const DEST = 'https://merchant.example.com/product?ref=alpha';
const SUBS = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;

type Row = Record<string, unknown>;
const subsOf = (row: Row) => Object.fromEntries(SUBS.map((s) => [s, row[s]]));

describe('sub-IDs: sub1..sub5 from the partner link to the conversion (issue 14)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: trustLocalProxy });
  });
  after(async () => server?.close());

  async function handleWith(...campaigns: object[]) {
    const h = await createHandle(server);
    for (const c of campaigns) await server.http.post(`/v2/handles/${h.handle}/campaigns`).set(h.auth).send(c).expect(201);
    return h;
  }

  /** Follows the link with a raw query string; returns the click id its ctx names, and the ctx. */
  async function click(handle: string, slug: string, query: string, headers: Record<string, string> = person()) {
    const res = await server.http.get(`/${handle}/${slug}${query}`).set(headers).redirects(0).expect(302);
    const { claims } = followed(res.headers.location);
    return { clickId: claims.clickId, ctx: new URL(res.headers.location).searchParams.get('ctx')! };
  }

  async function clickRow(clickId: string): Promise<Row> {
    return waitFor(`click ${clickId}`, async () => (await server.sql.query('select * from clicks where click_id = $1', [clickId])).rows[0]);
  }

  it('stores the five sub-IDs on the click, on the Koa lane and the fast lane alike', async () => {
    const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', DEST));
    const query = '?sub1=newsletter&sub2=banner%20A&sub3=%C3%BCber&sub4=42&sub5=last';
    const fastBefore = await metric(server, 'tenx_redirects_total', 'lane="fast"');
    const cold = await click(handle, 'deal-alpha', query); // cold link cache: answered by the Koa route
    const warm = await click(handle, 'deal-alpha', query); // answered by the fast lane
    expect(await metric(server, 'tenx_redirects_total', 'lane="fast"')).to.be.at.least(fastBefore + 1);
    const want = { sub1: 'newsletter', sub2: 'banner A', sub3: 'über', sub4: '42', sub5: 'last' };
    expect(subsOf(await clickRow(cold.clickId))).to.deep.equal(want);
    expect(subsOf(await clickRow(warm.clickId))).to.deep.equal(want);
  });

  it('stores null for absent or empty sub-IDs, keeps the first of a repeated one, and ignores other parameters', async () => {
    const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', DEST));
    const none = await click(handle, 'deal-alpha', '?utm_source=newsletter&subx=1&SUB1=upper');
    const some = await click(handle, 'deal-alpha', '?sub2=&sub3=first&sub3=second&sub5=%00%1F');
    expect(subsOf(await clickRow(none.clickId))).to.deep.equal({ sub1: null, sub2: null, sub3: null, sub4: null, sub5: null });
    // sub5 held only control characters: nothing printable is left, so it is absent.
    expect(subsOf(await clickRow(some.clickId))).to.deep.equal({ sub1: null, sub2: null, sub3: 'first', sub4: null, sub5: null });
  });

  it('cuts sub-IDs to 100 characters (never splitting a character) and drops control and format characters', async () => {
    const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', DEST));
    const long = 'a'.repeat(150);
    const emojiAtEdge = 'b'.repeat(99) + '😀' + 'tail';
    // NUL, TAB, CR, LF, DEL, NEL, RLO, ZWSP, then the line and paragraph separators (U+2028, U+2029), which were kept
    // and reached CSV exports unquoted.
    const controls = 'x%00y%09z%0D%0A%7F%C2%85w%E2%80%AEv%E2%80%8Bu%E2%80%A8t%E2%80%A9s';
    const { clickId } = await click(handle, 'deal-alpha', `?sub1=${long}&sub2=${encodeURIComponent(emojiAtEdge)}&sub3=${controls}&sub4=${'%01'.repeat(120)}ok`);
    const row = await clickRow(clickId);
    expect(row.sub1).to.equal('a'.repeat(100));
    expect(row.sub2).to.equal('b'.repeat(99) + '😀');
    expect(row.sub3).to.equal('xyzwvuts');
    // Dropped first, then cut: 120 control characters do not push the printable part out.
    expect(row.sub4).to.equal('ok');
  });

  it('a HEAD request with sub-IDs records nothing', async () => {
    const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', DEST));
    await server.http.head(`/${handle}/deal-alpha?sub1=peek`).set(person()).redirects(0).expect(302);
    await click(handle, 'deal-alpha', '?sub1=real');
    const rows = await storedClicks(server, handle, 1);
    await new Promise((r) => setTimeout(r, 100));
    const { rows: all } = await server.sql.query('select sub1 from clicks where handle = $1', [handle]);
    expect(all.map((r) => r.sub1)).to.deep.equal(['real']);
    expect(rows).to.have.length(1);
  });

  it('the conversion inherits its click\'s sub-IDs: stored on its row and returned, also on a repeat', async () => {
    const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', DEST));
    const { ctx, clickId } = await click(handle, 'deal-alpha', '?sub1=newsletter&sub3=banner-a');
    const body = { ctx, eventType: 'affiliate_click', value: 12.5, currency: 'USD', idempotencyKey: 'order-sub-1' };
    const first = await server.http.post(CONVERSIONS).send(body).expect(201);
    const want = { sub1: 'newsletter', sub2: null, sub3: 'banner-a', sub4: null, sub5: null };
    expect(first.body.clickId).to.equal(clickId);
    expect(subsOf(first.body)).to.deep.equal(want);
    const again = await server.http.post(CONVERSIONS).send(body).expect(200);
    expect(again.body).to.deep.equal({ ...first.body, deduped: true });
    const { rows } = await server.sql.query('select * from conversions where conversion_id = $1', [first.body.conversionId]);
    expect(subsOf(rows[0])).to.deep.equal(want);
  });

  it('a conversion whose click had no sub-IDs has them all null', async () => {
    const { handle } = await handleWith(campaign('partner-alpha', 'deal-alpha', DEST));
    const { ctx } = await click(handle, 'deal-alpha', '');
    const res = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'order-nosub' }).expect(201);
    expect(subsOf(res.body)).to.deep.equal({ sub1: null, sub2: null, sub3: null, sub4: null, sub5: null });
  });

  it('exports carry sub1..sub5 in CSV (formula-safe) and NDJSON', async () => {
    const h = await handleWith(campaign('partner-alpha', 'deal-alpha', DEST));
    const a = await click(h.handle, 'deal-alpha', '?sub1=newsletter&sub2=%3DHYPERLINK(%22http%3A%2F%2Fevil%22)&sub5=x%2Cy');
    const b = await click(h.handle, 'deal-alpha', '');
    await storedClicks(server, h.handle, 2);
    const csv = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=csv`).set(h.auth).expect(200);
    const rows = csvObjects(csv.text);
    const byId = Object.fromEntries(rows.map((r) => [r.clickId, r]));
    expect(subsOf(byId[a.clickId])).to.deep.equal({ sub1: 'newsletter', sub2: `'=HYPERLINK("http://evil")`, sub3: '', sub4: '', sub5: 'x,y' });
    expect(subsOf(byId[b.clickId])).to.deep.equal({ sub1: '', sub2: '', sub3: '', sub4: '', sub5: '' });
    const nd = await server.http.get(`/v2/handles/${h.handle}/analytics/export?format=ndjson`).set(h.auth).expect(200);
    const lines = nd.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    const line = lines.find((l) => l.clickId === a.clickId);
    expect(subsOf(line)).to.deep.equal({ sub1: 'newsletter', sub2: '=HYPERLINK("http://evil")', sub3: null, sub4: null, sub5: 'x,y' });
    expect(subsOf(lines.find((l) => l.clickId === b.clickId))).to.deep.equal({ sub1: null, sub2: null, sub3: null, sub4: null, sub5: null });
  });

  it('groupBy=sub1 counts clicks, qualified clicks, conversions and revenue per sub-ID of one campaign', async () => {
    const h = await handleWith(campaign('partner-alpha', 'deal-alpha', DEST), campaign('partner-beta', 'deal-beta', DEST));
    const n1 = await click(h.handle, 'deal-alpha', '?sub1=newsletter');
    await click(h.handle, 'deal-alpha', '?sub1=newsletter&sub2=other');
    await click(h.handle, 'deal-alpha', '?sub1=newsletter', { 'user-agent': GOOGLEBOT, 'x-forwarded-for': '203.0.113.77' });
    const b1 = await click(h.handle, 'deal-alpha', '?sub1=banner');
    await click(h.handle, 'deal-alpha', '');
    await click(h.handle, 'deal-beta', '?sub1=newsletter'); // another campaign: not counted
    await storedClicks(server, h.handle, 6);
    await server.http.post(CONVERSIONS).send({ ctx: n1.ctx, eventType: 'affiliate_click', value: 10.1, currency: 'USD', idempotencyKey: 'g-1' }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx: n1.ctx, eventType: 'affiliate_click', value: 0.2, currency: 'USD', idempotencyKey: 'g-2' }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx: b1.ctx, eventType: 'affiliate_click', value: 5, currency: 'EUR', idempotencyKey: 'g-3' }).expect(201);
    // Without a value: counted in the reporting currency at 0, as the funnel and groupBy=campaign count it.
    await server.http.post(CONVERSIONS).send({ ctx: b1.ctx, eventType: 'affiliate_click', idempotencyKey: 'g-4' }).expect(201);

    const res = await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=sub1&campaignId=partner-alpha`).set(h.auth).expect(200);
    expect(res.body.data).to.deep.equal([
      { key: 'newsletter', clicks: 3, qualifiedClicks: 2, conversions: 2, revenue: 10.3, revenueByCurrency: { USD: 10.3 } },
      { key: '', clicks: 1, qualifiedClicks: 1, conversions: 0, revenue: 0, revenueByCurrency: {} },
      // EUR is not the handle's reporting currency (USD): counted, shown beside it, never added to revenue.
      { key: 'banner', clicks: 1, qualifiedClicks: 1, conversions: 2, revenue: 0, revenueByCurrency: { EUR: 5, USD: 0 } },
    ]);
    const byCampaign = await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=campaign&campaignId=partner-alpha`).set(h.auth).expect(200);
    expect(byCampaign.body.data[0]).to.include({ conversions: 4, revenue: 10.3 });
    expect(byCampaign.body.data[0].revenueByCurrency).to.deep.equal({ EUR: 5, USD: 10.3 });
    const sub2 = await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=sub2&campaignId=partner-alpha`).set(h.auth).expect(200);
    expect(sub2.body.data).to.deep.equal([
      { key: '', clicks: 4, qualifiedClicks: 3, conversions: 4, revenue: 10.3, revenueByCurrency: { EUR: 5, USD: 10.3 } },
      { key: 'other', clicks: 1, qualifiedClicks: 1, conversions: 0, revenue: 0, revenueByCurrency: {} },
    ]);
    // The window applies as everywhere else: nothing happened in 2020.
    const old = await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=sub1&campaignId=partner-alpha&from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`).set(h.auth).expect(200);
    expect(old.body.data).to.deep.equal([]);
  });

  it('groupBy=subN needs a campaignId (400), an unknown campaign is a 404, an unknown groupBy a 400', async () => {
    const h = await handleWith(campaign('partner-alpha', 'deal-alpha', DEST));
    const missing = await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=sub3`).set(h.auth).expect(400);
    expect(missing.body.error.code).to.equal('invalid_request');
    expect(missing.body.error.details[0].pointer).to.equal('/query/campaignId');
    await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=sub1&campaignId=partner-nope`).set(h.auth).expect(404);
    const bad = await server.http.get(`/v2/handles/${h.handle}/analytics?groupBy=sub6&campaignId=partner-alpha`).set(h.auth).expect(400);
    expect(bad.body.error.details[0].pointer).to.equal('/query/groupBy');
  });
});
