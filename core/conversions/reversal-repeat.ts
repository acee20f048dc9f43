import type { PoolClient } from 'pg';
import { auditInsertSql } from '../audit/index.ts';
import type { ReversalInput } from './reversals.ts';
import { CONVERSION_NAMED } from './reversal-target.ts';

// $1 handle, $2 the original reversal's id, $3 actor, $4 the changes (jsonb).
const MISMATCH_AUDIT = `
with r as (select * from conversion_reversals where handle = $1 and reversal_id = $2)
${auditInsertSql({
  handle: '$1', type: "'conversion.reversal_mismatch'", actor: '$3::text', campaignId: 'r.campaign_id', subjectId: 'r.reversal_id::text',
  payload: "jsonb_build_object('reversalKey', r.reversal_key, 'reversalId', r.reversal_id, 'conversionId', r.conversion_id, 'changes', $4::jsonb)",
  from: 'r',
})}`;

type OriginalReversal = Record<string, unknown> & {
  reversalId: string;
  conversionId: string;
  amount: number | string;
  reason: string;
  note: string | null;
};

/**
 * A reversalKey seen before is answered with its original, as a conversion key is (API.md): when the
 * repeat asks for something else (another conversion, amount, reason or note), the answer also says
 * `mismatch` and an audit event (`conversion.reversal_mismatch`) records what differed. Nothing is reversed again.
 */
export async function answerRepeat(client: PoolClient, handle: string, input: ReversalInput, actor: string, original: OriginalReversal) {
  const changes: Record<string, unknown> = {};
  const byId = input.conversionId !== undefined;
  const { rows: [asked] } = await client.query<{ conversion_id: string }>(byId ? CONVERSION_NAMED.id : CONVERSION_NAMED.key, [handle, byId ? input.conversionId : input.idempotencyKey]);
  if (asked?.conversion_id !== original.conversionId) Object.assign(changes, byId ? { conversionId: input.conversionId } : { idempotencyKey: input.idempotencyKey });
  // Both have at most 2 fraction digits (the input is checked, the column is numeric(…, 2)): toFixed(2) is exact.
  if (input.amount !== undefined && input.amount.toFixed(2) !== Number(original.amount).toFixed(2)) changes.amount = input.amount;
  if (input.reason !== original.reason) changes.reason = input.reason;
  if ((input.note ?? null) !== original.note) changes.note = input.note ?? null;
  if (Object.keys(changes).length === 0) return { deduped: true as const, reversal: original };
  await client.query(MISMATCH_AUDIT, [handle, original.reversalId, actor, JSON.stringify(changes)]);
  return { deduped: true as const, mismatch: true as const, reversal: original };
}
