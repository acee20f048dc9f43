import { expect } from 'chai';
import { CONVERSIONS, partnerCampaign, storedClick } from '../support/conversions.ts';
import { parseCsv } from '../support/csv-parse.ts';
import { annaAndBob, partnerToken } from '../support/partners.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A partner reads its own payouts line by line (beyond API.md's realm list: a partner checks a transfer against
// what it was for); the manager's statement names each line's order (the conversion's idempotencyKey), the
// partner's never does (the merchant's order ids are not the partner's, as on its conversion list).
describe('payout statements: the partner realm, and the order key on the manager side', () => {
  let server: TestServer;
  let t: Awaited<ReturnType<typeof partnerCampaign>>;
  let annaPayout: string;
  let bobPayout: string;
  let keyOf: Record<string, string>;
  const handleGet = (path: string) => server.http.get(`/v2/handles/${t.handle}${path}`).set(t.auth);

  before(async () => {
    server = await startTestServer();
    t = await partnerCampaign(server);
    await annaAndBob(server, t);
    keyOf = {};
    const convert = async (campaignId: string, key: string, value: number) => {
      const { ctx } = await storedClick(server, t.handle, campaignId, { source: 'newsletter' });
      const id = (await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value, idempotencyKey: key }).expect(201)).body.conversionId as string;
      keyOf[id] = key;
    };
    await convert(t.campaignId, 'order-1001', 100);
    await convert(t.campaignId, 'order-1002', 50.05);
    await convert('bob-deal', 'order-2001', 999);
    const all = (await handleGet('/commissions').expect(200)).body.data as Array<{ commissionId: string }>;
    await server.http.post(`/v2/handles/${t.handle}/commissions/bulk`).set(t.auth)
      .send({ commissionIds: all.map((c) => c.commissionId), status: 'approved', reason: 'checked' }).expect(200);
    const run = await server.http.post(`/v2/handles/${t.handle}/payouts`).set(t.auth).send({ idempotencyKey: 'june' }).expect(201);
    const byPartner = Object.fromEntries(run.body.data.map((p: { partnerId: string; payoutId: string }) => [p.partnerId, p.payoutId]));
    [annaPayout, bobPayout] = [byPartner.anna, byPartner.bob];
  });
  after(async () => server?.close());

  it("gives a partner its own payout and statement, the manager's lines without the order key", async () => {
    const anna = await partnerToken(server, t, 'anna');
    const realm = (path: string) => server.http.get(`/v2/handles/${t.handle}/partner${path}`).set(anna.auth);
    const own = await realm(`/payouts/${annaPayout}`).expect(200);
    expect(own.body).to.deep.equal((await handleGet(`/payouts/${annaPayout}`).expect(200)).body);
    expect([own.body.partnerId, own.body.amount, own.body.commissionCount]).to.deep.equal(['anna', 15.01, 2]);

    const csv = await realm(`/payouts/${annaPayout}/statement`).expect(200);
    expect(csv.headers['content-type']).to.match(/^text\/csv/);
    expect(csv.headers['content-disposition']).to.equal(`attachment; filename="payout-${annaPayout}.csv"`);
    const table = parseCsv(csv.text);
    expect(table[0]).to.not.include('idempotencyKey');
    expect(csv.text).to.not.include('order-');
    const manager = parseCsv((await handleGet(`/payouts/${annaPayout}/statement`).expect(200)).text);
    expect(manager[0]).to.deep.equal([...table[0], 'idempotencyKey']);
    // The same lines, byte for byte, but the last column.
    expect(manager.slice(1).map((r) => r.slice(0, -1))).to.deep.equal(table.slice(1));
    const col = (name: string) => table[0].indexOf(name);
    expect(table.slice(1).map((r) => [r[col('partnerId')], r[col('amount')], r[col('status')], r[col('campaignId')]]).sort())
      .to.deep.equal([['anna', '10.00', 'approved', 'partner-alpha'], ['anna', '5.01', 'approved', 'partner-alpha']]);

    const nd = await realm(`/payouts/${annaPayout}/statement?format=ndjson`).buffer(true).parse((res, cb) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => cb(null, text));
    }).expect(200);
    expect(nd.headers['content-type']).to.match(/^application\/x-ndjson/);
    const lines = (nd.body as string).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).to.have.length(2);
    for (const line of lines) expect(line).to.not.have.property('idempotencyKey');
  });

  it("names each conversion line's order on the manager's statement (CSV and NDJSON)", async () => {
    const table = parseCsv((await handleGet(`/payouts/${annaPayout}/statement`).expect(200)).text);
    const col = (name: string) => table[0].indexOf(name);
    expect(table.slice(1).map((r) => [r[col('idempotencyKey')], keyOf[r[col('conversionId')]]]).sort())
      .to.deep.equal([['order-1001', 'order-1001'], ['order-1002', 'order-1002']]);
    const nd = await handleGet(`/payouts/${bobPayout}/statement?format=ndjson`).buffer(true).parse((res, cb) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => cb(null, text));
    }).expect(200);
    expect(JSON.parse((nd.body as string).trim())).to.include({ idempotencyKey: 'order-2001', amount: 99.9, partnerId: 'bob' });
  });

  it("answers a partner's token 404 on another partner's payout, saying nothing of it, nor of an id that is no uuid", async () => {
    const anna = await partnerToken(server, t, 'anna');
    for (const path of [`/payouts/${bobPayout}`, `/payouts/${bobPayout}/statement`, `/payouts/${bobPayout}/statement?format=ndjson`]) {
      const res = await server.http.get(`/v2/handles/${t.handle}/partner${path}`).set(anna.auth);
      expect([res.status, res.body.error?.code], path).to.deep.equal([404, 'not_found']);
      expect(JSON.stringify(res.body) + res.text, path).to.not.match(/99\.9|bob|order-/);
    }
    await server.http.get(`/v2/handles/${t.handle}/partner/payouts/00000000-0000-4000-8000-000000000000`).set(anna.auth).expect(404);
    // An id that cannot be a payout's is a payout that does not exist, as on the handle's route.
    const bad = await server.http.get(`/v2/handles/${t.handle}/partner/payouts/nope/statement`).set(anna.auth).expect(404);
    expect(bad.body).to.deep.equal((await handleGet('/payouts/nope/statement').expect(404)).body);
    // The handle's tokens stay out of the realm, as on its other routes.
    expect((await server.http.get(`/v2/handles/${t.handle}/partner/payouts/${annaPayout}`).set(t.auth)).status).to.equal(403);
  });

  it("tells a partner its minimum payout (payout-terms, beyond API.md's fixed GET …/partner), as the manager sets it", async () => {
    const anna = await partnerToken(server, t, 'anna');
    const terms = () => server.http.get(`/v2/handles/${t.handle}/partner/payout-terms`).set(anna.auth).expect(200);
    expect((await terms()).body).to.deep.equal({ minimumPayout: 0 });
    await server.http.patch(`/v2/handles/${t.handle}/partners/anna`).set(t.auth).send({ minimumPayout: 20.5 }).expect(200);
    expect((await terms()).body).to.deep.equal({ minimumPayout: 20.5 });
    // Its own only: the profile keeps the contract's fields.
    expect(Object.keys((await server.http.get(`/v2/handles/${t.handle}/partner`).set(anna.auth).expect(200)).body).sort()).to.deep.equal(['balances', 'name', 'partnerId', 'status']);
    await server.http.patch(`/v2/handles/${t.handle}/partners/anna`).set(t.auth).send({ minimumPayout: 0 }).expect(200);
  });

  it("follows the payout: a canceled one's statement lists the lines it held, for its partner too", async () => {
    await server.http.post(`/v2/handles/${t.handle}/payouts/${annaPayout}/cancel`).set(t.auth).send({}).expect(200);
    const anna = await partnerToken(server, t, 'anna');
    const realm = (path: string) => server.http.get(`/v2/handles/${t.handle}/partner${path}`).set(anna.auth);
    expect((await realm(`/payouts/${annaPayout}`).expect(200)).body.status).to.equal('canceled');
    const table = parseCsv((await realm(`/payouts/${annaPayout}/statement`).expect(200)).text);
    expect(table.slice(1).map((r) => r[table[0].indexOf('amount')]).sort()).to.deep.equal(['10.00', '5.01']);
  });
});
