// What `tenx notifications list` and `tenx postbacks deliveries` print: a delivery and its attempts, as the
// notifications panel returns them (webhooks and partner postbacks share the delivery engine).
import { printTable } from './output.ts';

interface Attempt {
  attempt?: number;
  at?: string;
  statusCode?: number | null;
  latencyMs?: number | null;
  error?: string | null;
  responseSnippet?: string | null;
}

export interface Delivery {
  deliveryId: string;
  /** The webhook, or the partner postback (its postbackId), that sent it. */
  webhookId?: string;
  /** Set when a partner's postback sent it (null: a webhook of the handle). */
  partnerId?: string | null;
  eventType?: string;
  status: string;
  attempts?: Attempt[];
  createdAt?: string;
}

const lastAttempt = (d: Delivery) => {
  if (!d.attempts?.length) return '-';
  const a = d.attempts[d.attempts.length - 1];
  return [a.statusCode ?? '', a.error ?? '', a.latencyMs != null ? `${a.latencyMs}ms` : ''].filter(Boolean).join(' ');
};

/** What sent it, in the panel's words: a postback names its partner, so it is never taken for one of the handle's webhooks. */
export const sentBy = (d: Pick<Delivery, 'webhookId' | 'partnerId'>) => (d.partnerId ? `postback ${d.webhookId} (partner ${d.partnerId})` : `webhook ${d.webhookId}`);

/** One row per delivery, newest first as listed; `(more: --cursor …)` on stderr when there is a next page. */
export function printDeliveries(res: { data: Delivery[]; nextCursor?: string | null }, withSender: boolean): void {
  printTable(
    res.data,
    [
      { header: 'DELIVERY', value: (d) => d.deliveryId },
      { header: 'CREATED', value: (d) => d.createdAt },
      { header: 'EVENT', value: (d) => d.eventType },
      { header: 'STATUS', value: (d) => d.status },
      { header: 'ATTEMPTS', value: (d) => d.attempts?.length ?? 0, align: 'right' },
      { header: 'LAST ATTEMPT', value: lastAttempt },
      ...(withSender ? [{ header: 'SENT BY', value: sentBy }] : []),
    ],
    'no deliveries',
  );
  if (res.nextCursor) process.stderr.write(`(more: --cursor ${res.nextCursor})\n`);
}

/** As `tokens create` does: the secret alone on stdout, so SECRET=$(tenx webhooks add ...) works; the rest is for people, on stderr. */
export function printSecret(notice: string, secret: string | undefined): void {
  process.stderr.write(notice);
  process.stdout.write(`${secret}\n`);
}

/** Every attempt of one delivery, oldest first: when, what the endpoint answered, how long it took, and the start of its answer. */
export function printAttempts(attempts: Attempt[]): void {
  printTable(
    attempts,
    [
      { header: '#', value: (a) => a.attempt, align: 'right' },
      { header: 'AT', value: (a) => a.at },
      { header: 'STATUS', value: (a) => a.statusCode ?? '-', align: 'right' },
      { header: 'ERROR', value: (a) => a.error ?? '-' },
      { header: 'LATENCY', value: (a) => (a.latencyMs != null ? `${a.latencyMs}ms` : '-'), align: 'right' },
      { header: 'ANSWER', value: (a) => (a.responseSnippet ? a.responseSnippet.replace(/\s+/g, ' ').slice(0, 60) : '') },
    ],
    'no attempt yet',
  );
}
