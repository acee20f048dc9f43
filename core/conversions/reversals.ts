import type { Pool, PoolClient } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { centsProblems, reverseConversionCommissions } from '../commissions/index.ts';
import { withTransaction } from '../db/transaction.ts';
import { invalidRequest, notFound, unprocessable } from '../http/errors.ts';
import { outboxInsertSql, type OutboxService } from '../outbox/index.ts';
import { auditInsertSql } from '../audit/index.ts';
import { answerRepeat } from './reversal-repeat.ts';
import { CONVERSION_NAMED } from './reversal-target.ts';
import { isoTimeSql } from '../db/json-time.ts';

/** What over_reversal tells the caller: how much remains (a merchant's conversions.write token cannot read the conversion). */
function overReversal(c: { value: string | null; remaining: string; amount: string; currency: string | null; reversals: number }): string {
  const more = 'The reversal is more than what remains of the conversion\'s value';
  if (c.value === null || Number(c.value) === 0) {
    return c.reversals > 0 ? `${more}: it has none, and was reversed whole already.` : `${more}: it has none to split; reverse it whole, without an amount.`;
  }
  if (Number(c.remaining) === 0) return `${more}: nothing, all ${c.value} ${c.currency} of it was reversed.`;
  return `The reversal (${c.amount} ${c.currency}) is more than what remains of the conversion's value: ${c.remaining} of its ${c.value} ${c.currency}.`;
}

export interface ReversalInput {
  /** Exactly one of the two names the conversion. */
  idempotencyKey?: string;
  conversionId?: string;
  reversalKey: string;
  amount?: number;
  reason: 'refund' | 'chargeback' | 'fraud' | 'other';
  note?: string;
}

const REVERSAL_COLUMNS = `r.reversal_id as "reversalId", r.conversion_id as "conversionId", r.amount, r.currency, r.reason, r.note,
  r.created_at as "createdAt", r.commissions`;

const EXISTING = `select ${REVERSAL_COLUMNS} from conversion_reversals r where r.handle = $1 and r.reversal_key = $2`;

/**
 * The conversion, locked: concurrent reversals of it queue here, so each sees what the ones before
 * it took back and none can take back more than the value. $3: the amount asked (null: all that
 * remains). Money stays numeric (text in JS): `remaining` and `amount` are computed here.
 */
const lockConversion = (named: string) => `
select v.conversion_id, v.campaign_id, v.partner_id, v.currency, v.value::text as value, v.reversed_value::text as reversed_before, v.reversals,
       -- A conversion without a value, or of value 0 (a flat-rate lead), has nothing to split: one full reversal, without an amount.
       a.amount::text as amount, a.remaining::text as remaining, a.amount > a.remaining or (coalesce(v.value, 0) = 0 and v.reversals > 0) or a.amount <= 0 and v.value > 0 as over,
       v.value is null or v.reversed_value + a.amount >= v.value as full
  from (${named} for update) v
  cross join lateral (select coalesce(v.value, 0) - v.reversed_value as remaining) rem
  cross join lateral (select coalesce($3::numeric, rem.remaining) as amount, rem.remaining) a`;

const LOCK_BY = { key: lockConversion(CONVERSION_NAMED.key), id: lockConversion(CONVERSION_NAMED.id) };

/**
 * Records the reversal and its event, and moves the conversion's reversed value. $1 handle, $2 reversal id,
 * $3 key, $4 conversion id, $5 amount, $6 reason, $7 note, $8 actor, $9 commissions (jsonb).
 */
