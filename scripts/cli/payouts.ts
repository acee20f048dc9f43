// `tenx payouts ...`: run payouts over the approved ledger, mark them paid, fetch their statements.
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { intArg, listArg, moneyArg, payoutIdArg, timeArg } from './args.ts';
import { payoutId } from './payout-id.ts';
import { streamed, withClient } from './client.ts';
import { registerGetCommand } from './get-command.ts';
import { ApiError } from './errors.ts';
import { action, examples, money, printJson, printTable } from './output.ts';

interface Payout {
  payoutId: string;
  partnerId: string;
  amount: number;
  currency: string;
  commissionCount: number;
  status: string;
  periodEnd: string;
  reference: string | null;
  createdAt: string;
  paidAt: string | null;
}

function describePayout(p: Payout): string {
  return [
    `${p.payoutId}  ${p.status}`,
    `  partner:     ${p.partnerId}`,
    `  amount:      ${money(p.amount)} ${p.currency} over ${p.commissionCount} ${p.commissionCount === 1 ? 'line' : 'lines'}${p.status === 'canceled' ? ' (when canceled: they are approved again, for a later run)' : ''}`,
    `  period end:  ${p.periodEnd}`,
    `  created:     ${p.createdAt}`,
    ...(p.paidAt ? [`  paid:        ${p.paidAt}${p.reference ? `  reference ${p.reference}` : ''}`] : []),
    ...(!p.paidAt && p.reference ? [`  reference:   ${p.reference}`] : []),
  ].join('\n') + '\n';
}

// The server's PAYOUT_STATUSES (core/payouts/schemas.ts).
const STATUSES = ['pending', 'paid', 'canceled'];

/**
 * `--period-end`: a time as given, or a bare date (2026-12-31) as the end of that UTC day, as the
 * dashboard's date field sends it: "due by the 31st" includes commissions whose hold ends that day
 * (timeArg alone made it the day's first millisecond, so the CLI paid less than the dashboard).
 */
export function periodEndArg(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value.trim())) return timeArg(value);
  const day = new Date(`${value.trim()}T00:00:00.000Z`);
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value.trim()) throw new InvalidArgumentError(`expected a date like 2026-12-31 or an ISO-8601 time, got "${value}"`);
  return `${value.trim()}T23:59:59.999Z`;
}

/**
 * Why a run paid nothing. Approved commissions alone do not make a payout: a run pays those whose
 * hold has ended by the period end (one approved by hand keeps its holdUntil), so "no approved
 * balance" sent people looking for approvals that were there.
 */
export const NOTHING_DUE = 'no payout: nothing approved was due by the period end (a commission approved by hand keeps its hold: it is paid once '
  + "the hold ends, or pass a later --period-end), or what is due is below the partner's minimum payout, or not above 0 after a clawback "
  + '(either carries forward: a partner\'s approved commissions, held ones too, are in tenx commissions list --partner <id> --status approved; its minimum: tenx partners list)';

const columns = [
  { header: 'PAYOUT', value: (p: Payout) => p.payoutId },
  { header: 'PARTNER', value: (p: Payout) => p.partnerId },
  { header: 'AMOUNT', value: (p: Payout) => `${money(p.amount)} ${p.currency}`, align: 'right' as const },
  { header: 'LINES', value: (p: Payout) => p.commissionCount, align: 'right' as const },
  { header: 'STATUS', value: (p: Payout) => p.status },
  { header: 'PERIOD END', value: (p: Payout) => p.periodEnd },
  { header: 'REFERENCE', value: (p: Payout) => p.reference },
];

