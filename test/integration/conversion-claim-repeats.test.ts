import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { CONVERSIONS, count, partnerCampaign, storedClick } from '../support/conversions.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A merchant retrying an order at once, while the click of its fresh ctx is not stored yet: the first claim of the
// key comes back "no click yet", and every repeat waiting for it used to resume together and go into the next
// batch side by side. PostgreSQL refuses a statement that claims one key twice (21000: ON CONFLICT DO UPDATE cannot
// affect a row a second time), so the whole batch, other orders included, failed and was redone claim by claim.
describe('conversions: repeats of a key waiting for its click (black-box pass)', () => {
  let server: TestServer;
  const logs: Array<{ msg?: string; err?: { code?: string } }> = [];
  before(async () => {
    const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(String(chunk))), done()) });
    server = await startTestServer({ log: pino({ level: 'warn' }, sink) });
  });
  after(async () => server?.close());

  it('records one conversion and never fails a batch for a key claimed twice in it', async () => {
    let answers: Array<{ status: number; body: { conversionId: string } }> = [];
    const { handle, campaignId } = await partnerCampaign(server);
    // A fresh ctx whose click row is not in the database yet: the first claim of the key reads no click (its
    // statement's snapshot predates the row) and comes back "no click yet"; the row lands while it runs, as a
    // redirect process's buffer flushes it; the repeats that waited for that claim then find the click.
    const { clickId, ctx } = await storedClick(server, handle, campaignId, { issuedAt: new Date(), store: false });
    const body = { ctx, eventType: 'affiliate_click', value: 10, idempotencyKey: 'order-retried' };
    const other = await storedClick(server, handle, campaignId);
    const campaignLock = await server.sql.connect();
    try {
      // Holds the first claim statement (it takes the campaign's lock after its snapshot) while the repeats queue up.
      await campaignLock.query('begin');
      await campaignLock.query(`select pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))`, [handle, campaignId]);
      const posted = Promise.all(Array.from({ length: 8 }, () => server.http.post(CONVERSIONS).send(body)));
      await new Promise((r) => setTimeout(r, 50));
      // Another order meanwhile: its claim is next in line, so the repeats resume into a queue and share a batch.
      const neighbour = server.http
        .post(CONVERSIONS)
        .send({ ...body, ctx: other.ctx, idempotencyKey: 'another-order' })
        .then((r) => r);
      await new Promise((r) => setTimeout(r, 50));
      await server.sql.query(
        `insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, destination_url, is_bot)
         values ($1, $2, $3, now(), 'DE', 'mobile', 'mobile', 'direct', 'https://merchant.example.com/', false)`,
        [clickId, handle, campaignId],
      );
      await campaignLock.query('commit');
      answers = await posted;
      expect((await neighbour).status).to.equal(201);
    } finally {
      campaignLock.release();
    }
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.conversionId)).size).to.equal(1);
    expect(await count(server, 'conversions where handle = $1 and verified', [handle])).to.equal(2);
    const failed = logs.filter((l) => l.msg === 'conversion batch failed; retrying its claims one by one');
    expect(
      failed.map((l) => l.err?.code),
      'batches PostgreSQL refused',
    ).to.deep.equal([]);
  });
});
