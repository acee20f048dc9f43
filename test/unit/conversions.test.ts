import { expect } from 'chai';
import type { Logger } from 'pino';
import { bodyHash, canonicalJson } from '../../core/conversions/body-hash.ts';
import { CampaignLookup } from '../../core/conversions/campaign-lookup.ts';
import { ClaimBatcher, type Claim } from '../../core/conversions/claim-batcher.ts';
import { RepeatBatcher, type Repeat } from '../../core/conversions/repeat-batcher.ts';
import type { ConversionsDb } from '../../core/conversions/db.ts';
import { localTokenBuckets } from '../../core/conversions/rate-limit.ts';

describe('conversions: body hash (mismatch detection)', () => {
  const claims = { clickId: '01900000-0000-7000-8000-000000000001', handle: 'acme', campaignId: 'partner-alpha', issuedAt: new Date('2026-02-25T10:00:00Z') };
  const facts = { claims, eventType: 'affiliate_click', value: 24.99, currency: 'USD', metadata: { sku: 'A1', items: [{ b: 1, a: 2 }] } };

  it('writes canonical JSON with keys sorted at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).to.equal('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('is the same for the same facts in any key order and for 24.99 vs 24.990', () => {
    const reordered = { ...facts, value: 24.990, metadata: { items: [{ a: 2, b: 1 }], sku: 'A1' } };
    expect(bodyHash(reordered)).to.equal(bodyHash(facts));
  });

  it('is the same hash as stored ones: fixed facts give fixed digests (bodies posted before keep matching)', () => {
    // Computed by the implementation before 2026-12-03 (a Hash object over canonicalJson of the whole object).
    expect(bodyHash(facts)).to.equal('Lp5qP0qk7y9eJ8IZ02D25jleOQAyxCwX5NrMqpEK4CE');
    expect(bodyHash({ ...facts, value: null, currency: null, metadata: null })).to.equal('YzZM77gjyJjIT9CqPBgbh6qhHX5iK7Dbwzn8-JqocjA');
  });

  it('differs when any fact differs', () => {
    const base = bodyHash(facts);
    for (const changed of [
      { ...facts, value: 25 }, { ...facts, value: null }, { ...facts, currency: 'EUR' }, { ...facts, eventType: 'sale' },
      { ...facts, metadata: null }, { ...facts, metadata: { sku: 'A2', items: [{ b: 1, a: 2 }] } },
      { ...facts, claims: { ...claims, clickId: '01900000-0000-7000-8000-000000000002' } },
      { ...facts, claims: { ...claims, campaignId: 'partner-beta' } },
    ]) expect(bodyHash(changed)).to.not.equal(base);
  });
});

describe('conversions: in-process token buckets (rate limit without Redis)', () => {
  it('allows a burst, then one request per 1/rate seconds, with the wait it reports', () => {
    let now = 1_000_000;
    const take = localTokenBuckets({ ratePerSecond: 5, burst: 50 }, () => now);
    for (let i = 0; i < 50; i++) expect(take('1.2.3.4')).to.deep.equal({ allowed: true });
    const denied = take('1.2.3.4');
    expect(denied).to.deep.equal({ allowed: false, retryAfterMs: 200 });
    expect(take('5.6.7.8').allowed, 'another client').to.equal(true);
    now += 199;
    expect(take('1.2.3.4').allowed).to.equal(false);
    now += 1;
    expect(take('1.2.3.4').allowed).to.equal(true);
    now += 60_000;
    for (let i = 0; i < 50; i++) expect(take('1.2.3.4').allowed).to.equal(true);
    expect(take('1.2.3.4').allowed, 'refills only up to the burst').to.equal(false);
  });
});

describe('conversions: claim batcher (application-level group commit)', () => {
  const log = { warn() {} } as unknown as Logger;
  const claim = (key: string): Claim => ({
    handle: 'acme', key, conversionId: `c-${key}`, clickId: 'k', campaignId: 'p', eventType: 'sale', value: 1, currency: 'USD',
    metadata: null, bodyHash: 'h', rollupCurrency: 'USD', requireClick: false, auditId: 'a', outboxId: 'o', authenticated: false, countable: true, actor: 'public',
    announce: true, announceCommission: true,
  });
  /** The elements of a one-dimensional PostgreSQL array literal, as the claim sends its columns (core/db/pg-array.ts). */
  const arrayLiteral = (literal: string): string[] =>
    [...literal.slice(1, -1).matchAll(/"((?:[^"\\]|\\.)*)"|([^,]+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]));
  /** Stands in for CLAIM_BATCH: every key is new unless listed as taken; a key named "poison" fails its statement. */
  function fakeDb(taken = new Set<string>()) {
    const statements: string[][] = [];
    const db = {
      async query(q: { values: unknown[] }) {
        const [ords, , keys, ids] = (q.values.slice(0, 4) as string[]).map(arrayLiteral);
        statements.push(keys);
        await new Promise((r) => setTimeout(r, 5));
        if (keys.includes('poison')) throw new Error('poisoned');
        return { rows: ords.map((ord, i) => ({ ord: Number(ord), click_found: true, conversion_id: taken.has(keys[i]) ? null : ids[i], created_at: new Date() })) };
      },
    };
    return { db: db as unknown as ConversionsDb, statements };
  }

  it('runs at most maxInFlight statements and puts the claims that arrive meanwhile into the next one', async () => {
    const { db, statements } = fakeDb();
    const batcher = new ClaimBatcher({ db, log, maxInFlight: 2, retentionDays: 365, maxPerClick: 10 });
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.claim(claim(`k${i}`))));
    expect(outcomes.every((o) => o.kind === 'created')).to.equal(true);
    expect(statements.map((s) => s.length)).to.deep.equal([1, 1, 48]);
  });

  it('answers a key already claimed in this process as taken, without another statement for it', async () => {
    const { db, statements } = fakeDb();
    const batcher = new ClaimBatcher({ db, log, maxInFlight: 1, retentionDays: 365, maxPerClick: 10 });
    const outcomes = await Promise.all([batcher.claim(claim('same')), batcher.claim(claim('same')), batcher.claim(claim('other'))]);
    expect(outcomes.map((o) => o.kind)).to.deep.equal(['created', 'taken', 'created']);
    expect(statements.flat().filter((k) => k === 'same')).to.have.length(1);
  });

  it('never puts one key twice in a statement when the claim its repeats waited for found no click yet', async () => {
    // As PostgreSQL answers CLAIM_BATCH: a key twice in one statement fails it (21000, ON CONFLICT DO UPDATE cannot
    // affect a row a second time); the click row shows up from the second statement on; a claimed key is taken.
    const statements: string[][] = [];
    const claimed = new Set<string>();
    const db = {
      async query(q: { values: unknown[] }) {
        const [ords, , keys, ids] = (q.values.slice(0, 4) as string[]).map(arrayLiteral);
        statements.push(keys);
        await new Promise((r) => setTimeout(r, 5));
        if (new Set(keys).size < keys.length) throw Object.assign(new Error('ON CONFLICT DO UPDATE command cannot affect row a second time'), { code: '21000' });
        const clickFound = statements.length > 1;
        return {
          rows: ords.map((ord, i) => {
            const created = clickFound && !claimed.has(keys[i]);
            if (created) claimed.add(keys[i]);
            return { ord: Number(ord), click_found: clickFound, conversion_id: created ? ids[i] : null, created_at: new Date() };
          }),
        };
      },
    } as unknown as ConversionsDb;
    let failedBatches = 0;
    const counting = { warn() { failedBatches++; } } as unknown as Logger;
    const batcher = new ClaimBatcher({ db, log: counting, maxInFlight: 1, retentionDays: 365, maxPerClick: 10 });
    const fresh = (key: string) => ({ ...claim(key), requireClick: true });
    // The merchant's server retries an order while its click is still in a redirect process's buffer.
    const first = batcher.claim(fresh('order-1'));
    const repeats = [batcher.claim(fresh('order-1')), batcher.claim(fresh('order-1')), batcher.claim(fresh('order-1')), batcher.claim(claim('neighbour'))];
    const outcomes = [await first, ...(await Promise.all(repeats))].map((o) => o.kind);
    expect(outcomes).to.deep.equal(['no_click', 'created', 'taken', 'taken', 'created']);
    expect(statements.filter((keys) => new Set(keys).size < keys.length), 'statements naming a key twice').to.deep.equal([]);
    expect(failedBatches, 'batches that failed and were retried claim by claim').to.equal(0);
  });

  it('retries a failed batch claim by claim, so one bad submission fails alone', async () => {
    const { db } = fakeDb(new Set(['dup']));
    const batcher = new ClaimBatcher({ db, log, maxInFlight: 1, retentionDays: 365, maxPerClick: 10 });
    const first = batcher.claim(claim('first'));
    const rest = ['a', 'poison', 'dup'].map((k) => batcher.claim(claim(k)).then((o) => o.kind, (e: Error) => e.message));
    await first;
    expect(await Promise.all(rest)).to.deep.equal(['created', 'poisoned', 'taken']);
  });
});

