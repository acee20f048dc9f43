import { expect } from 'chai';
import { CONVERSIONS, clickThrough, partnerCampaign } from '../support/conversions.ts';
import { createPartner, partnerToken } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** The instant `ms` written with a UTC offset of `offsetMinutes` (RFC 3339 allows up to ±23:59), microseconds kept. */
function inOffset(ms: number, offsetMinutes: number, micros = '000'): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${micros}${offsetMinutes < 0 ? '-' : '+'}${hh}:${mm}`;
}

// A window bound is any RFC 3339 instant: PostgreSQL refuses offsets beyond ±15:59 (22009, a 500 on every list),
// and Date.parse gives NaN for ajv-formats' `+05` (analytics' window never ended: a 500). Lists take the first in
// UTC; the second is not RFC 3339, and is a 400 everywhere.
describe('date-times: any RFC 3339 offset, never a 500', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ redis: false });
  });
  after(async () => server?.close());

  it('lists read offsets up to ±23:59 as the instants they are, on the handle and in the partner realm', async () => {
    const t = await partnerCampaign(server);
    await createPartner(server, t, 'ana');
    const ana = await partnerToken(server, t, 'ana');
    const ctx = await clickThrough(server, t.handle, t.slug);
    const created = await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 5, currency: 'USD', idempotencyKey: 'tz-1' }).expect(201);
    const at = Date.parse(created.body.createdAt);

    const around = `from=${encodeURIComponent(inOffset(at - 60_000, 18 * 60))}&to=${encodeURIComponent(inOffset(at + 60_000, -(23 * 60 + 59)))}`;
    const before = `from=${encodeURIComponent(inOffset(at - 120_000, 16 * 60))}&to=${encodeURIComponent(inOffset(at - 60_000, 23 * 60 + 59, '999'))}`;
    const lists: Array<[string, Record<string, string>]> = [
      ['conversions', t.auth], ['commissions', t.auth], ['audit-events', t.auth], ['notifications', t.auth],
      ['partner/conversions', ana.auth], ['partner/commissions', ana.auth],
    ];
    for (const [list, auth] of lists) {
      for (const window of [around, before]) {
        const res = await server.http.get(`/v2/handles/${t.handle}/${list}?${window}`).set(auth);
        expect([list, window, res.status], res.text).to.deep.equal([list, window, 200]);
      }
    }
    const ids = async (window: string) =>
      (await server.http.get(`/v2/handles/${t.handle}/conversions?${window}`).set(t.auth).expect(200)).body.data.map((c: { conversionId: string }) => c.conversionId);
    expect(await ids(around)).to.deep.equal([created.body.conversionId]);
    expect(await ids(before)).to.deep.equal([]);
    const events = (await server.http.get(`/v2/handles/${t.handle}/audit-events?${around}`).set(t.auth).expect(200)).body.data;
    expect(events.map((e: { type: string }) => e.type)).to.include('conversion.created');
  });

  it('an offset without minutes (+05, +0500) is a 400 on analytics and on every list, never a 500', async () => {
    const t = await partnerCampaign(server, { campaignId: 'tz-b', slug: 'tz-b' });
    const paths = [
      'analytics?funnel=true&', 'analytics?groupBy=day&', 'analytics?groupBy=campaign&', 'analytics/export?format=csv&',
      'conversions?', 'commissions?', 'audit-events?', 'notifications?',
    ];
    for (const path of paths) {
      for (const bound of ['from=2026-12-01T00:00:00%2B05', 'to=2026-12-09T00:00:00-05', 'from=2026-12-01T00:00:00%2B0500']) {
        const res = await server.http.get(`/v2/handles/${t.handle}/${path}${bound}`).set(t.auth);
        expect([path, bound, res.status], res.text).to.deep.equal([path, bound, 400]);
        expect(res.body.error.code).to.equal('invalid_request');
        expect(res.body.error.details[0].pointer).to.match(/^\/query\/(from|to)$/);
      }
      const fine = await server.http.get(`/v2/handles/${t.handle}/${path}from=2026-12-01T00:00:00%2B05:00`).set(t.auth);
      expect([path, fine.status], fine.text).to.deep.equal([path, 200]);
    }
  });

  it('a date-time in a body takes the same offsets: a 400 for +05 or a leap second, UTC for +18:00', async () => {
    const t = await partnerCampaign(server, { campaignId: 'tz-c', slug: 'tz-c' });
    await createPartner(server, t, 'bo');
    const bodies: Array<[string, Record<string, unknown>, string]> = [
      [`/v2/handles/${t.handle}/tokens`, { name: 'ci', scopes: ['campaigns.read'] }, 'expiresAt'],
      [`/v2/handles/${t.handle}/partners/bo/tokens`, { name: 'portal' }, 'expiresAt'],
      [`/v2/handles/${t.handle}/payouts`, { idempotencyKey: 'tz-run' }, 'periodEnd'],
    ];
    for (const [path, body, field] of bodies) {
      for (const bad of ['2030-06-30T12:00:00+05', '2030-06-30T12:00:00+0500', '2030-06-30T23:59:60Z']) {
        const res = await server.http.post(path).set(t.auth).send({ ...body, [field]: bad });
        expect([path, bad, res.status], res.text).to.deep.equal([path, bad, 400]);
        expect(res.body.error.details).to.have.length(1);
        expect(res.body.error.details[0].pointer).to.equal(`/body/${field}`);
        expect(res.body.error.details[0].message).to.match(/^must be an RFC 3339 date-time/);
      }
    }
    const token = await server.http.post(bodies[0][0]).set(t.auth).send({ ...bodies[0][1], expiresAt: '2030-06-30T12:00:00+18:00' }).expect(201);
    expect(token.body.expiresAt).to.equal('2030-06-29T18:00:00.000Z');
    const run = await server.http.post(bodies[2][0]).set(t.auth).send({ idempotencyKey: 'tz-run', periodEnd: '2026-12-05T06:00:00.250+18:00' });
    expect(run.status, run.text).to.equal(201);
    const again = await server.http.post(bodies[2][0]).set(t.auth).send({ idempotencyKey: 'tz-run', periodEnd: '2026-12-04T12:00:00.250Z' });
    expect(again.status, again.text).to.equal(200);
    expect(again.headers['idempotency-mismatch']).to.equal(undefined);
  });
});
