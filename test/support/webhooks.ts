// Webhook test helpers: a real local HTTP receiver that records every request and answers as told,
// standardwebhooks verification and polling (a server's Redis keys: dropRedisKeys in database.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { v7 as uuidv7 } from 'uuid';
import type { OutboxService } from '../../core/outbox/service.ts';
import type { TestServer } from './server.ts';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** Epoch ms when the request arrived. */
  at: number;
  /** The status this receiver answered. */
  status: number;
  /** Request method and path with query (postbacks call GET URLs carrying their macros). */
  method: string;
  url: string;
}

/** Decides the status of a request: `n` is how many times this webhook-id was seen before (0-based). */
export type Behaviour = (req: { id: string; body: string; n: number }) => number;

export interface Receiver {
  url: string;
  received: Received[];
  behave(b: Behaviour): void;
  /** Every request carrying this webhook-id, in arrival order. */
  byId(id: string): Received[];
  /** Resolves when `pred` holds (checked on each request and every 25 ms); rejects after timeoutMs. */
  waitFor(pred: (r: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export const ok: Behaviour = () => 200;

export async function startReceiver(behaviour: Behaviour = ok): Promise<Receiver> {
  const received: Received[] = [];
  const seen = new Map<string, number>();
  let behave = behaviour;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      const body = Buffer.concat(chunks).toString('utf8');
      const n = seen.get(id) ?? 0;
      seen.set(id, n + 1);
      const status = behave({ id, body, n });
      received.push({
        id, body, status, headers: req.headers, at: Date.now(), method: req.method ?? '', url: req.url ?? '',
        timestamp: String(req.headers['webhook-timestamp'] ?? ''), signature: String(req.headers['webhook-signature'] ?? ''),
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `nope ${n}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    behave: (b) => (behave = b),
    byId: (id) => received.filter((r) => r.id === id),
    waitFor(pred, timeoutMs = 10_000, what = 'webhook deliveries') {
      const deadline = Date.now() + timeoutMs;
      return new Promise((ok, fail) => {
        const check = () => {
          if (pred(received)) return ok();
          if (Date.now() > deadline) return fail(new Error(`timed out waiting for ${what} (${received.length} requests received)`));
          setTimeout(check, 25);
        };
        check();
      });
    },
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

/** Verifies a received request with the standardwebhooks library (throws when it does not verify). */
export function verify(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature });
}

/** Polls `fn` until it returns a truthy value; rejects after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes an event as a domain transaction would, then wakes the dispatcher. */
export async function emit(server: TestServer, handle: string, type: string, data: Record<string, unknown>): Promise<string> {
  const eventId = uuidv7();
  await server.sql.query('insert into outbox_events (event_id, handle, type, payload) values ($1, $2, $3, $4)', [eventId, handle, type, JSON.stringify(data)]);
  server.kernel.container.resolve<OutboxService>('outbox').wake();
  return eventId;
}

export const conversionData = (n = 1) => ({
  clickId: uuidv7(), campaignId: 'partner-alpha', conversionId: uuidv7(), value: 24.99 * n, currency: 'USD', eventType: 'affiliate_click',
});

export async function deliveryOf(server: TestServer, eventId: string) {
  const { rows } = await server.sql.query('select delivery_id, status, attempt_count from deliveries where event_id = $1', [eventId]);
  return rows[0] as { delivery_id: string; status: string; attempt_count: number } | undefined;
}