export function registerPayoutCommands(program: Command) {
  const payouts = program.command('payouts').description('payouts: run, list, show one, mark paid, cancel, statements (payouts.read / payouts.write)');

  payouts
    .command('run')
    .description('one payout per partner and currency over approved, unpaid commissions; the same --key again returns the same payouts; a --partners id the handle does not have is refused (422 unknown_partner: nothing is paid, and the --key stays unused)')
    .option('--key <idempotencyKey>', 'idempotency key (default: a new UUID, printed to stderr so a retry can reuse it)')
    .option('--period-end <time>', 'commissions due (hold ended) by this ISO-8601 time, or by the end of this UTC date (default now)', periodEndArg)
    .option('--partners <ids>', 'only these partners (comma-separated)', listArg)
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { key?: string; periodEnd?: string; partners?: string[]; json?: boolean }) => {
        const key = o.key ?? randomUUID();
        await withClient(async (c) => {
          // Not for a partner token: its run is refused (403), so there is nothing to retry.
          if (!o.key && !c.isPartner) process.stderr.write(`payout run key ${key} (pass --key ${key} to retry this run safely)\n`);
          const answer = await c.answer<{ data: Payout[] }>('POST', c.handlePath('/payouts'), {
            body: { idempotencyKey: key, ...(o.periodEnd && { periodEnd: o.periodEnd }), ...(o.partners?.length && { partnerIds: o.partners }) },
          });
          const res = answer.body;
          if (o.json) printJson(res);
          else {
            const replayed = answer.headers['idempotent-replayed'] === 'true';
            if (replayed) {
              const other = answer.headers['idempotency-mismatch'] === 'true' ? ' with another --period-end or --partners' : '';
              process.stderr.write(`key ${key} ran before${other}: these are that run's payouts; nothing new was paid out (use a new --key for a new run)\n`);
            }
            printTable(res.data, columns, replayed ? 'that run created no payout' : NOTHING_DUE);
          }
        });
      }),
    );

  payouts
    .command('list')
    .description('list payouts, newest first')
    .option('--partner <partnerId>', "only this partner's")
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    // As `campaigns list`: one page of 1..500, the next by --cursor, named on stderr when there is one.
    .option('--limit <n>', 'one page of at most n (default: every page)', intArg(1, 500))
    .option('--cursor <cursor>', 'the page after this cursor')
    .option('--json', 'print the raw JSON ({data, nextCursor})')
    .addHelpText('after', examples('tenx payouts list --status pending', 'tenx payouts list --partner gamma --limit 12'))
    .action(
      action(async (o: { partner?: string; status?: string; limit?: number; cursor?: string; json?: boolean }) => {
        await withClient(async (c) => {
          // A partner token: its own payouts, on its realm.
          const page = await c.list<Payout>(c.readPath('/payouts'), { partnerId: c.partnerFilter(o.partner), status: o.status, limit: o.limit, cursor: o.cursor });
          if (o.json) return printJson(page);
          printTable(page.data, columns, o.partner || o.status || o.cursor ? 'no payouts match' : 'no payouts yet');
          if (page.nextCursor) process.stderr.write(`(more: --cursor ${page.nextCursor})\n`);
        });
      }),
    );

  registerGetCommand(payouts, {
    argument: ['<payoutId>', 'its id, or its first 8 characters as the dashboard shows them', payoutIdArg],
    description: 'show one payout: partner, amount and lines, status, when it was paid and its reference (a partner login: its own)',
    examples: ['tenx payouts get 0407724c', 'tenx payouts statement 0407724c > lines.csv   # its lines'],
    path: async (c, given) => c.readPath(`/payouts/${encodeURIComponent(await payoutId(c, given))}`),
    describe: describePayout,
  });

  payouts
    .command('mark-paid')
    .argument('<payoutId>', 'its id, or its first 8 characters as the dashboard shows them (`tenx payouts list` gives it)', payoutIdArg)
    .description('mark a pending payout paid (its commissions become paid)')
    .option('--reference <reference>', 'the payment\'s reference (bank transfer id)')
    .option('--amount <amount>', 'the amount you transferred: refused (nothing marked) unless the payout is exactly that now (a refund can shrink a pending payout)', moneyArg)
    .option('--json', 'print the raw JSON')
    .action(
      action(async (given: string, o: { reference?: string; amount?: number; json?: boolean }) => {
        await withClient(async (c) => {
          const id = await payoutId(c, given);
          const path = c.handlePath(`/payouts/${encodeURIComponent(id)}`);
          // What is paid is the payout as read here (If-Match: its ETag), never one a refund changed in between (412).
          // A token with payouts.write alone cannot read it (403): without --amount it pays the payout as it is, as before.
          const read = await c.answer<Payout>('GET', path).catch((err: unknown) => {
            if (o.amount === undefined && err instanceof ApiError && err.status === 403) return null;
            throw err;
          });
          if (read && o.amount !== undefined && money(read.body.amount) !== money(o.amount)) {
            throw new Error(`payout ${id} is ${money(read.body.amount)} ${read.body.currency} over ${read.body.commissionCount} lines now, not ${money(o.amount)}: nothing was marked paid`);
          }
          const etag = read?.headers.etag;
          const p = await c.json<Payout>('POST', `${path}/mark-paid`, { body: o.reference ? { reference: o.reference } : {}, headers: etag ? { 'if-match': String(etag) } : {} });
          if (o.json) return printJson(p);
          process.stdout.write(`Payout ${p.payoutId} to ${p.partnerId}: ${money(p.amount)} ${p.currency} paid${p.reference ? ` (${p.reference})` : ''}.\n`);
        });
      }),
    );

  payouts
    .command('cancel')
    .argument('<payoutId>', 'its id, or its first 8 characters as the dashboard shows them (`tenx payouts list` gives it)', payoutIdArg)
    .description('cancel a pending payout (its commissions return to approved, for a later run)')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (given: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const p: Payout = await c.post(c.handlePath(`/payouts/${encodeURIComponent(await payoutId(c, given))}/cancel`));
          if (o.json) return printJson(p);
          process.stdout.write(`Payout ${p.payoutId} to ${p.partnerId}: ${money(p.amount)} ${p.currency} canceled; its ${p.commissionCount} commissions are approved again.\n`);
        });
      }),
    );

  payouts
    .command('statement')
    .argument('<payoutId>', 'its id, or its first 8 characters as the dashboard shows them (`tenx payouts list` gives it)', payoutIdArg)
    .description("the payout's commission lines, to stdout (a partner token: its own payout's, without the order keys)")
    .addOption(new Option('--format <format>', 'file format').choices(['csv', 'ndjson']).default('csv').conflicts('json'))
    .option('--json', "print the lines as one JSON array (the ndjson format's objects)")
    .addHelpText('after', examples('tenx payouts statement 0407724c > lines.csv', 'tenx payouts statement 0407724c --json | jq length'))
    .action(
      action(async (given: string, o: { format: 'csv' | 'ndjson'; json?: boolean }) => {
        await withClient(async (c) => {
          // --json: the server's ndjson, one object per line, as the array every other --json prints (not the CSV re-read).
          const format = o.json ? 'ndjson' : o.format;
          const asked = await c.raw('GET', c.readPath(`/payouts/${encodeURIComponent(await payoutId(c, given))}/statement`), { query: { format }, headers: { accept: '*/*' } });
          const res = await streamed(asked, c.url, format);
          if (o.json) return printJson((await res.body.text()).split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as unknown));
          for await (const chunk of res.body) process.stdout.write(chunk as Buffer);
        });
      }),
    );
}
