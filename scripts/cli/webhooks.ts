// `tenx webhooks ...` and `tenx notifications ...`: seed workflow 5, commission events pushed to partner systems.
import { Option, type Command } from 'commander';
import { choiceListArg, intArg, uuidArg } from './args.ts';
import { withClient, type TenxClient } from './client.ts';
import { printAttempts, printDeliveries, printSecret, sentBy, type Delivery } from './deliveries.ts';
import { action, percent, printJson, printTable } from './output.ts';

/** The server's list (core/outbox's EVENT_TYPES; test/unit/cli-event-types.test.ts keeps them equal): v2's events, then v2.1's ledger events. */
export const EVENT_TYPES = [
  'link.clicked', 'conversion.tested', 'conversion.deduped', 'campaign.updated', 'webhook.ping',
  'commission.created', 'commission.updated', 'conversion.reversed', 'payout.created', 'payout.paid', 'payout.canceled', 'payout.amended', 'partner.updated',
];

interface Webhook {
  webhookId: string;
  endpointUrl: string;
  eventTypes: string[];
  channel?: string;
  retryTail?: boolean;
  createdAt: string;
  secret?: string;
  previousSecretExpiresAt?: string | null;
}

const hooks = (c: TenxClient, id?: string, rest = '') => c.handlePath(`/webhooks${id ? `/${encodeURIComponent(id)}` : ''}${rest}`);


/** What happens to the old secret: receivers must accept both until it expires, then only the new one. */
function overlapNotice(w: Webhook): string {
  if (!w.previousSecretExpiresAt) return 'The previous secret no longer signs (the server has no overlap period): update your verifier now.\n';
  return `The previous secret keeps signing too (a second v1 signature) until ${w.previousSecretExpiresAt}: switch your verifier to the new one before then.\n`;
}

function registerWebhooks(program: Command) {
  const webhooks = program.command('webhooks').description('subscribe partner systems to signed events');

  webhooks
    .command('add')
    .description('subscribe an endpoint; prints its signing secret once (stdout: the secret alone, for $(...))')
    .requiredOption('--url <endpointUrl>', 'https endpoint that receives the POSTs')
    .option(
      '--events <types>',
      `comma-separated event types (${EVENT_TYPES.join(', ')}; default link.clicked,conversion.tested); ` +
        'commission.*, conversion.reversed, payout.* and partner.updated also take the scope that reads them',
      choiceListArg(EVENT_TYPES, 'event type'),
    )
    .option('--channel <name>', 'notification channel plugin enabled for the handle (server default: webhook)')
    .option('--retry-tail', 'after the five retries, keep retrying hourly (WEBHOOK_RETRY_TAIL) before failing')
    .option('--json', 'print the raw JSON (includes the secret)')
    .action(
      action(async (o: { url: string; events?: string[]; channel?: string; retryTail?: boolean; json?: boolean }) => {
        const eventTypes = o.events?.length ? o.events : ['link.clicked', 'conversion.tested'];
        await withClient(async (c) => {
          const w: Webhook = await c.post(hooks(c), { endpointUrl: o.url, eventTypes, ...(o.channel && { channel: o.channel }), ...(o.retryTail && { retryTail: true }) });
          if (o.json) return printJson(w);
          printSecret(
            `Created webhook ${w.webhookId} -> ${w.endpointUrl} (${w.eventTypes.join(', ')}).\n` +
              'Its signing secret below is shown only once: store it now and verify every delivery\'s webhook-signature with it.\n',
            w.secret,
          );
        });
      }),
    );

  webhooks
    .command('list')
    .description('list subscriptions (never their secrets)')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        await withClient(async (c) => {
          const page = await c.list<Webhook>(hooks(c));
          if (o.json) return printJson(page);
          printTable(
            page.data,
            [
              { header: 'WEBHOOK', value: (w) => w.webhookId },
              { header: 'EVENTS', value: (w) => w.eventTypes },
              { header: 'CHANNEL', value: (w) => w.channel },
              { header: 'RETRY TAIL', value: (w) => (w.retryTail ? 'yes' : 'no') },
              { header: 'CREATED', value: (w) => w.createdAt },
              { header: 'ENDPOINT', value: (w) => w.endpointUrl },
            ],
            'no webhooks',
          );
        });
      }),
    );

  webhooks
    .command('update')
    .argument('<webhookId>', 'its id (from `tenx webhooks list`)', uuidArg)
    .description("turn a subscription's hourly retry tail on or off (open deliveries follow from their next attempt); its URL and event types are fixed: add another and rm this one")
    .addOption(new Option('--retry-tail <onOff>', 'on: after the five retries, retry hourly before failing; off: fail after them').choices(['on', 'off']).makeOptionMandatory())
    .option('--json', 'print the raw JSON')
    .action(
      action(async (id: string, o: { retryTail: 'on' | 'off'; json?: boolean }) => {
        await withClient(async (c) => {
          const w: Webhook = await c.patch(hooks(c, id), { retryTail: o.retryTail === 'on' });
          if (o.json) return printJson(w);
          process.stdout.write(`Webhook ${w.webhookId}: retry tail ${w.retryTail ? 'on' : 'off'}.\n`);
        });
      }),
    );

  webhooks
    .command('rm')
    .argument('<webhookId>', 'its id (from `tenx webhooks list`)', uuidArg)
    .description('delete a subscription')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const res = await c.delete(hooks(c, id));
          if (o.json) return printJson(res ?? null);
          process.stdout.write(`Deleted webhook ${id}.\n`);
        });
      }),
    );

  webhooks
    .command('ping')
    .argument('<webhookId>', 'its id (from `tenx webhooks list`)', uuidArg)
    .description('send a signed webhook.ping event to the endpoint now')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const res = await c.post(hooks(c, id, '/ping'));
          if (o.json) return printJson(res ?? null);
          const delivery = res?.deliveryId ? ` (delivery ${res.deliveryId}${res.status ? `, ${res.status}` : ''})` : '';
          process.stdout.write(`Ping queued for webhook ${id}${delivery}; see tenx notifications list.\n`);
        });
      }),
    );

  webhooks
    .command('rotate-secret')
    .argument('<webhookId>', 'its id (from `tenx webhooks list`)', uuidArg)
    .description('issue a new signing secret (stdout: the secret alone); the old one keeps signing during the overlap')
    .option('--json', 'print the raw JSON (includes the secret)')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const w: Webhook = await c.post(hooks(c, id, '/rotate-secret'));
          if (o.json) return printJson(w);
          printSecret(`Rotated the signing secret of webhook ${w.webhookId}; the new secret below is shown only once.\n${overlapNotice(w)}`, w.secret);
        });
      }),
    );
}

