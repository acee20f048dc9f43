// `tenx rewards ...`: reward rules (commissions.write); the most specific rule pays an event.
import { Option, type Command } from 'commander';
import { currencyArg, decimalArg, intArg, moneyArg } from './args.ts';
import { withClient, type TenxClient } from './client.ts';
import { ApiError, UsageError } from './errors.ts';
import { action, money, printJson, printTable } from './output.ts';

interface Reward {
  rewardId: string;
  scope: { campaignId?: string; partnerId?: string };
  event: string;
  type: 'flat' | 'percent';
  amount?: number | null;
  percent?: number | null;
  currency?: string | null;
  holdDays?: number;
}

const path = (c: TenxClient, id?: string) => c.handlePath(`/rewards${id ? `/${encodeURIComponent(id)}` : ''}`);
/** Whom a rule pays, as a sentence's end: the scope decides which rule wins, so `set` says it back. */
const scopeOf = (r: Reward) => {
  const { partnerId, campaignId } = r.scope ?? {};
  if (!partnerId && !campaignId) return 'to every partner';
  return [partnerId && `to partner ${partnerId}`, campaignId && `on campaign ${campaignId}`].filter(Boolean).join(' ');
};
const pays = (r: Reward) => (r.type === 'percent' ? `${r.percent}%` : `${money(r.amount)} ${r.currency ?? ''}`.trim());

export function registerRewardCommands(program: Command) {
  const rewards = program.command('rewards').description('reward rules: what a click or a conversion earns a partner (commissions.write)');

  rewards
    .command('list')
    .description('list reward rules')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        await withClient(async (c) => {
          const page = await c.list<Reward>(path(c));
          if (o.json) return printJson(page);
          printTable(page.data, [
            { header: 'REWARD', value: (r) => r.rewardId },
            { header: 'PARTNER', value: (r) => r.scope?.partnerId ?? '*' },
            { header: 'CAMPAIGN', value: (r) => r.scope?.campaignId ?? '*' },
            { header: 'EVENT', value: (r) => r.event },
            { header: 'PAYS', value: pays, align: 'right' },
            { header: 'HOLD DAYS', value: (r) => r.holdDays, align: 'right' },
          ], 'no reward rules: no event earns a commission');
        });
      }),
    );

  rewards
    .command('set <rewardId>')
    .description('create or replace a rule; applies to events after it, never to existing commissions')
    .requiredOption('--event <event>', '"click" or a conversion event type (e.g. affiliate_click)')
    .addOption(new Option('--type <type>', 'flat amount or percent of the conversion value').choices(['flat', 'percent']).makeOptionMandatory())
    .option('--amount <amount>', 'flat: the amount per event (above 0, at most 2 decimals)', moneyArg)
    .option('--percent <percent>', 'percent: 0 < p <= 100, at most 2 decimals', decimalArg({ above: true, max: 100 }))
    .option('--currency <code>', 'flat: ISO-4217, e.g. EUR (default the reporting currency)', currencyArg)
    .option('--partner <partnerId>', 'only this partner')
    .option('--campaign <campaignId>', 'only this campaign')
    .option('--hold-days <days>', 'days before a commission approves itself (default 30)', intArg(0, 365))
    .option('--json', 'print the raw JSON')
    .action(
      action(async (rewardId: string, o: { event: string; type: 'flat' | 'percent'; amount?: number; percent?: number; currency?: string; partner?: string; campaign?: string; holdDays?: number; json?: boolean }) => {
        if (o.type === 'flat' && o.amount === undefined) throw new UsageError('--type flat needs --amount');
        if (o.type === 'percent' && o.percent === undefined) throw new UsageError('--type percent needs --percent');
        // The other type's option was dropped without a word (`--type percent --percent 5 --amount 3`).
        if (o.type === 'percent' && (o.amount !== undefined || o.currency !== undefined)) throw new UsageError('--amount and --currency are for --type flat; a percent rule pays in the conversion\'s currency');
        if (o.type === 'flat' && o.percent !== undefined) throw new UsageError('--percent is for --type percent');
        await withClient(async (c) => {
          // A set replaces the whole rule (a hold of 0 became the default 30 unsaid): what it replaces is said.
          const before: Reward | null = o.json ? null : await c.get<Reward>(path(c, rewardId)).catch((err: unknown) => {
            // A new rule (404), or a login that may set rules but not read them (403): nothing to say it replaced.
            if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return null;
            throw err;
          });
          const r: Reward = await c.put(path(c, rewardId), {
            scope: { ...(o.partner && { partnerId: o.partner }), ...(o.campaign && { campaignId: o.campaign }) },
            event: o.event, type: o.type,
            ...(o.type === 'flat' ? { amount: o.amount, ...(o.currency && { currency: o.currency }) } : { percent: o.percent }),
            ...(o.holdDays !== undefined && { holdDays: o.holdDays }),
          });
          if (o.json) return printJson(r);
          const said = (x: Reward) => `${x.event} pays ${pays(x)} ${scopeOf(x)} (hold ${x.holdDays ?? 30} days)`;
          process.stdout.write(`Reward ${r.rewardId}: ${said(r)}.\n`);
          if (before) process.stderr.write(`replaced the whole rule: it was ${said(before)}; options not given took their defaults.\n`);
        });
      }),
    );

  rewards
    .command('delete <rewardId>')
    .description('delete a rule (commissions it created stay)')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (rewardId: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const r = await c.delete(path(c, rewardId));
          if (o.json) return printJson(r);
          process.stdout.write(`Deleted reward ${rewardId}.\n`);
        });
      }),
    );
}