describe('conversions: campaign lookup (the conversion path\'s memory of campaigns and handle settings)', () => {
  it('does not remember a look-up that a change overtook: the next conversion reads the change, not the old row for 10 s', async () => {
    // The campaign's row as the database has it; each query answers when the test says so.
    let maxConversionValue = 1000;
    const answers: Array<() => void> = [];
    let queries = 0;
    const db = {
      query: async () => {
        queries++;
        const row = { goal_type: 'affiliate', reporting_currency: 'USD', max_conversion_value: maxConversionValue, public_conversions: 'accept' };
        await new Promise<void>((ok) => answers.push(ok));
        return { rows: [row] };
      },
    } as unknown as ConversionsDb;
    const lookup = new CampaignLookup(db);
    // A conversion reads the campaign; before its answer is handled, a PATCH commits (maxConversionValue: 50) and its
    // bus message (Bus.deliver, before the PATCH is answered) makes this process forget the handle.
    const reading = lookup.find('acme', 'partner-alpha');
    await Promise.resolve();
    maxConversionValue = 50;
    lookup.forget('acme');
    answers.shift()!();
    expect((await reading)?.maxConversionValue, 'the overtaken read answers its own conversion').to.equal(1000);
    // The next conversion, after the PATCH was answered, must see 50.
    const next = lookup.find('acme', 'partner-alpha');
    await Promise.resolve();
    answers.shift()?.();
    expect((await next)?.maxConversionValue).to.equal(50);
    expect(queries).to.equal(2);
    // forgetAll (the bus resumed) too.
    const again = lookup.find('acme', 'other');
    await Promise.resolve();
    maxConversionValue = 70;
    lookup.forgetAll();
    answers.shift()!();
    await again;
    const after = lookup.find('acme', 'other');
    await Promise.resolve();
    answers.shift()?.();
    expect((await after)?.maxConversionValue).to.equal(70);
  });
});

