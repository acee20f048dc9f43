import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import supertest from 'supertest';
import { Pool } from 'undici';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '../../config/index.ts';
import type { IdempotencyRetention } from '../../core/conversions/retention.ts';
import { startKernel } from '../../core/kernel.ts';
import { CONVERSIONS, count, partnerCampaign, storedClick } from '../support/conversions.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const retention = (server: TestServer) => server.kernel.container.resolve<IdempotencyRetention>('idempotencyRetention');

describe('workflow 2: idempotency key retention (365 days)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('treats a key older than the retention as new, and dedupes it again from then on', async () => {
    const { handle, campaignId } = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    const body = { ctx, eventType: 'affiliate_click', value: 10, idempotencyKey: 'order-from-last-year' };
    const first = await server.http.post(CONVERSIONS).send(body).expect(201);
    await server.http.post(CONVERSIONS).send(body).expect(200);
    await server.sql.query("update idempotency_keys set created_at = now() - interval '366 days' where handle = $1", [handle]);
    const renewed = await server.http.post(CONVERSIONS).send(body).expect(201);
    expect(renewed.body.conversionId).to.not.equal(first.body.conversionId);
    const repeat = await server.http.post(CONVERSIONS).send(body).expect(200);
    expect(repeat.body).to.include({ conversionId: renewed.body.conversionId, deduped: true });
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(2);
  });

  it('purges expired keys in batches and never touches conversions', async () => {
    const { handle, campaignId } = await partnerCampaign(server);
    const { ctx } = await storedClick(server, handle, campaignId);
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'kept' }).expect(201);
    await server.http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'aging' }).expect(201);
    await server.sql.query("update idempotency_keys set created_at = now() - interval '400 days' where handle = $1 and idempotency_key = 'aging'", [handle]);
    await server.sql.query(
      `insert into idempotency_keys (handle, idempotency_key, conversion_id, created_at)
       select $1, 'ancient-' || i, $2::uuid, now() - interval '366 days' - i * interval '1 hour' from generate_series(1, 11) i`,
      [handle, uuidv7()],
    );
    const deleted = await retention(server).purgeExpired({ batchSize: 5 });
    expect(deleted).to.be.at.least(12);
    const { rows } = await server.sql.query('select idempotency_key from idempotency_keys where handle = $1', [handle]);
    expect(rows.map((r) => r.idempotency_key)).to.deep.equal(['kept']);
    expect(await count(server, 'conversions where handle = $1', [handle])).to.equal(2);
    expect(await retention(server).purgeExpired()).to.equal(0);
  });

  it('schedules the daily purge as a BullMQ repeatable job when Redis is configured', async () => {
    const r = retention(server);
    expect(r.mode).to.equal('bullmq');
    const scheduler = await r.jobQueue!.getJobScheduler('purge-expired-idempotency-keys');
    expect(scheduler).to.include({ every: 86_400_000 });
  });

  it('uses an in-process timer and in-process rate limits without Redis', async () => {
    const local = await startTestServer({ redis: false, env: { PUBLIC_RATE_LIMIT: '1' } });
    try {
      expect(retention(local).mode).to.equal('timer');
      // PUBLIC_RATE_LIMIT=1: a burst of 10 passes (to the 422 of the bad ctx), the rest is refused.
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => local.http.post(CONVERSIONS).send({ ctx: 'A'.repeat(60), eventType: 'sale', idempotencyKey: `k${i}` })));
      const passed = results.filter((r) => r.status === 422).length;
      expect(passed).to.be.within(10, 12);
      expect(results.filter((r) => r.status === 429)).to.have.length(16 - passed);
    } finally {
      await local.close();
    }
  });
});

