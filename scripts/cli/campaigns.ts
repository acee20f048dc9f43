// `tenx campaigns ...`: one campaign per partner (seed workflow 1), paused and resumed from scripts.
import { Option, type Command } from 'commander';
import { intArg, jsonArg, moneyArg, slugIdArg } from './args.ts';
import { withClient, type TenxClient } from './client.ts';
import { registerGetCommand } from './get-command.ts';
import { UsageError } from './errors.ts';
import { action, printJson, printTable } from './output.ts';

export interface Campaign {
  campaignId: string;
  goalType: string;
  status: string;
  primaryLink: { slug: string; destinationUrl: string; title?: string | null; shortUrl?: string };
  routingRules?: { priority: number; destinationUrl: string; conditions: Record<string, unknown> }[];
  attributionWindowDays?: number;
  trackingPreset?: string;
  conversionEvent?: string;
  /** The partner credited with its clicks and conversions (API.md v2.1), null when none. */
  partnerId?: string | null;
  /** Conversions above it are refused (422 value_out_of_range); null: no limit. */
  maxConversionValue?: number | null;
}

const STATUSES = ['DRAFT', 'ACTIVE', 'PAUSED', 'ARCHIVED'];
const path = (c: TenxClient, id?: string) => c.handlePath(`/campaigns${id ? `/${encodeURIComponent(id)}` : ''}`);

function describeCampaign(c: Campaign): string {
  const lines = [
    `${c.campaignId}  ${c.status}  ${c.goalType}`,
    `  short link:       ${c.primaryLink.shortUrl ?? '-'}`,
    `  destination:      ${c.primaryLink.destinationUrl}`,
  ];
  if (c.primaryLink.title) lines.push(`  title:            ${c.primaryLink.title}`);
  if (c.partnerId) lines.push(`  partner:          ${c.partnerId}`);
  if (c.trackingPreset) lines.push(`  tracking preset:  ${c.trackingPreset}   conversion event: ${c.conversionEvent ?? '-'}`);
  if (c.attributionWindowDays) lines.push(`  attribution:      ${c.attributionWindowDays} days`);
  if (c.maxConversionValue != null) lines.push(`  max conversion:   ${c.maxConversionValue} (a higher value is refused)`);
  for (const r of c.routingRules ?? []) lines.push(`  rule ${String(r.priority).padStart(4)}:  ${JSON.stringify(r.conditions)} -> ${r.destinationUrl}`);
  return lines.join('\n') + '\n';
}

interface CreateOptions {
  slug?: string;
  destination?: string;
  title?: string;
  goalType?: string;
  status?: string;
  attributionWindowDays?: number;
  routingRules?: unknown;
  partner?: string;
  file?: unknown;
  json?: boolean;
}

/** `--file` gives the seed's JSON body; flags fill or override its fields. */
export function campaignBody(campaignId: string | undefined, o: CreateOptions): Record<string, unknown> {
  const base = (o.file ?? {}) as Record<string, any>;
  if (typeof base !== 'object' || Array.isArray(base)) throw new UsageError('--file must hold a JSON object');
  const link = { ...(base.primaryLink ?? {}) };
  if (o.slug) link.slug = o.slug;
  if (o.destination) link.destinationUrl = o.destination;
  if (o.title) link.title = o.title;
  const body: Record<string, unknown> = { ...base, primaryLink: link };
  if (campaignId) body.campaignId = campaignId;
  body.goalType = o.goalType ?? base.goalType ?? 'AFFILIATE_CLICKOUT';
  if (o.status) body.status = o.status;
  if (o.attributionWindowDays !== undefined) body.attributionWindowDays = o.attributionWindowDays;
  if (o.routingRules !== undefined) body.routingRules = o.routingRules;
  if (o.partner) body.partnerId = o.partner;
  const missing = [!body.campaignId && '<campaignId>', !link.slug && '--slug', !link.destinationUrl && '--destination'].filter(Boolean);
  if (missing.length) throw new UsageError(`campaigns create needs ${missing.join(', ')} (or a --file with them)`);
  return body;
}

interface UpdateOptions {
  destination?: string;
  title?: string;
  routingRules?: unknown;
  attributionWindowDays?: number;
  partner?: string;
  maxConversionValue?: string;
  json?: boolean;
}

/** The PATCH body: every option given is a change, even an empty one (so a title can be removed). */
export function patchBody(o: UpdateOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  // An empty destination is sent as given: the API's validation message says what is wrong with it.
  if (o.destination !== undefined) body.destinationUrl = o.destination;
  // PATCH takes null as "no title", which is what a campaign created without one has.
  if (o.title !== undefined) body.title = o.title === '' ? null : o.title;
  if (o.routingRules !== undefined) body.routingRules = o.routingRules;
  if (o.attributionWindowDays !== undefined) body.attributionWindowDays = o.attributionWindowDays;
  // A handover counts from now on (API.md); null takes the campaign back from its partner.
  if (o.partner !== undefined) body.partnerId = o.partner === '' ? null : o.partner;
  if (o.maxConversionValue !== undefined) body.maxConversionValue = o.maxConversionValue === '' ? null : Number(o.maxConversionValue);
  if (!Object.keys(body).length) {
    throw new UsageError('nothing to update: give --destination, --title, --routing-rules, --attribution-window-days, --partner or --max-conversion-value');
  }
  return body;
}

async function setStatus(id: string, status: string, opts: { json?: boolean }) {
  await withClient(async (c) => {
    const campaign: Campaign = await c.patch(path(c, id), { status });
    if (opts.json) return printJson(campaign);
    process.stdout.write(`${campaign.campaignId} is now ${campaign.status}.\n`);
  });
}

