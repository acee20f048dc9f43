// `tenx conversions list` and `get`: recorded conversions with their partner and what reversals took back (conversions.read).
import { Option, type Command } from 'commander';
import { conversionIdArg, intArg, timeArg, toArg } from './args.ts';
import { withClient } from './client.ts';
import { registerGetCommand } from './get-command.ts';
import { UsageError } from './errors.ts';
import { action, examples, money, printJson, printTable } from './output.ts';

export interface StoredConversion {
  conversionId: string;
  createdAt: string;
  campaignId: string;
  partnerId: string | null;
  eventType: string;
  value: number | null;
  currency: string | null;
  status: string;
  reversedValue: number;
  authenticated: boolean;
  /** The merchant's key (its order id); handle logins only. */
  idempotencyKey?: string;
  clickId?: string | null;
  clickIsBot?: boolean;
  sub1?: string | null;
  sub2?: string | null;
  sub3?: string | null;
  sub4?: string | null;
  sub5?: string | null;
}

function describeConversion(r: StoredConversion): string {
  const subs = ([1, 2, 3, 4, 5] as const).map((i) => r[`sub${i}`]).map((v, i) => (v ? `sub${i + 1}=${v}` : '')).filter(Boolean);
  return [
    `${r.conversionId}  ${r.status}  ${r.eventType}`,
    `  created:        ${r.createdAt}`,
    `  order key:      ${r.idempotencyKey ?? '-'}`,
    `  campaign:       ${r.campaignId}`,
    `  partner:        ${r.partnerId ?? '-'}`,
    `  value:          ${r.value === null ? '-' : `${money(r.value)} ${r.currency ?? ''}`.trim()}`,
    `  reversed:       ${money(r.reversedValue)}`,
    `  authenticated:  ${r.authenticated ? "yes (the merchant's token)" : 'no (ctx only)'}`,
    `  click:          ${r.clickId ?? '-'}${r.clickIsBot ? '  (flagged as a bot)' : ''}`,
    ...(subs.length ? [`  sub-IDs:        ${subs.join('  ')}`] : []),
  ].join('\n') + '\n';
}

// The server's CONVERSION_STATUSES (core/conversions/read-schemas.ts); the CLI talks HTTP only, so it keeps a copy.
const STATUSES = ['recorded', 'partially_reversed', 'reversed'];

interface ListOptions {
  campaign?: string;
  partner?: string;
  status?: string;
  key?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
  json?: boolean;
}

export function registerConversionList(conversions: Command) {
  conversions
    .command('list')
    .description('list recorded conversions, newest first, with their status and what reversals took back')
    .option('--campaign <campaignId>', 'only this campaign')
    .option('--partner <partnerId>', "only this partner's (the campaign's partner when the conversion was recorded)")
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .option('--key <idempotencyKey>', "only the conversion the merchant posted with this key (its order id; not with a partner login)")
    .option('--from <time>', 'recorded from this ISO-8601 time (inclusive)', timeArg)
    .option('--to <time>', 'recorded before this ISO-8601 time; a bare date: to the end of that UTC day', toArg)
    .option('--limit <n>', 'one page of at most n (default: every page)', intArg(1, 500))
    .option('--cursor <cursor>', 'the page after this cursor')
    .option('--json', 'print the raw JSON ({data, nextCursor})')
    .addHelpText('after', examples(
      'tenx conversions list --campaign partner-alpha --from 2026-12-01 --limit 20',
      'tenx conversions list --status partially_reversed --json',
      'tenx conversions list --key order-790',
    ))
    .action(
      action(async (o: ListOptions) => {
        await withClient(async (c) => {
          if (o.key !== undefined && c.isPartner) throw new UsageError("--key needs a handle login: a partner never sees the merchant's order keys.");
          const filters = { campaignId: o.campaign, partnerId: c.partnerFilter(o.partner), status: o.status, idempotencyKey: o.key, from: o.from, to: o.to };
          // A partner token reads its own conversions on its realm (same filters and shapes).
          const page = await c.list<StoredConversion>(c.readPath('/conversions'), { ...filters, limit: o.limit, cursor: o.cursor });
          if (o.json) return printJson(page);
          printTable(page.data, [
            { header: 'CONVERSION', value: (r) => r.conversionId },
            { header: 'CREATED', value: (r) => r.createdAt },
            { header: 'CAMPAIGN', value: (r) => r.campaignId },
            { header: 'PARTNER', value: (r) => r.partnerId },
            { header: 'EVENT', value: (r) => r.eventType },
            { header: 'VALUE', value: (r) => (r.value === null ? null : `${money(r.value)} ${r.currency ?? ''}`.trim()), align: 'right' },
            { header: 'STATUS', value: (r) => r.status },
            { header: 'REVERSED', value: (r) => money(r.reversedValue), align: 'right' },
            { header: 'AUTHENTICATED', value: (r) => (r.authenticated ? 'yes' : 'no') },
            // The partner realm never shows the merchant's keys.
            ...(c.isPartner ? [] : [{ header: 'ORDER', value: (r: StoredConversion) => r.idempotencyKey ?? null }]),
          ], 'no conversions match');
          if (page.nextCursor) process.stderr.write(`(more: --cursor ${page.nextCursor})\n`);
        });
      }),
    );

  registerGetCommand(conversions, {
    argument: ['<conversionId>', 'its id (from `tenx conversions list`)', conversionIdArg],
    description: 'show one conversion: order key, campaign, partner, value, what reversals took back, its click and sub-IDs',
    examples: ['tenx conversions get 0193a0c4-5b1e-7c2d-8e3f-4a5b6c7d8e9f', 'tenx conversions list --key order-790   # by the order id'],
    path: (c, id) => {
      if (c.isPartner) throw new UsageError('a partner login lists its conversions (tenx conversions list); the realm has no single-conversion route');
      return c.handlePath(`/conversions/${encodeURIComponent(id)}`);
    },
    describe: describeConversion,
  });
}