describe('public conversions: rate limit per client IP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { PUBLIC_RATE_LIMIT: '2', TRUSTED_PROXIES: '127.0.0.1/32,::1' } });
  });
  after(async () => server?.close());

  const send = (ip: string) =>
    server.http.post(CONVERSIONS).set('x-forwarded-for', ip).send({ ctx: 'A'.repeat(60), eventType: 'sale', idempotencyKey: 'k' });

  it('allows a burst of 10× PUBLIC_RATE_LIMIT, then answers 429 rate_limited with retry-after, per client IP', async () => {
    // PUBLIC_RATE_LIMIT=2: 20 at once pass (to the 422 of the bad ctx), plus what refills meanwhile.
    const burst = await Promise.all(Array.from({ length: 30 }, () => send('203.0.113.7')));
    const passed = burst.filter((r) => r.status === 422).length;
    expect(passed).to.be.within(20, 23);
    expect(burst.filter((r) => r.status === 429)).to.have.length(30 - passed);
    const limited = await send('203.0.113.7').expect(429);
    expect(limited.body).to.deep.include({ error: { code: 'rate_limited', message: limited.body.error.message } });
    expect(Number(limited.headers['retry-after'])).to.be.within(1, 60);
    expect(limited.headers['x-request-id']).to.be.a('string');
    // Another client behind the same trusted proxy has its own bucket.
    expect((await send('198.51.100.9')).status).to.equal(422);
    // The bucket refills at PUBLIC_RATE_LIMIT per second.
    await new Promise((ok) => setTimeout(ok, 1100));
    expect((await send('203.0.113.7')).status).to.equal(422);
  });

  it('counts malformed, oversized and invalid submissions too: the bucket is taken before the body is read (a helper pass sent 1,500 `{}` and never met a 429)', async () => {
    const ip = '192.0.2.44';
    const kinds = [
      () => server.http.post(CONVERSIONS).set('x-forwarded-for', ip).send({}),
      () => server.http.post(CONVERSIONS).set('x-forwarded-for', ip).set('content-type', 'application/json').send('{"ctx": '),
      () => server.http.post(CONVERSIONS).set('x-forwarded-for', ip).set('content-type', 'text/plain').send('hello'),
      () => server.http.post(CONVERSIONS).set('x-forwarded-for', ip).set('content-type', 'application/json').send(`"${'x'.repeat(70_000)}"`),
    ];
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => kinds[i % kinds.length]()));
    const statuses = answers.map((r) => r.status);
    // 20 at once (10× the rate) plus what refills meanwhile get their 400, 415 or 413; the rest are limited.
    expect(statuses.filter((s) => s === 429).length, statuses.join(' ')).to.be.within(17, 20);
    expect(statuses.filter((s) => s !== 429).every((s) => [400, 413, 415].includes(s)), statuses.join(' ')).to.equal(true);
    expect((await kinds[0]()).status).to.equal(429);
  });
});

