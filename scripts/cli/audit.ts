// `tenx audit list`: the trail that settles commission disputes (conversions created/deduped/mismatched, changes).
import { Option, type Command } from 'commander';
import { intArg, timeArg, toArg } from './args.ts';
import { withClient } from './client.ts';
import { describeEvent, type AuditStyle } from '../../core/dashboard/public/js/audit-change.js';
import { action, money, printJson, printTable } from './output.ts';

/**
 * Every type the server writes (grep core/ for `type: '`, `this.record(`, `this.audit(` and the
 * auditInsertSql / payoutAudit calls). The API takes any string and answers an empty list for a typo,
 * so the CLI checks it instead (exit 2); a type missing here cannot be asked for at all.
 */
export const AUDIT_TYPES = [
  'conversion.created', 'conversion.deduped', 'conversion.mismatch', 'conversion.reversed', 'conversion.reversal_mismatch',
  'campaign.created', 'campaign.updated', 'campaign.archived',
  'handle.updated',
  'token.created', 'token.revoked', 'token.rotated',
  'partner.created', 'partner.updated', 'partner_token.created', 'partner_token.revoked',
  'reward.created', 'reward.replaced', 'reward.deleted',
  'commission.created', 'commission.status_changed',
  'payout.created', 'payout.paid', 'payout.canceled', 'payout.amended',
  'webhook.created', 'webhook.updated', 'webhook.deleted', 'webhook.rotated', 'delivery.redelivered',
  'postback.created', 'postback.deleted',
  'plugin.settings_changed',
];

interface AuditEvent {
  eventId: string;
  type: string;
  actor: string;
  actorName: string | null;
  campaignId: string | null;
  subjectId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}

/**
 * What an event changed, in the dashboard's words (audit-change.js: a commission's move with its reason, a payout
 * amended from what to what, a reward rule, token or postback as a sentence). A CLI pass found only the first in the
 * table, every other type as its payload's `key=value` fields, though the log is where a dispute is settled. In a
 * terminal's style: 2 decimals, ISO days, `->`.
 */
const STYLE: AuditStyle = {
  arrow: '->',
  money: (n, currency) => `${String(money(n) ?? '-')}${currency ? ` ${currency}` : ''}`,
  day: (iso) => iso.slice(0, 10),
};

export function registerAuditCommands(program: Command) {
  program
    .command('audit')
    .description('audit events of the handle (scope audit.read)')
    .command('list')
    .description('newest first: conversions and reversals, the ledger (commissions, payouts), campaign, partner, reward, token, webhook and plugin changes')
    .addOption(new Option('--type <type>', 'only this event type').choices(AUDIT_TYPES))
    .option('--campaign <campaignId>', 'only events of this campaign')
    .option('--from <time>', 'from this ISO-8601 time', timeArg)
    .option('--to <time>', 'up to this ISO-8601 time; a bare date: to the end of that UTC day', toArg)
    .option('--limit <n>', 'at most n events', intArg(1, 500), 50)
    .option('--cursor <cursor>', 'the page after this cursor (printed when there are more)')
    .option('--json', 'print the raw JSON ({data, nextCursor})')
    .action(
      action(async (o: { type?: string; campaign?: string; from?: string; to?: string; limit: number; cursor?: string; json?: boolean }) => {
        await withClient(async (c) => {
          const page = await c.get<{ data: AuditEvent[]; nextCursor: string | null }>(c.handlePath('/audit-events'), {
            type: o.type, campaignId: o.campaign, from: o.from, to: o.to, limit: o.limit, cursor: o.cursor,
          });
          if (o.json) return printJson(page);
          printTable(
            page.data,
            [
              { header: 'TIME', value: (e) => e.createdAt },
              { header: 'TYPE', value: (e) => e.type },
              { header: 'CAMPAIGN', value: (e) => e.campaignId },
              { header: 'SUBJECT', value: (e) => e.subjectId },
              { header: 'ACTOR', value: (e) => e.actorName ?? e.actor },
              { header: 'CHANGE', value: (e) => describeEvent(e, STYLE) },
            ],
            'no audit events',
          );
          if (page.nextCursor) process.stderr.write(`(more: --cursor ${page.nextCursor})\n`);
        });
      }),
    );
}
