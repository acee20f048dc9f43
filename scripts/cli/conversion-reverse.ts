// `tenx conversions reverse`: a refund or chargeback takes back all or part of a conversion; its commissions follow (conversions.write).
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import { moneyArg, uuidArg } from './args.ts';
import { withClient } from './client.ts';
import { ApiError, UsageError } from './errors.ts';
import { action, examples, money, printJson, printTable } from './output.ts';

interface Reversal {
  reversalId: string;
  conversionId: string;
  amount: number;
  currency: string | null;
  reason: string;
  note: string | null;
  createdAt: string;
  deduped?: true;
  mismatch?: true;
  commissions: { commissionId: string; partnerId: string; type: string; amount: number; currency: string; status: string; reason: string | null }[];
}

// The server's REVERSAL_REASONS (core/conversions/read-schemas.ts).
const REASONS = ['refund', 'chargeback', 'fraud', 'other'];

interface ReverseOptions {
  /** The conversion by its id, as `conversions list` shows it, instead of its idempotency key. */
  conversion?: string;
  amount?: number;
  reason: string;
  note?: string;
  reversalKey?: string;
  json?: boolean;
}

/** The contract's 404 says what, not which: name the key (or id). (A 422 over_reversal says how much remains.) */
function explained(err: unknown, key: string | undefined, handle: string, o: ReverseOptions): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.status === 404) {
    const which = key === undefined ? `id ${o.conversion}` : `idempotency key "${key}"`;
    return new ApiError(404, err.code, `${err.message.replace(/\.$/, '')}: no conversion of ${handle} has ${which}`);
  }
  return err;
}

async function reverse(idempotencyKey: string | undefined, o: ReverseOptions) {
  // The API names the conversion by exactly one of the two.
  if ((idempotencyKey === undefined) === (o.conversion === undefined)) {
    throw new UsageError('name the conversion by one of: its idempotency key (the argument), or its id (--conversion, as `tenx conversions list` shows it)');
  }
  const reversalKey = o.reversalKey ?? randomUUID();
  // Said before the request: a retry after a lost answer must reuse it, or it would reverse twice.
  if (!o.reversalKey) process.stderr.write(`reversal key ${reversalKey} (should this command end without saying whether it reversed, rerun it with --reversal-key ${reversalKey}: never twice)\n`);
  await withClient(async (c) => {
    const conversion = o.conversion === undefined ? { idempotencyKey } : { conversionId: o.conversion };
    const body = { ...conversion, reversalKey, reason: o.reason, ...(o.amount !== undefined && { amount: o.amount }), ...(o.note !== undefined && { note: o.note }) };
    const r: Reversal = await c.post<Reversal>(c.handlePath('/conversions/reversals'), body).catch((err) => {
      throw explained(err, idempotencyKey, c.handle, o);
    });
    if (o.json) return printJson(r);
    // A conversion without a value (a lead) is reversed whole: "0.00" said nothing.
    const amount = r.currency === null ? 'all' : `${money(r.amount)} ${r.currency}`;
    if (r.deduped) {
      process.stdout.write(`Deduped: reversal key "${reversalKey}" already reversed ${amount} of conversion ${r.conversionId} (${r.reason}, reversal ${r.reversalId}, ${r.createdAt}); nothing new was reversed.\n`);
      if (r.mismatch) process.stderr.write('warning: this request differs from the original reversal (recorded in the audit log).\n');
    } else {
      process.stdout.write(`Reversed ${amount} of conversion ${r.conversionId} (${r.reason}): reversal ${r.reversalId}.\n`);
    }
    if (!r.commissions.length) return void process.stdout.write('No commission row was created or changed (none of its commissions was left to take back).\n');
    printTable(r.commissions, [
      { header: 'COMMISSION', value: (x) => x.commissionId },
      { header: 'PARTNER', value: (x) => x.partnerId },
      { header: 'TYPE', value: (x) => x.type },
      { header: 'AMOUNT', value: (x) => `${money(x.amount)} ${x.currency}`, align: 'right' },
      { header: 'STATUS', value: (x) => x.status },
      { header: 'REASON', value: (x) => x.reason },
    ]);
  });
}

export function registerConversionReverse(conversions: Command) {
  conversions
    .command('reverse [idempotencyKey]')
    .description(
      "reverse all or part of a conversion (refund, chargeback) by the idempotency key it was recorded with (or its id: --conversion); its commissions " +
        'follow (reversed, a negative adjustment, or a clawback once paid). The same --reversal-key again is deduped',
    )
    .option('--conversion <conversionId>', 'the conversion by its id (as `tenx conversions list` shows it) instead of its idempotency key', uuidArg)
    .option('--amount <amount>', 'how much to take back, at most 2 decimals (default: all that remains)', moneyArg)
    .addOption(new Option('--reason <reason>', 'why').choices(REASONS).makeOptionMandatory())
    .option('--note <text>', 'free text kept with the reversal')
    .option('--reversal-key <key>', 'idempotency key of this reversal (default: a new UUID, printed to stderr so a retry can reuse it)')
    .option('--json', 'print the raw JSON')
    .addHelpText('after', examples(
      'tenx conversions reverse order-789 --reason refund   # all that remains',
      'tenx conversions reverse order-789 --amount 10.50 --reason chargeback --reversal-key cb-2026-0042',
      'tenx conversions reverse --conversion 0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77 --reason fraud   # by the id the list shows',
    ))
    .action(action(reverse));
}