describe('conversions: repeat batcher (group commit of repeats)', () => {
  const repeat = (key: string): Repeat => ({
    handle: 'acme', key, hashes: ['h'], submitted: '{}', auditId: 'a', outboxId: 'o', actor: 'public', authenticated: false, announce: false, ownClickOnly: false,
  });
  const keysOf = (literal: string) => literal.slice(1, -1).split(',').map((k) => k.replace(/^"|"$/g, ''));

  it('sends the repeats that arrive while one statement runs in the next, and answers each with its own row or null', async () => {
    const statements: string[][] = [];
    let failed = 0;
    const db = {
      async query(q: { values: string[] }) {
        const keys = keysOf(q.values[2]);
        statements.push(keys);
        await new Promise((r) => setTimeout(r, 5));
        if (keys.includes('poison')) throw new Error('poisoned');
        // As RECORD_REPEATS answers: a row (with its ord) only for a key whose original exists.
        return { rows: keys.flatMap((k, ord) => (k.startsWith('gone') ? [] : [{ ord, conversion_id: `c-${k}`, mismatch: false }])) };
      },
    } as unknown as ConversionsDb;
    const batcher = new RepeatBatcher({ db, log: { warn: () => failed++ } as unknown as Logger });
    const first = batcher.find(repeat('k0'));
    const rest = ['k1', 'gone-1', 'poison', 'k2'].map((k) => batcher.find(repeat(k)).then((r) => r?.conversion_id ?? null, (e: Error) => e.message));
    expect((await first)?.conversion_id).to.equal('c-k0');
    expect(await Promise.all(rest)).to.deep.equal(['c-k1', null, 'poisoned', 'c-k2']);
    // The first alone, the four that queued meanwhile together, then (that statement failed) each of them on its own.
    expect(statements).to.deep.equal([['k0'], ['k1', 'gone-1', 'poison', 'k2'], ['k1'], ['gone-1'], ['poison'], ['k2']]);
    expect(failed, 'the failed batch logged once').to.equal(1);
  });
});
