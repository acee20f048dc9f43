import { expect } from 'chai';
import { codec, CONVERSIONS, count, partnerCampaign, storedClick } from '../support/conversions.ts';
import { createPartner, assignPartner } from '../support/partners.ts';
import { createToken, startTestServer, type TestServer } from '../support/server.ts';

// Repeats of recorded keys go to PostgreSQL together (core/conversions/repeat-batcher.ts): one statement and one
// commit for every repeat that arrived while the one before ran. Each still gets its own answer, audit event and
// outbox event, as when each had its statement.
describe('conversions: repeats recorded in batches', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('answers each repeat of a batch as its own: deduped, mismatch with its changes, withheld, refused, and holds a squatted key', async () => {
    const t = await partnerCampaign(server, { publicConversions: 'accept' });
    const { handle, campaignId } = t;
    await createPartner(server, t, 'anna');
    await assignPartner(server, t, campaignId, 'anna');
    await server.http.put(`/v2/handles/${handle}/rewards/sale`).set(t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 30 }).expect(201);
    // Outbox events are written only for the handle's subscriptions.
    await server.http.post(`/v2/handles/${handle}/webhooks`).set(t.auth).send({ endpointUrl: 'http://127.0.0.1:9/hook', eventTypes: ['conversion.deduped'] }).expect(201);
    const merchant = await createToken(server, handle, t.ownerToken, ['conversions.write']);
    const mine = await storedClick(server, handle, campaignId);
    const other = await storedClick(server, handle, campaignId);
    const sale = (ctx: string, idempotencyKey: string, value = 10) => ({ ctx, eventType: 'affiliate_click', value, currency: 'USD', idempotencyKey });

    const originals = {
      a: (await server.http.post(CONVERSIONS).send(sale(mine.ctx, 'order-a')).expect(201)).body,
      b: (await server.http.post(CONVERSIONS).set(merchant.auth).send(sale(mine.ctx, 'order-b', 20)).expect(201)).body,
      c: (await server.http.post(CONVERSIONS).send(sale(mine.ctx, 'order-c', 30)).expect(201)).body,
    };
    const expired = codec(server).sign({ clickId: other.clickId, handle, campaignId, issuedAt: new Date(Date.now() - 3 * 86_400_000), windowDays: 1 });

    // Holds every statement that writes an audit row, so the repeats posted meanwhile queue up and share a statement.
    const auditLock = await server.sql.connect();
    let answers: Array<{ status: number; body: Record<string, unknown> }>;
    try {
      await auditLock.query('begin');
      await auditLock.query('lock table audit_events in share mode');
      const post = (body: object, auth: Record<string, string> = {}) => server.http.post(CONVERSIONS).set(auth).send(body).then((r) => r);
      const posted = Promise.all([
        post(sale(mine.ctx, 'order-a')), // 0: the same body
        post(sale(mine.ctx, 'order-a')), // 1
        post(sale(mine.ctx, 'order-a', 11)), // 2: another value
        post(sale(mine.ctx, 'order-b', 20), merchant.auth), // 3: the merchant again
        post(sale(mine.ctx, 'order-c', 30), merchant.auth), // 4: the merchant's key, posted first with the ctx alone
        post(sale(other.ctx, 'order-b', 20)), // 5: another click's ctx
        post(sale(expired, 'order-c', 30)), // 6: another click's expired ctx: refused as if the key were free
        post(sale(mine.ctx, 'order-new', 40)), // 7: a new key
        ...Array.from({ length: 12 }, () => post(sale(mine.ctx, 'order-a'))), // 8-19
      ]);
      await new Promise((r) => setTimeout(r, 300));
      await auditLock.query('commit');
      answers = await posted;
    } finally {
      auditLock.release();
    }

    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200, 200, 422, 201, ...Array(12).fill(200)]);
    for (const i of [0, 1, ...Array.from({ length: 12 }, (_, k) => 8 + k)]) {
      expect(answers[i].body, `answer ${i}`).to.deep.equal({ ...originals.a, deduped: true });
    }
    expect(answers[2].body).to.deep.equal({ ...originals.a, deduped: true, mismatch: true });
    expect(answers[3].body).to.deep.equal({ ...originals.b, deduped: true });
    expect(answers[4].body).to.deep.equal({ ...originals.c, deduped: true, mismatch: true });
    expect(answers[5].body).to.deep.include({ conversionId: originals.b.conversionId, deduped: true, mismatch: true, clickId: null, value: null });
    expect((answers[6].body.error as { code: string }).code).to.equal('ctx_expired');

    const { rows: audits } = await server.sql.query<{ type: string; key: string; changes: unknown; created_at: Date }>(
      `select type, payload->>'idempotencyKey' as key, payload->'changes' as changes, created_at from audit_events
        where handle = $1 and type in ('conversion.deduped', 'conversion.mismatch') order by event_id`,
      [handle],
    );
    expect(audits.map((a) => `${a.type} ${a.key}`).sort()).to.deep.equal([
      ...Array(14).fill('conversion.deduped order-a'), 'conversion.deduped order-b',
      'conversion.mismatch order-a', 'conversion.mismatch order-b', 'conversion.mismatch order-c',
    ].sort());
    expect(audits.find((a) => a.type === 'conversion.mismatch' && a.key === 'order-a')!.changes).to.deep.equal({ value: { original: 10, submitted: 11 } });
    expect(audits.find((a) => a.type === 'conversion.mismatch' && a.key === 'order-c')!.changes).to.deep.equal({ authenticated: { original: false, submitted: true } });
    expect(audits.find((a) => a.type === 'conversion.mismatch' && a.key === 'order-b')!.changes).to.deep.equal({
      clickId: { original: mine.clickId, submitted: other.clickId }, authenticated: { original: true, submitted: false },
    });
    // One outbox event per repeat answered, each naming its own original and whether it matched.
    const { rows: outbox } = await server.sql.query<{ id: string; mismatch: boolean }>(
      "select payload->>'conversionId' as id, (payload->>'mismatch')::boolean as mismatch from outbox_events where handle = $1 and type = 'conversion.deduped'",
      [handle],
    );
    const tally = (rows: { id: string; mismatch: boolean }[]) => rows.map((r) => `${r.id} ${r.mismatch}`).sort();
    expect(tally(outbox)).to.deep.equal(tally([
      ...Array.from({ length: 14 }, () => ({ id: originals.a.conversionId, mismatch: false })), { id: originals.a.conversionId, mismatch: true },
      { id: originals.b.conversionId, mismatch: false }, { id: originals.b.conversionId, mismatch: true }, { id: originals.c.conversionId, mismatch: true },
    ]));
    // One transaction's time per statement: 18 repeats, each its own statement before, now a few. (The claims queued behind
    // the lock too, and a claim batch's repeats go together once it answers: two or three claim batches, as many repeat ones.)
    const statements = new Set(audits.map((a) => a.created_at.getTime())).size;
    expect(statements, 'repeat statements').to.be.at.most(5);

    // The squatted key's commission waits for a person; the others still approve by themselves (a hold of 30 days: the
    // approval job cannot decide them meanwhile).
    const { rows: held } = await server.sql.query<{ conversion_id: string; auto_approve: boolean }>(
      'select conversion_id, auto_approve from commissions where handle = $1 and conversion_id = any($2)',
      [handle, [originals.a.conversionId, originals.c.conversionId]],
    );
    expect(Object.fromEntries(held.map((r) => [r.conversion_id, r.auto_approve]))).to.deep.equal({ [originals.a.conversionId]: true, [originals.c.conversionId]: false });
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(4);
  });

  it("answers each handle's repeats of the same order ids with its own originals, in one statement", async () => {
    const handles = await Promise.all([0, 1].map(() => partnerCampaign(server, { publicConversions: 'accept' })));
    const clicks = await Promise.all(handles.map((h) => storedClick(server, h.handle, h.campaignId)));
    // Both handles have orders order-1 … order-6, of different values.
    const orders = handles.flatMap((_, i) => [1, 2, 3, 4, 5, 6].map((k) => ({ i, body: { ctx: clicks[i].ctx, eventType: 'affiliate_click', value: 10 * i + k, currency: 'USD', idempotencyKey: `order-${k}` } })));
    const originals: Array<{ conversionId: string }> = [];
    for (const o of orders) originals.push((await server.http.post(CONVERSIONS).send(o.body).expect(201)).body);

    const auditLock = await server.sql.connect();
    let answers: Array<{ status: number; body: Record<string, unknown> }>;
    try {
      await auditLock.query('begin');
      await auditLock.query('lock table audit_events in share mode');
      const posted = Promise.all(orders.map((o) => server.http.post(CONVERSIONS).send(o.body).then((r) => r)));
      await new Promise((r) => setTimeout(r, 300));
      await auditLock.query('commit');
      answers = await posted;
    } finally {
      auditLock.release();
    }
    answers.forEach((a, k) => expect(a.body, `answer ${k}`).to.deep.equal({ ...originals[k], deduped: true }));
    // A statement held both handles' repeats: their audit rows share a transaction's time.
    const audits = await Promise.all(handles.map(async (h) => (await server.sql.query<{ t: string; subject: string }>(
      "select created_at::text as t, subject_id as subject from audit_events where handle = $1 and type = 'conversion.deduped'", [h.handle])).rows));
    const times = audits.map((rows) => new Set(rows.map((r) => r.t)));
    expect([...times[0]].filter((t) => times[1].has(t)), 'statements with both handles').to.not.be.empty;
    for (const i of [0, 1]) {
      expect(audits[i].map((r) => r.subject).sort(), handles[i].handle).to.deep.equal(originals.filter((_, k) => orders[k].i === i).map((o) => o.conversionId).sort());
    }
  });
});
