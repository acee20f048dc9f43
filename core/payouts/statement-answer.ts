import type { Context } from 'koa';
import type { PayoutService } from './service.ts';
import { PARTNER_STATEMENT_COLUMNS, STATEMENT_COLUMNS, type StatementFormat } from './statement.ts';

/** The statement's 200, for the handle's route or (`partnerView`) the partner realm's. */
export const statementResponse = (partnerView = false) => ({
  description: `Columns: ${(partnerView ? PARTNER_STATEMENT_COLUMNS : STATEMENT_COLUMNS).join(', ')}` +
    (partnerView ? " (never the merchant's order key)" : " (idempotencyKey: the line's conversion's, the merchant's order id; empty for click lines)") +
    '. In CSV an amount has its two decimals (15.00); NDJSON has the API\'s numbers. A canceled payout lists the lines it held (they returned to the ledger: their status is as it is now, approved again or paid by a later payout; one canceled before migration 0034 lists none). ' +
    'The lines are one snapshot, read when the download starts: a cancel or mark-paid committed meanwhile does not show in it. ' +
    'A reader slower than EXPORT_MIN_BYTES_PER_S over EXPORT_STALL_MS is cut mid-stream.',
  schema: { type: 'string' },
  contentType: 'text/csv',
  alternatives: { 'application/x-ndjson': { type: 'string', description: 'format=ndjson: one JSON object per line, with the same fields.' } },
});

/**
 * Answers a payout's statement download: 404 unless the payout exists and, with `partnerId` (the partner
 * realm), is that partner's; then its lines as an attachment.
 */
export async function answerStatement(ctx: Context, payouts: PayoutService, handle: string, payoutId: string, partnerId?: string) {
  await payouts.get(handle, payoutId, partnerId);
  const format = (ctx.state.query as { format: StatementFormat }).format;
  ctx.set('content-disposition', `attachment; filename="payout-${payoutId}.${format}"`);
  ctx.set('cache-control', 'no-store');
  ctx.type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8';
  ctx.body = payouts.statement(handle, payoutId, format, partnerId !== undefined);
}