/** Per-webhook counts of the panel's summary (keyed by webhookId: a webhook's, or a partner postback's postbackId, with its partnerId). */
interface Counts { partnerId: string | null; succeeded: number; failed: number; retrying: number; pending: number; successRate: number | null }

function registerNotifications(program: Command) {
  const notifications = program.command('notifications').description('the notifications panel: deliveries, attempts, success/failure counts');

  notifications
    .command('list')
    .description("recent deliveries (of the handle's webhooks and its partners' postbacks) and success/failure counts per sender")
    .addOption(new Option('--status <status>', 'only deliveries in this state').choices(['pending', 'succeeded', 'retrying', 'failed']))
    .option('--webhook <webhookId>', 'only this webhook (or partner postback, by its postbackId)', uuidArg)
    .option('--limit <n>', 'how many deliveries, newest first', intArg(1, 500), 50)
    .option('--cursor <cursor>', 'the page after this cursor (printed when there are more)')
    .option('--json', 'print the raw JSON ({data, nextCursor, summary})')
    .action(
      action(async (o: { status?: string; webhook?: string; limit: number; cursor?: string; json?: boolean }) => {
        await withClient(async (c) => {
          const res: { data: Delivery[]; summary?: Record<string, Counts>; nextCursor?: string | null } = await c.get(c.handlePath('/notifications'), {
            status: o.status, webhookId: o.webhook, limit: o.limit, cursor: o.cursor,
          });
          if (o.json) return printJson(res);
          printDeliveries(res, true);
          const summary = Object.entries(res.summary ?? {}).map(([webhookId, c]) => ({ webhookId, ...c }));
          if (summary.length) {
            process.stdout.write('\n');
            printTable(summary, [
              { header: 'SENT BY', value: (r) => sentBy(r) },
              { header: 'SUCCEEDED', value: (r) => r.succeeded, align: 'right' },
              { header: 'FAILED', value: (r) => r.failed, align: 'right' },
              { header: 'RETRYING', value: (r) => r.retrying, align: 'right' },
              { header: 'PENDING', value: (r) => r.pending, align: 'right' },
              { header: 'SUCCESS RATE', value: (r) => (r.successRate == null ? '-' : percent(r.successRate)), align: 'right' },
            ]);
          }
        });
      }),
    );

  notifications
    .command('show')
    .argument('<deliveryId>', 'its id (from `tenx notifications list`)', uuidArg)
    .description('one delivery with every attempt (the list shows only the last one) and when the next is due')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const d: Delivery & { nextAttemptAt?: string | null; redeliveries?: number; completedAt?: string | null } = await c.get(c.handlePath(`/notifications/${encodeURIComponent(id)}`));
          if (o.json) return printJson(d);
          const next = d.nextAttemptAt ? `, next attempt ${d.nextAttemptAt}` : d.completedAt ? `, finished ${d.completedAt}` : '';
          const redelivered = d.redeliveries ? `, redelivered ${d.redeliveries}×` : '';
          process.stdout.write(`Delivery ${d.deliveryId}: ${d.eventType} by ${sentBy(d)}, ${d.status}${next}${redelivered}.\n`);
          printAttempts(d.attempts ?? []);
        });
      }),
    );

  notifications
    .command('redeliver')
    .argument('<deliveryId>', 'its id (from `tenx notifications list`)', uuidArg)
    .description('send a failed delivery again')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const res = await c.post(c.handlePath(`/notifications/${encodeURIComponent(id)}/redeliver`));
          if (o.json) return printJson(res ?? null);
          process.stdout.write(`Redelivery of ${id} queued${res?.status ? ` (${res.status})` : ''}.\n`);
        });
      }),
    );
}

export function registerWebhookCommands(program: Command) {
  registerWebhooks(program);
  registerNotifications(program);
}