export function registerCampaignCommands(program: Command) {
  const campaigns = program.command('campaigns').description('create, list and pause the handle\'s campaigns (one per partner)');

  campaigns
    .command('list')
    .description('list campaigns with their short links')
    .addOption(new Option('--status <status>', 'only campaigns with this status').choices(STATUSES))
    .option('--limit <n>', 'one page of at most n (default: every page)', intArg(1, 500))
    .option('--cursor <cursor>', 'the page after this cursor')
    .option('--json', 'print the raw JSON ({data, nextCursor})')
    .action(
      action(async (opts: { status?: string; limit?: number; cursor?: string; json?: boolean }) => {
        await withClient(async (c) => {
          // A partner token lists its own campaigns on its realm: id, title, status and short link only.
          const page = await c.list<Campaign & { shortUrl?: string }>(c.isPartner ? c.readPath('/campaigns') : path(c), { status: opts.status, limit: opts.limit, cursor: opts.cursor });
          // The server may not filter by status; filtering here as well keeps the output honest either way.
          const rows = opts.status ? page.data.filter((x) => x.status === opts.status) : page.data;
          if (opts.json) return printJson({ ...page, data: rows });
          printTable(
            rows,
            [
              { header: 'CAMPAIGN', value: (r) => r.campaignId },
              { header: 'STATUS', value: (r) => r.status },
              ...(c.isPartner
                ? [{ header: 'SHORT URL', value: (r: Campaign & { shortUrl?: string }) => r.shortUrl ?? '' }]
                : [
                    { header: 'GOAL TYPE', value: (r: Campaign) => r.goalType },
                    { header: 'RULES', value: (r: Campaign) => r.routingRules?.length ?? 0, align: 'right' as const },
                    { header: 'PARTNER', value: (r: Campaign) => r.partnerId },
                    { header: 'SHORT URL', value: (r: Campaign) => r.primaryLink.shortUrl },
                    { header: 'DESTINATION', value: (r: Campaign) => r.primaryLink.destinationUrl },
                  ]),
            ],
            'no campaigns',
          );
          if (page.nextCursor) process.stderr.write(`(more: --cursor ${page.nextCursor})\n`);
        });
      }),
    );

  campaigns
    .command('create [campaignId]')
    .description('create a campaign (seed workflow 1); flags or a JSON body via --file')
    .option('--slug <slug>', 'short link slug (the link is /{handle}/{slug})')
    .option('--destination <url>', 'primary destination URL (http/https)')
    .option('--title <title>', 'link title')
    .option('--goal-type <name>', 'a registered goal type (default AFFILIATE_CLICKOUT)')
    .addOption(new Option('--status <status>', 'initial status (server default DRAFT)').choices(STATUSES))
    .option('--attribution-window-days <days>', 'ctx lifetime, 1..365', intArg(1, 365))
    .option('--routing-rules <json>', 'routing rules as JSON, @file.json or - (stdin)', jsonArg('--routing-rules'))
    .option('--partner <partnerId>', 'the partner credited with its clicks and conversions from the first click')
    .option('--file <json>', 'the whole campaign body as JSON, @file.json or -', jsonArg('--file'))
    .option('--json', 'print the created campaign as JSON')
    .action(
      action(async (campaignId: string | undefined, opts: CreateOptions) => {
        const body = campaignBody(campaignId, opts);
        await withClient(async (c) => {
          const created: Campaign = await c.post(path(c), body);
          if (opts.json) return printJson(created);
          process.stdout.write(`Created campaign ${describeCampaign(created)}`);
        });
      }),
    );

  registerGetCommand(campaigns, {
    argument: ['<campaignId>', 'its id', slugIdArg('campaign')],
    description: 'show one campaign with its routing rules',
    path,
    describe: describeCampaign,
  });

  campaigns
    .command('update')
    .argument('<campaignId>', 'its id', slugIdArg('campaign'))
    .description('change a campaign\'s destination, title, routing rules, attribution window, partner or maximum conversion value')
    .option('--destination <url>', 'new primary destination URL')
    .option('--title <title>', 'new link title; --title \'\' removes it')
    .option('--routing-rules <json>', 'replace the routing rules: JSON, @file.json or -', jsonArg('--routing-rules'))
    .option('--attribution-window-days <days>', '1..365', intArg(1, 365))
    .option('--partner <partnerId>', "hand the campaign to this partner (it counts what follows); --partner '' takes it back")
    .option('--max-conversion-value <amount>', "refuse conversions of a higher value (422 value_out_of_range); '' removes the limit", (v: string) => (v === '' ? '' : String(moneyArg(v))))
    .option('--json', 'print the updated campaign as JSON')
    .action(
      action(async (id: string, o: UpdateOptions) => {
        const body = patchBody(o);
        await withClient(async (c) => {
          const campaign: Campaign = await c.patch(path(c, id), body);
          if (o.json) return printJson(campaign);
          process.stdout.write(`Updated campaign ${describeCampaign(campaign)}`);
        });
      }),
    );

  for (const [name, status, what] of [
    ['pause', 'PAUSED', 'stop redirecting (the short link answers 404 until activated)'],
    ['activate', 'ACTIVE', 'start redirecting the short link'],
  ] as const) {
    campaigns
      .command(`${name} <campaignId>`)
      .description(what)
      .option('--json', 'print the updated campaign as JSON')
      .action(action((id: string, o: { json?: boolean }) => setStatus(id, status, o)));
  }

  campaigns
    .command('archive')
    .argument('<campaignId>', 'its id', slugIdArg('campaign'))
    .description('archive a campaign (DELETE): its link stops, its data stays')
    .option('--json', 'print the archived campaign as JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const campaign: Campaign | undefined = await c.delete(path(c, id));
          if (o.json) return printJson(campaign ?? null);
          process.stdout.write(`${id} is now ARCHIVED.\n`);
        });
      }),
    );
}
