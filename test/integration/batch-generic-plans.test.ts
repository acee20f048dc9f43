import { expect } from 'chai';
import pg from 'pg';
import { ClaimBatcher, type Claim } from '../../core/conversions/claim-batcher.ts';
import { RepeatBatcher, type Repeat } from '../../core/conversions/repeat-batcher.ts';
import { claimDeliveries, recordAttempts } from '../../core/notifications/delivery-store.ts';
import { ClickBuffer } from '../../core/redirect/click-buffer.ts';
import { clickRow, noSubscribers, silentLog } from '../support/click-buffer.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// The batch statements run on their generic plans (FORCE_GENERIC_PLAN, core/db/one-round-trip.ts). Left to PostgreSQL's
// plan cache, a statement whose batches are a few rows long kept custom plans, planned anew for every batch (the
// conversions bench's repeats: 3,098 plans in 3,903 executions, more time planning than executing; the claim ~3.8 ms a
// plan). pg_prepared_statements counts each session's plans; a pool of one connection makes the batcher's session the one
// asked. Each batch below is one row, as in a quiet hour.
describe('batch statements: one generic plan, not a plan per batch of a few rows', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  before(async () => {
    db = await createTestDatabase({ migrated: true });
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    await pool.query(`insert into tenants (handle, name, reporting_currency) values ('h', 'H', 'USD')`);
    await pool.query(`insert into campaigns (handle, campaign_id, goal_type, status, tracking_preset, conversion_event, slug, destination_url)
                      values ('h', 'c', 'AFFILIATE_CLICKOUT', 'ACTIVE', 'custom_webhook', 'affiliate_click', 'c', 'https://merchant.example/')`);
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  // As DeliveryAttempts passes it on PostgreSQL: the pool for queries and for its one-message transactions.
  const onPostgres = { get db() { return pool; }, get pool() { return pool; } };

  async function plansOf(name: string) {
    const { rows } = await pool.query<{ generic_plans: string; custom_plans: string }>(
      'select generic_plans, custom_plans from pg_prepared_statements where name = $1', [name],
    );
    expect(rows, name).to.have.length(1);
    return { generic: Number(rows[0].generic_plans), custom: Number(rows[0].custom_plans) };
  }

  it('the repeats (RECORD_REPEATS)', async () => {
    const batcher = new RepeatBatcher({ db: pool, pool, log: silentLog });
    const repeat = (i: number): Repeat => ({
      handle: 'h', key: `order-${i}`, hashes: ['x'], submitted: '{"clickId":null}', auditId: crypto.randomUUID(), outboxId: crypto.randomUUID(),
      actor: 'public', authenticated: false, announce: false, ownClickOnly: false,
    });
    // No original exists: none is found.
    for (let i = 0; i < 8; i++) expect(await batcher.find(repeat(i))).to.equal(null);
    const plans = await plansOf('tenx_conversions_repeats');
    expect(plans.custom).to.equal(0);
    expect(plans.generic).to.be.at.least(1);
  });

  it('the claim (CLAIM_BATCH) and its handover locks', async () => {
    const batcher = new ClaimBatcher({ db: pool, pool, log: silentLog, maxInFlight: 1, retentionDays: 365, maxPerClick: 10 });
    const claim = (i: number): Claim => ({
      handle: 'h', key: `new-${i}`, conversionId: crypto.randomUUID(), clickId: crypto.randomUUID(), campaignId: 'c', eventType: 'affiliate_click',
      value: 10, currency: 'USD', metadata: null, bodyHash: 'x', rollupCurrency: 'USD', requireClick: true, auditId: crypto.randomUUID(),
      outboxId: crypto.randomUUID(), authenticated: true, countable: true, actor: 'public', announce: false, announceCommission: false,
    });
    // Each asks for a click row that is not there: the whole statement runs, and records nothing.
    for (let i = 0; i < 8; i++) expect(await batcher.claim(claim(i))).to.deep.equal({ kind: 'no_click' });
    expect((await plansOf('tenx_conversions_claim')).custom).to.equal(0);
    expect((await plansOf('tenx_handover_locks_shared')).custom).to.equal(0);
  });

  it('the click flush', async () => {
    const buffer = new ClickBuffer({ pg: pool, outbox: noSubscribers, log: silentLog, flushMs: 1e9, batchSize: 1000, maxBuffered: 100_000, oneMessage: true });
    try {
      for (let i = 0; i < 8; i++) {
        buffer.push(clickRow(i));
        await buffer.flush();
      }
    } finally {
      await buffer.close(1000);
    }
    expect((await pool.query('select count(*)::int as n from clicks')).rows[0].n).to.equal(8);
    expect((await plansOf('tenx_click_batch')).custom).to.equal(0);
  });

  it("a webhook attempt's claim and record (delivery-store.ts)", async () => {
    // Deliveries that are not there: both statements run whole and touch nothing.
    for (let i = 0; i < 8; i++) {
      const id = crypto.randomUUID();
      expect((await claimDeliveries(onPostgres, [id], 5000)).size).to.equal(0);
      const recorded = await recordAttempts(onPostgres, [{
        deliveryId: id, status: 'retrying', retryInMs: 1500.5, counts: true, at: new Date(), statusCode: 500, latencyMs: 12,
        error: 'http:500', responseSnippet: 'a "quoted" \\ snippet',
      }]);
      expect(recorded.size).to.equal(0);
    }
    for (const name of ['tenx_deliveries_claim', 'tenx_deliveries_record']) {
      const plans = await plansOf(name);
      expect(plans.custom, name).to.equal(0);
      expect(plans.generic, name).to.be.at.least(1);
    }
  });

  it("a webhook attempt's values arrive as they were: a claimed delivery, its attempt recorded with awkward text", async () => {
    const webhookId = crypto.randomUUID();
    const deliveryId = crypto.randomUUID();
    await pool.query(`insert into webhooks (webhook_id, handle, endpoint_url, event_types, secret_sealed) values ($1, 'h', 'https://receiver.example/', '{conversion.created}', 'sealed')`, [webhookId]);
    await pool.query(`insert into deliveries (delivery_id, webhook_id, handle, event_id, event_type, body, event_created_at, next_attempt_at)
                      values ($1, $2, 'h', gen_random_uuid(), 'conversion.created', '{"a":1}', now(), now())`, [deliveryId, webhookId]);
    const claimed = await claimDeliveries(onPostgres, [deliveryId, crypto.randomUUID()], 5000);
    expect([...claimed.keys()]).to.deep.equal([deliveryId]);
    expect(claimed.get(deliveryId)).to.include({ webhookId, handle: 'h', eventType: 'conversion.created', body: '{"a":1}', endpointUrl: 'https://receiver.example/', attemptsInCycle: 0 });
    const { rows: [lease] } = await pool.query(`select lease_until - now() as left from deliveries where delivery_id = $1`, [deliveryId]);
    expect(lease.left.seconds).to.be.within(4, 5);
    const at = new Date('2026-12-08T01:02:03.456Z');
    const snippet = 'a "quoted", {braced} \\ backslashed, NULL, naïve ✓ snippet';
    // An error with awkward characters too, and the snippet holding the word NULL: each one element of its array, never a null.
    const error = 'other:"plugin", {said} \\ no';
    const recorded = await recordAttempts(onPostgres, [{ deliveryId, status: 'retrying', retryInMs: 1500.5, counts: true, at, statusCode: null, latencyMs: 12, error, responseSnippet: snippet }]);
    expect([...recorded]).to.deep.equal([deliveryId]);
    const { rows: [attempt] } = await pool.query(`select attempt, attempted_at, status_code, latency_ms, error, response_snippet from delivery_attempts where delivery_id = $1`, [deliveryId]);
    expect(attempt).to.deep.equal({ attempt: 1, attempted_at: at, status_code: null, latency_ms: 12, error, response_snippet: snippet });
    const { rows: [delivery] } = await pool.query(`select status, attempts_in_cycle, lease_until, extract(epoch from next_attempt_at - updated_at) as retry_s from deliveries where delivery_id = $1`, [deliveryId]);
    expect(delivery).to.deep.include({ status: 'retrying', attempts_in_cycle: 1, lease_until: null });
    expect(Number(delivery.retry_s)).to.equal(1.5005);
    // Due again: claimed and failed for good, its error and snippet the text NULL.
    await pool.query(`update deliveries set next_attempt_at = now(), lease_until = null where delivery_id = $1`, [deliveryId]);
    expect((await claimDeliveries(onPostgres, [deliveryId], 5000)).size).to.equal(1);
    await recordAttempts(onPostgres, [{ deliveryId, status: 'failed', retryInMs: 0, counts: true, at, statusCode: 502, latencyMs: 7, error: 'NULL', responseSnippet: 'NULL' }]);
    const { rows: second } = await pool.query(`select status_code, error, response_snippet from delivery_attempts where delivery_id = $1 and attempt = 2`, [deliveryId]);
    expect(second).to.deep.equal([{ status_code: 502, error: 'NULL', response_snippet: 'NULL' }]);
    const { rows: [done] } = await pool.query(`select status, attempts_in_cycle, next_attempt_at, completed_at is not null as completed from deliveries where delivery_id = $1`, [deliveryId]);
    expect(done).to.deep.equal({ status: 'failed', attempts_in_cycle: 2, next_attempt_at: null, completed: true });
  });
});