describe('public conversions: 10,000 random malformed bodies', () => {
  let server: TestServer;
  let pool: Pool;
  before(async () => {
    server = await startTestServer();
    pool = new Pool(server.url, { connections: 20 });
  });
  after(async () => {
    await pool?.close();
    await server?.close();
  });

  it('answers each with a 4xx and writes no row', async function () {
    this.timeout(180_000);
    const { handle, campaignId } = await partnerCampaign(server);
    const valid = await storedClick(server, handle, campaignId);
    const expired = await storedClick(server, handle, campaignId, { issuedAt: new Date(Date.now() - 40 * 86_400_000), windowDays: 30 });
    const unknownCampaign = await storedClick(server, handle, 'no-such-campaign', { store: false });
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'x' ? 'y' : 'x') + s.slice(i + 1);

    // Each field is a valid or an invalid choice; a body is kept only when something in it is invalid.
    const choice = <T>(ok: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown>) =>
      fc.oneof({ arbitrary: ok.map((v) => ({ v, ok: true })), weight: 4 }, { arbitrary: bad.map((v) => ({ v, ok: false })), weight: 1 });
    const field = {
      ctx: choice(fc.constant(valid.ctx), fc.oneof(
        // Not the last character: its low bits are padding, so some flips there decode to the same token.
        fc.nat({ max: valid.ctx.length - 2 }).map((i) => flip(valid.ctx, i)), fc.constantFrom(expired.ctx, unknownCampaign.ctx),
        fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null))),
      eventType: choice(fc.constantFrom('affiliate_click', 'sale'), fc.oneof(fc.constantFrom('purchase', 'lead', ''), fc.string(), fc.boolean())),
      // null is a value not sent (an optional field in a creation), not a malformed one.
      value: choice(fc.oneof(fc.integer({ min: 0, max: 1_000_000 }).map((c) => c / 100), fc.constant(null)), fc.oneof(
        fc.double({ min: -1e6, max: -0.01, noNaN: true }), fc.integer({ min: 1, max: 1e6 }).map((c) => c / 1000 + 0.0001),
        fc.constant(1e15), fc.string())),
      currency: choice(fc.constantFrom('USD', 'EUR'), fc.oneof(fc.string({ maxLength: 5 }).filter((s) => !/^[A-Z]{3}$/.test(s)), fc.integer())),
      idempotencyKey: choice(fc.stringMatching(/^[a-z0-9-]{1,40}$/), fc.oneof(
        fc.constant(''), fc.string({ minLength: 256, maxLength: 300 }), fc.string().map((s) => `${s}\u0000`), fc.integer(), fc.constant(null))),
      metadata: choice(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 5 }), fc.oneof(
        fc.array(fc.integer()), fc.string(), fc.constant({ blob: 'x'.repeat(5000) }), fc.constant({ nul: 'a\u0000' }))),
    };
    const keys = Object.keys(field) as (keyof typeof field)[];
    const fields = { ...field, extra: choice(fc.constant(undefined), fc.anything().filter((v) => v !== undefined)) };
    const shaped = fc
      .oneof(fc.record(fields, { requiredKeys: ['ctx', 'eventType', 'idempotencyKey'] }), fc.record(fields, { requiredKeys: [] }))
      .filter((r) => ['ctx', 'eventType', 'idempotencyKey'].some((k) => !(k in r)) || Object.values(r).some((c) => !c!.ok))
      .map((r) => ({ json: Object.fromEntries(Object.entries(r).map(([k, c]) => [k, c!.v])) as Record<string, unknown> }));
    const anyJson = fc.jsonValue().filter((j) => !(j && typeof j === 'object' && !Array.isArray(j) && keys.every((k) => k in j))).map((json) => ({ json }));
    const raw = fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"ctx":', '[1,2', 'null', '{"a":1}}')).map((text) => ({ text }));
    const body = fc.oneof({ arbitrary: shaped, weight: 6 }, { arbitrary: anyJson, weight: 2 }, { arbitrary: raw, weight: 2 });

    let sent = 0;
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 20, maxLength: 20 }), async (batch) => {
        const statuses = await Promise.all(batch.map(async (b) => {
          const payload = 'json' in b ? JSON.stringify(b.json) ?? 'null' : b.text;
          const res = await pool.request({ method: 'POST', path: CONVERSIONS, headers: { 'content-type': 'application/json' }, body: payload });
          await res.body.dump();
          return res.statusCode;
        }));
        sent += batch.length;
        for (const st of statuses) seen.set(st, (seen.get(st) ?? 0) + 1);
        return statuses.every((s) => s >= 400 && s < 500 && s !== 429);
      }),
      { numRuns: 500, seed: 20260225 },
    );
    expect(sent).to.equal(10_000);
    // Both layers were exercised: schema validation (400) and the ctx / event type checks behind it (422).
    expect(seen.get(400)).to.be.above(1000);
    expect(seen.get(422)).to.be.above(300);
    for (const table of ['conversions', 'idempotency_keys', 'conversion_rollups', "audit_events where type like 'conversion.%'", 'outbox_events']) {
      expect(await count(server, table), table).to.equal(0);
    }
  });
});

describe('workflow 2 on embedded PostgreSQL (npm start without DATABASE_URL or REDIS_URL)', function () {
  // A fresh PGlite data directory takes 4-6 s to start on a quiet machine, much longer on a busy one.
  this.timeout(120_000);

  it('records each key once under concurrent submissions and purges with the in-process timer', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tenx-conv-embedded-'));
    const kernel = await startKernel(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_TOKEN, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', CLICK_FLUSH_MS: '20' }));
    try {
      const http = supertest(kernel.url);
      const owner = (await http.post('/v2/handles').set({ Authorization: `Bearer ${ADMIN_TOKEN}` }).send({ handle: 'embedded', name: 'Embedded' }).expect(201)).body.ownerToken;
      await http.post('/v2/handles/embedded/campaigns').set({ Authorization: `Bearer ${owner}` }).send({
        campaignId: 'partner-alpha', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', primaryLink: { slug: 'deal-alpha', destinationUrl: 'https://merchant.example.com/' },
      }).expect(201);
      const redirect = await http.get('/embedded/deal-alpha').set({ 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'accept-language': 'en' }).redirects(0).expect(302);
      const ctx = new URL(redirect.headers.location).searchParams.get('ctx');
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => http.post(CONVERSIONS).send({ ctx, eventType: 'affiliate_click', value: 5, idempotencyKey: `order-${i % 3}` })));
      expect(results.map((r) => r.status).sort()).to.deep.equal([...Array(9).fill(200), 201, 201, 201]);
      const r = kernel.container.resolve<IdempotencyRetention>('idempotencyRetention');
      expect(r.mode).to.equal('timer');
      expect(await r.purgeExpired()).to.equal(0);
    } finally {
      await kernel.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
