// `tenx audit list`: the trail that settles commission disputes (conversions created/deduped/mismatched, changes).
import { Option, type Command } from 'commander';
import { intArg, timeArg } from './args.ts';
import { withClient } from './client.ts';
import { action, printJson, printTable } from './output.ts';

/**
 * Every type the server writes (grep core/ for `type: '` and the audit_events inserts). The API takes
 * any string and answers an empty list for a typo, so the CLI checks it instead (exit 2).
 */
export const AUDIT_TYPES = [
  'conversion.created', 'conversion.deduped', 'conversion.mismatch',
  'campaign.created', 'campaign.updated', 'campaign.archived',
  'token.created', 'token.revoked', 'token.rotated',
  'webhook.created', 'webhook.deleted', 'webhook.rotated', 'delivery.redelivered',
  'plugin.settings_changed',
];

interface AuditEvent {
  eventId: string;
  type: string;
  actor: string;
  campaignId: string | null;
  subjectId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}

export function registerAuditCommands(program: Command) {
  program
    .command('audit')
    .description('audit events of the handle (scope audit.read)')
    .command('list')
    .description('newest first: conversions, campaign, token, webhook and plugin changes')
    .addOption(new Option('--type <type>', 'only this event type').choices(AUDIT_TYPES))
    .option('--campaign <campaignId>', 'only events of this campaign')
    .option('--from <time>', 'from this ISO-8601 time', timeArg)
    .option('--to <time>', 'up to this ISO-8601 time', timeArg)
    .option('--limit <n>', 'at most n events', intArg(1, 500), 50)
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { type?: string; campaign?: string; from?: string; to?: string; limit: number; json?: boolean }) => {
        await withClient(async (c) => {
          const page = await c.get<{ data: AuditEvent[]; nextCursor: string | null }>(c.handlePath('/audit-events'), {
            type: o.type, campaignId: o.campaign, from: o.from, to: o.to, limit: o.limit,
          });
          if (o.json) return printJson(page);
          printTable(
            page.data,
            [
              { header: 'TIME', value: (e) => e.createdAt },
              { header: 'TYPE', value: (e) => e.type },
              { header: 'CAMPAIGN', value: (e) => e.campaignId },
              { header: 'SUBJECT', value: (e) => e.subjectId },
              { header: 'ACTOR', value: (e) => e.actor },
            ],
            'no audit events',
          );
        });
      }),
    );
}
