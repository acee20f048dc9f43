// `tenx postbacks ...`: a partner's own postbacks (contract v2.1), for a CLI logged in with its partner token
// (tenx_ptk_): list, add, rm (partner.postbacks.write) and each one's deliveries (the webhook engine's).
import { Option, type Command } from 'commander';
import { intArg, listArg, uuidArg } from './args.ts';
import { withClient, type TenxClient } from './client.ts';
import { printDeliveries, printSecret, type Delivery } from './deliveries.ts';
import { UsageError } from './errors.ts';
import { action, examples, printJson, printTable } from './output.ts';

/** The server's list (core/notifications/postbacks.ts, API.md "Partner postbacks"). */
export const POSTBACK_EVENTS = ['conversion.tested', 'commission.created', 'commission.updated'];
const MACROS = '{click_id} {conversion_id} {campaign_id} {partner_id} {event_type} {status} {amount} {value} {currency} {sub1}…{sub5} {country} {occurred_at}';

interface Postback {
  postbackId: string;
  urlTemplate: string;
  method: 'GET' | 'POST';
  events: string[];
  createdAt: string;
  secret?: string;
}

/** The partner realm's postbacks; a handle token has none (403 on the realm), so say what to log in with instead. */
function postbacks(c: TenxClient, id?: string, rest = ''): string {
  if (!c.isPartner) {
    throw new UsageError(
      'postbacks belong to a partner: log in with its partner token (tenx login --token tenx_ptk_…); ' +
        'a manager issues one with `tenx partners token <partnerId> --postbacks` (partner.postbacks.write to add and remove)',
    );
  }
  return c.handlePath(`/partner/postbacks${id ? `/${encodeURIComponent(id)}` : ''}${rest}`);
}

export function registerPostbackCommands(program: Command) {
  const cmd = program
    .command('postbacks')
    .description("a partner's postbacks: its own URL called on its conversions and commissions (partner token; partner.postbacks.write to change)");

  cmd
    .command('list')
    .description('list your postbacks')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        await withClient(async (c) => {
          const page = await c.list<Postback>(postbacks(c));
          if (o.json) return printJson(page);
          printTable(page.data, [
            { header: 'POSTBACK', value: (p) => p.postbackId },
            { header: 'METHOD', value: (p) => p.method },
            { header: 'EVENTS', value: (p) => p.events },
            { header: 'CREATED', value: (p) => p.createdAt },
            { header: 'URL TEMPLATE', value: (p) => p.urlTemplate },
          ], 'no postbacks yet: add one with `tenx postbacks add --url <template>`');
        });
      }),
    );

  cmd
    .command('add')
    .description('call your URL on your events; a POST postback is signed with its own secret, printed once (stdout: the secret alone)')
    .requiredOption('--url <urlTemplate>', `URL with macros, filled in and URL-encoded per event: ${MACROS}`)
    .addOption(new Option('--method <method>', 'GET (the macros carry the data) or POST (the event JSON, Standard Webhooks signed)').choices(['GET', 'POST']).default('GET'))
    .option('--events <types>', `comma-separated: ${POSTBACK_EVENTS.join(', ')} (default: all three)`, listArg)
    .option('--json', 'print the raw JSON (includes the secret)')
    .addHelpText('after', examples(
      "tenx postbacks add --url 'https://tracker.example.com/pb?click={click_id}&payout={amount}&cur={currency}&s1={sub1}'",
      'SECRET=$(tenx postbacks add --url https://tracker.example.com/hook --method POST --events commission.created)',
    ))
    .action(
      action(async (o: { url: string; method: 'GET' | 'POST'; events?: string[]; json?: boolean }) => {
        const unknown = (o.events ?? []).filter((e) => !POSTBACK_EVENTS.includes(e));
        if (unknown.length) throw new UsageError(`unknown event ${unknown.join(', ')}: postbacks take ${POSTBACK_EVENTS.join(', ')}`);
        await withClient(async (c) => {
          const p: Postback = await c.post(postbacks(c), { urlTemplate: o.url, method: o.method, events: o.events?.length ? o.events : POSTBACK_EVENTS });
          if (o.json) return printJson(p);
          const what = `Created postback ${p.postbackId}: ${p.method} ${p.urlTemplate} on ${p.events.join(', ')}.\n`;
          if (p.method !== 'POST') return void process.stdout.write(what);
          printSecret(`${what}Its signing secret below is shown only once: verify each POST's webhook-signature with it.\n`, p.secret);
        });
      }),
    );

  cmd
    .command('rm')
    .argument('<postbackId>', 'its id (from `tenx postbacks list`)', uuidArg)
    .description('delete a postback')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const res = await c.delete(postbacks(c, id));
          if (o.json) return printJson(res ?? null);
          process.stdout.write(`Deleted postback ${id}.\n`);
        });
      }),
    );

  cmd
    .command('deliveries')
    .argument('<postbackId>', 'its id (from `tenx postbacks list`)', uuidArg)
    .description("a postback's deliveries: status, attempts, the last answer (retried as webhooks are)")
    .addOption(new Option('--status <status>', 'only deliveries in this state').choices(['pending', 'succeeded', 'retrying', 'failed']))
    .option('--limit <n>', 'how many deliveries, newest first', intArg(1, 500), 50)
    .option('--cursor <cursor>', 'the page after this cursor (printed when there are more)')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (id: string, o: { status?: string; limit: number; cursor?: string; json?: boolean }) => {
        await withClient(async (c) => {
          const res: { data: Delivery[]; nextCursor?: string | null } = await c.get(postbacks(c, id, '/deliveries'), { status: o.status, limit: o.limit, cursor: o.cursor });
          if (o.json) return printJson(res);
          printDeliveries(res, false);
        });
      }),
    );
}
