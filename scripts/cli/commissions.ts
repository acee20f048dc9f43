// `tenx commissions ...`: the commission ledger; approve or reject with a reason (audited).
import { Option, type Command } from 'commander';
import { intArg, timeArg, toArg, uuidListArg } from './args.ts';
import { withClient } from './client.ts';
import { EXIT_API } from './errors.ts';
import { action, money, printJson, printTable } from './output.ts';

interface Commission {
  commissionId: string;
  partnerId: string;
  campaignId: string;
  type: string;
  eventType: string;
  quantity: number;
  amount: number;
  currency: string;
  status: string;
  reason: string | null;
  holdUntil: string;
  payoutId: string | null;
}
interface Summary { currency: string; status: string; count: number; amount: number }
interface BulkResult { commissionId: string; status: number; commission?: Commission; error?: { code: string; message: string } }

const STATUSES = ['pending', 'approved', 'paid', 'rejected', 'reversed'];
const TYPES = ['click', 'conversion', 'adjustment', 'clawback'];
/** Ids per POST …/commissions/bulk (API.md: at most 500). */
const BULK_MAX = 500;

const resultLine = (r: BulkResult) => (r.status === 200 ? `${r.commissionId} ${r.commission?.status}\n` : `${r.commissionId} refused: ${r.error?.message ?? r.status}\n`);

async function move(ids: string[], status: 'approved' | 'rejected', o: { reason: string; json?: boolean }) {
  await withClient(async (c) => {
    // One id: PATCH (its error is the command's); several: the bulk route, one result per id, in calls of at most
    // BULK_MAX ids (the API's bound: 501 ids were its 400, though the help promised "one or more").
    const results: BulkResult[] = [];
    if (ids.length === 1) {
      results.push({ commissionId: ids[0], status: 200, commission: await c.patch(c.handlePath(`/commissions/${encodeURIComponent(ids[0])}`), { status, reason: o.reason }) });
    }
    for (let i = 0; ids.length > 1 && i < ids.length; i += BULK_MAX) {
      try {
        results.push(...(await c.post(c.handlePath('/commissions/bulk'), { commissionIds: ids.slice(i, i + BULK_MAX), status, reason: o.reason })).data);
      } catch (err) {
        // The batches before this one moved: say which, then fail (a rerun with the rest moves nothing twice: 409s).
        if (results.length) process.stderr.write(`${results.filter((r) => r.status === 200).length} of ${ids.length} moved before this error (the first ${i} ids were sent):\n`);
        for (const r of results) process.stderr.write(resultLine(r));
        throw err;
      }
      // More than one call: say how far it is (1,002 ids are three calls).
      if (ids.length > BULK_MAX) process.stderr.write(`sent ${Math.min(i + BULK_MAX, ids.length)} of ${ids.length}\n`);
    }
    // A refused id exits 1 whichever way the results are printed: a script branches on it, --json or not.
    if (results.some((r) => r.status !== 200)) process.exitCode = EXIT_API;
    if (o.json) return printJson({ data: results });
    // What moved on stdout, what was refused on stderr (as every error is), then how many were refused.
    for (const r of results) (r.status === 200 ? process.stdout : process.stderr).write(resultLine(r));
    const refused = results.filter((r) => r.status !== 200).length;
    const moved = results.length - refused;
    if (refused) process.stderr.write(`tenx: ${refused} of ${results.length} refused${moved ? `; ${moved} moved to ${status}` : ''}\n`);
  });
}

export function registerCommissionCommands(program: Command) {
  const commissions = program.command('commissions').description('the commission ledger: list, approve, reject (commissions.read / commissions.write)');

  commissions
    .command('list')
    .description('list commissions (newest first) and the summary by status and currency over the whole filter')
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .addOption(new Option('--type <type>', 'only this type').choices(TYPES))
    .option('--partner <partnerId>', 'only this partner')
    .option('--campaign <campaignId>', 'only this campaign')
    .option('--from <time>', 'created from this ISO-8601 time', timeArg)
    .option('--to <time>', 'created before this ISO-8601 time; a bare date: to the end of that UTC day', toArg)
    // As `campaigns list`: one page of 1..500 (the API's bounds, checked here so a bad value is a usage
    // error), the next page by --cursor, and a note on stderr when there is one.
    .option('--limit <n>', 'one page of at most n (default: every page)', intArg(1, 500))
    .option('--cursor <cursor>', 'the page after this cursor')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { status?: string; type?: string; partner?: string; campaign?: string; from?: string; to?: string; limit?: number; cursor?: string; json?: boolean }) => {
        await withClient(async (c) => {
          const filters = { status: o.status, type: o.type, partnerId: c.partnerFilter(o.partner), campaignId: o.campaign, from: o.from, to: o.to };
          // A partner token reads its own commissions on its realm (same filters and shapes).
          const first: { summary: Summary[] } = await c.get(c.readPath('/commissions'), { ...filters, limit: 1 });
          const page = await c.list<Commission>(c.readPath('/commissions'), { ...filters, limit: o.limit, cursor: o.cursor });
          if (o.json) return printJson({ ...page, summary: first.summary });
          printTable(page.data, [
            { header: 'COMMISSION', value: (r) => r.commissionId },
            { header: 'PARTNER', value: (r) => r.partnerId },
            { header: 'CAMPAIGN', value: (r) => r.campaignId },
            { header: 'TYPE', value: (r) => r.type },
            { header: 'QTY', value: (r) => r.quantity, align: 'right' },
            { header: 'AMOUNT', value: (r) => `${money(r.amount)} ${r.currency}`, align: 'right' },
            { header: 'STATUS', value: (r) => r.status },
            { header: 'HOLD UNTIL', value: (r) => r.holdUntil },
            // Still pending well after its hold (automatic approval runs every minute): a person decides it.
            { header: 'REASON', value: (r) => r.reason ?? (r.status === 'pending' && Date.parse(r.holdUntil) < Date.now() - 3 * 60_000 ? '(awaiting review: not approved automatically)' : null) },
          ], 'no commissions match');
          if (page.nextCursor) process.stderr.write(`(more: --cursor ${page.nextCursor})\n`);
          if (first.summary.length) {
            process.stdout.write('\n');
            printTable(first.summary, [
              { header: 'STATUS', value: (s) => s.status },
              { header: 'COUNT', value: (s) => s.count, align: 'right' },
              { header: 'AMOUNT', value: (s) => `${money(s.amount)} ${s.currency}`, align: 'right' },
            ]);
          }
        });
      }),
    );

  for (const [verb, status] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    commissions
      .command(verb)
      .argument('<commissionIds...>', 'their ids (from `tenx commissions list`)', uuidListArg)
      .description(`${verb} one or more commissions with a reason (sent 500 at a time); exit 1 if any is refused`)
      .requiredOption('--reason <reason>', 'why (kept in the audit log)')
      .option('--json', 'print the raw JSON')
      .action(action((ids: string[], o: { reason: string; json?: boolean }) => move(ids, status, o)));
  }
}