const RECORD = `
with conv as (
  update conversions set reversed_value = reversed_value + $5::numeric, reversals = reversals + 1
   where conversion_id = $4
  returning conversion_id, campaign_id, partner_id, currency, value, reversed_value
), rev as (
  insert into conversion_reversals (reversal_id, handle, reversal_key, conversion_id, campaign_id, partner_id, amount, currency, reason, note, actor, commissions)
  select $2, $1, $3, conversion_id, campaign_id, partner_id, $5::numeric, currency, $6, $7, $8, $9::jsonb from conv
  returning *
), data as (
  select r.handle, r.campaign_id, r.reversal_id,
         jsonb_build_object('reversalId', r.reversal_id, 'conversionId', r.conversion_id, 'campaignId', r.campaign_id, 'partnerId', c.partner_id,
                            'amount', r.amount, 'currency', r.currency, 'reason', r.reason, 'note', r.note, 'reversedValue', c.reversed_value,
                            'value', c.value, 'createdAt', ${isoTimeSql('r.created_at')}, 'commissions', r.commissions) as payload
    from rev r cross join conv c
), audit as (${auditInsertSql({
  handle: 'handle', type: "'conversion.reversed'", actor: '$8', campaignId: 'campaign_id', subjectId: "(payload->>'conversionId')",
  payload: "payload - 'commissions' || jsonb_build_object('reversalKey', $3::text)", from: 'data',
})}
), events as (${outboxInsertSql({ handle: 'handle', type: "'conversion.reversed'", payload: 'payload', from: 'data' })}
)
select ${REVERSAL_COLUMNS} from rev r`;

/**
 * Reversals of recorded conversions (refunds, chargebacks): idempotent by reversalKey, never more than
 * the value, and the ledger's side (reverseConversionCommissions) in the same transaction.
 */
export class ReversalService {
  private readonly deps: { pg: Pool; outbox: OutboxService };

  constructor(deps: { pg: Pool; outbox: OutboxService }) {
    this.deps = deps;
  }

  async reverse(handle: string, input: ReversalInput, actor: string): Promise<{ deduped: boolean; mismatch?: true; reversal: Record<string, unknown> }> {
    // Money has 2 fraction digits: a third is refused, never rounded away (read from the number's own text, core/commissions/money.ts).
    if ((input.idempotencyKey === undefined) === (input.conversionId === undefined)) {
      throw invalidRequest('The request body is invalid.', [{
        pointer: '/body/idempotencyKey',
        message: input.conversionId === undefined ? 'is required (or conversionId)' : 'and conversionId name the conversion twice: send one of them',
      }]);
    }
    const cents = centsProblems(input, 'amount');
    if (cents.length) throw invalidRequest('The request body is invalid.', cents);
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await withTransaction(this.deps.pg, (client) => this.attempt(client, handle, input, actor));
        if (!result.deduped) this.deps.outbox.wake();
        return result;
      } catch (err) {
        // The same reversalKey committed by a concurrent request meanwhile: answer it as the repeat it is.
        if ((err as { code?: string }).code !== '23505' || attempt > 0) throw err;
      }
    }
  }

  private async attempt(client: PoolClient, handle: string, input: ReversalInput, actor: string) {
    const { rows: seen } = await client.query(EXISTING, [handle, input.reversalKey]);
    if (seen[0]) return answerRepeat(client, handle, input, actor, seen[0]);
    const amount = input.amount === undefined ? null : input.amount.toFixed(2);
    const { rows: [conv] } = await client.query(input.conversionId ? LOCK_BY.id : LOCK_BY.key, [handle, input.conversionId ?? input.idempotencyKey, amount]);
    if (!conv) throw notFound('Conversion');
    // Another request with this reversalKey may have committed while this one waited for the lock.
    const { rows: again } = await client.query(EXISTING, [handle, input.reversalKey]);
    if (again[0]) return answerRepeat(client, handle, input, actor, again[0]);
    if (conv.over) throw unprocessable('over_reversal', overReversal(conv));
    const commissions = await reverseConversionCommissions(client, {
      handle, conversionId: conv.conversion_id, amount: conv.amount, value: conv.value, reversedBefore: conv.reversed_before, full: conv.full,
      reason: input.reason, actor,
    });
    const { rows: [reversal] } = await client.query(RECORD, [
      handle, uuidv7(), input.reversalKey, conv.conversion_id, conv.amount, input.reason, input.note ?? null, actor, JSON.stringify(commissions),
    ]);
    return { deduped: false, reversal };
  }
}
