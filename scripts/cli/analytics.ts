// `tenx analytics funnel|by <dimension>`: seed workflows 3 and 4 (per-partner funnel, breakdowns, bot share).
import { Argument, type Command } from 'commander';
import { timeArg, toArg } from './args.ts';
import { withClient } from './client.ts';
import { UsageError } from './errors.ts';
import { action, botShare, conversionShare, money, percent, printJson, printTable, type Column } from './output.ts';

// sub1..sub5 need --campaign or --partner, hour needs --from (within 31 days of --to), partner is
// a manager's (the API answers 400 otherwise, and the CLI prints its message).
export const DIMENSIONS = ['country', 'segment', 'referrer', 'source', 'browser', 'os', 'day', 'hour', 'campaign', 'partner', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;

export interface FunnelRow {
  campaignId?: string;
  clicks: number;
  qualifiedClicks: number;
  conversions: number;
  /** Conversions whose click was not a bot: what commissions are paid on. */
  verifiedConversions?: number;
  /** Ctx-only conversions a `flag` handle recorded unauthenticated (never verified). */
  unauthenticatedConversions?: number;
  revenue: number;
  reversals?: number;
  netRevenue?: number;
  /** revenueByCurrency less what was reversed: a refund in another currency than the reporting one shows here. */
  netRevenueByCurrency?: Record<string, number>;
  /** What the partner earned, by currency: partner tokens, and handle tokens with --partner and commissions.read. */
  commission?: Record<string, number>;
  revenueByCurrency?: Record<string, number>;
  conversionRate: number;
  botRatio: number;
  confidence?: number;
  confidenceReasons?: string[];
  lastClickAt?: string | null;
}

interface Filters {
  campaign?: string;
  partner?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

const byCurrency = (m?: Record<string, number>) =>
  m && Object.keys(m).length ? Object.entries(m).map(([cur, v]) => `${money(v)} ${cur}`).join(', ') : '-';

// Below 50 the seed says "warrants investigation": mark it so it stands out in a terminal.
const confidenceCell = (r: FunnelRow) => (typeof r.confidence === 'number' ? `${r.confidence}${r.confidence < 50 ? ' !' : ''}` : '-');

const funnelColumns: Column<FunnelRow>[] = [
  { header: 'CAMPAIGN', value: (r) => r.campaignId ?? 'TOTAL' },
  { header: 'CLICKS', value: (r) => r.clicks, align: 'right' },
  { header: 'QUALIFIED', value: (r) => r.qualifiedClicks, align: 'right' },
  { header: 'BOTS', value: botShare, align: 'right' },
  { header: 'CONV', value: (r) => r.conversions, align: 'right' },
  { header: 'VERIFIED', value: (r) => r.verifiedConversions, align: 'right' },
  { header: 'CONV RATE', value: conversionShare, align: 'right' },
  { header: 'REVENUE', value: (r) => money(r.revenue), align: 'right' },
  { header: 'BY CURRENCY', value: (r) => byCurrency(r.revenueByCurrency) },
  { header: 'CONFIDENCE', value: confidenceCell, align: 'right' },
  { header: 'REASONS', value: (r) => r.confidenceReasons },
];

/**
 * Columns the API gives only sometimes, shown when a row has them (after REASONS, so the usual table
 * keeps its shape): flagged ctx-only conversions, revenue net of reversals, and the partner's commission.
 */
function extraFunnelColumns(rows: FunnelRow[]): Column<FunnelRow>[] {
  return [
    ...(rows.some((r) => (r.unauthenticatedConversions ?? 0) > 0)
      ? [{ header: 'UNAUTH', value: (r: FunnelRow) => r.unauthenticatedConversions ?? 0, align: 'right' as const }]
      : []),
    ...(rows.some((r) => (r.reversals ?? 0) > 0)
      ? [
          { header: 'REVERSALS', value: (r: FunnelRow) => r.reversals ?? 0, align: 'right' as const },
          { header: 'NET REVENUE', value: (r: FunnelRow) => money(r.netRevenue), align: 'right' as const },
          { header: 'NET BY CURRENCY', value: (r: FunnelRow) => byCurrency(r.netRevenueByCurrency) },
        ]
      : []),
    ...(rows.some((r) => r.commission !== undefined) ? [{ header: 'COMMISSION', value: (r: FunnelRow) => byCurrency(r.commission) }] : []),
  ];
}

function addFilters(cmd: Command): Command {
  return cmd
    .option('--campaign <campaignId>', 'only this campaign (partner)')
    .option('--partner <partnerId>', "only this partner's campaigns (handle tokens; a partner login reads its own)")
    .option('--from <time>', 'from this ISO-8601 time (inclusive)', timeArg)
    .option('--to <time>', 'up to this ISO-8601 time (exclusive); a bare date: to the end of that UTC day', toArg)
    .option('--json', 'print the raw JSON response');
}

export function registerAnalyticsCommands(program: Command) {
  const analytics = program.command('analytics').description('funnel metrics and breakdowns (clicks, qualified clicks, conversions, revenue, confidence)');

  addFilters(analytics.command('funnel').description('per-campaign funnel: bot ratio, verified conversions (click not a bot: the commission basis), confidence score')).action(
    action(async (o: Filters) => {
      await withClient(async (c) => {
        const res: { data: FunnelRow[]; totals?: FunnelRow } = await c.get(c.analyticsPath(), {
          funnel: true, campaignId: o.campaign, partnerId: c.partnerFilter(o.partner), from: o.from, to: o.to,
        });
        if (o.json) return printJson(res);
        const rows = res.totals && res.data.length > 1 ? [...res.data, { ...res.totals, campaignId: 'TOTAL' }] : res.data;
        printTable(rows, [...funnelColumns, ...extraFunnelColumns(rows)], 'no campaigns in range');
        const low = res.data.filter((r) => typeof r.confidence === 'number' && r.confidence < 50).map((r) => r.campaignId);
        if (low.length) process.stderr.write(`! confidence below 50 (investigate before paying out): ${low.join(', ')}\n`);
      });
    }),
  );

  addFilters(
    analytics
      .command('by')
      .description('break clicks, qualified clicks, conversions and revenue down by one dimension')
      .addArgument(new Argument('<dimension>', 'what to group by').choices(DIMENSIONS)),
  ).action(
    action(async (dimension: string, o: Filters) => {
      await withClient(async (c) => {
        // Said as the command line's fault (exit 2), in its own words, not the API's 400 about `campaignId`.
        if (dimension.startsWith('sub') && !c.isPartner && !o.campaign && !o.partner) {
          throw new UsageError(`analytics by ${dimension} needs --campaign or --partner: a handle's sub-IDs are read one campaign's or one partner's at a time`);
        }
        // A partner reads only its own campaigns: one partner row would say nothing (the API answers a raw 400).
        if (dimension === 'partner' && c.isPartner) throw new UsageError('analytics by partner is for handle tokens: a partner login reads only its own campaigns (try analytics by campaign)');
        if (dimension === 'hour' && !o.from) throw new UsageError('analytics by hour needs --from (the hours of at most 31 days, up to --to or now)');
        // The API's bound (HOURLY_MAX_DAYS), said before the round trip as --from's fault, not as its 400 about `from`.
        if (dimension === 'hour' && (o.to ? Date.parse(o.to) : Date.now()) - Date.parse(o.from!) > 31 * 86_400_000) {
          throw new UsageError('analytics by hour covers at most 31 days: bring --from within 31 days of --to (or of now), or use analytics by day');
        }
        const res: { data: { key: string; clicks: number; qualifiedClicks: number; conversions: number; revenue: number; revenueByCurrency?: Record<string, number> }[] } = await c.get(
          c.analyticsPath(),
          { groupBy: dimension, campaignId: o.campaign, partnerId: c.partnerFilter(o.partner), from: o.from, to: o.to },
        );
        if (o.json) return printJson(res);
        printTable(
          res.data,
          [
            // The API groups clicks without the sub-ID under the empty key.
            { header: dimension.toUpperCase(), value: (r) => (r.key === '' ? '(none)' : r.key) },
            { header: 'CLICKS', value: (r) => r.clicks, align: 'right' },
            { header: 'QUALIFIED', value: (r) => r.qualifiedClicks, align: 'right' },
            { header: 'BOTS', value: (r) => (r.clicks ? percent((r.clicks - r.qualifiedClicks) / r.clicks) : '-'), align: 'right' },
            { header: 'CONV', value: (r) => r.conversions, align: 'right' },
            { header: 'REVENUE', value: (r) => money(r.revenue), align: 'right' },
            { header: 'BY CURRENCY', value: (r) => byCurrency(r.revenueByCurrency) },
          ],
          'no data in range',
        );
      });
    }),
  );
}
