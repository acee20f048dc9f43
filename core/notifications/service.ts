// Webhook subscriptions: the secret is shown once, stored sealed (AES-256-GCM), never listed or logged.
import { v7 as uuidv7 } from 'uuid';
import type { Pool, PoolClient } from 'pg';
import type { Config } from '../../config/index.ts';
import type { AuditService } from '../audit/index.ts';
import { withTransaction } from '../db/transaction.ts';
import { HttpError, invalidRequest, notFound, unavailable, unprocessable } from '../http/errors.ts';
import { listCursor } from '../http/pagination.ts';
import type { EventType } from '../outbox/index.ts';
import type { PluginHost } from '../plugins/index.ts';
import { insertDeliveries } from './delivery-store.ts';
import { deliveryBody } from './dispatcher.ts';
import type { DeliveryEngine } from './engine.ts';
import type { SubscriptionInterest } from './interest.ts';
import { webhookDeliveriesCreated } from './metrics.ts';
import type { SecretBox } from './secret-box.ts';
import { generateSecret } from './signing.ts';
import { checkEndpoint } from './ssrf-guard.ts';

const WEBHOOKS_CURSOR = listCursor('webhooks', ['timestamp', 'uuid']);

export interface CreateWebhook {
  endpointUrl: string;
  eventTypes: EventType[];
  channel: string;
  retryTail?: boolean;
}

interface WebhookRow {
  webhook_id: string;
  endpoint_url: string;
  event_types: string[];
  channel: string;
  retry_tail: boolean;
  created_at: Date;
  secret_rotated_at: Date | null;
  previous_secret_expires_at: Date | null;
}

// Only these columns ever leave the table: the sealed secrets are not even selected. Every statement here
// names `partner_id is null`: the table also holds partners' postbacks (postbacks.ts), never shown or touched here.
const PUBLIC_COLUMNS = 'webhook_id, endpoint_url, event_types, channel, retry_tail, created_at, secret_rotated_at, previous_secret_expires_at';

const present = (r: WebhookRow) => ({
  webhookId: r.webhook_id,
  endpointUrl: r.endpoint_url,
  eventTypes: r.event_types,
  channel: r.channel,
  retryTail: r.retry_tail,
  createdAt: r.created_at.toISOString(),
  secretRotatedAt: r.secret_rotated_at?.toISOString() ?? null,
  previousSecretExpiresAt: r.previous_secret_expires_at && r.previous_secret_expires_at > new Date() ? r.previous_secret_expires_at.toISOString() : null,
});

export class WebhookService {
  private readonly deps: {
    pg: Pool; config: Config; audit: AuditService; pluginHost: PluginHost; secretBox: SecretBox;
    webhookInterest: SubscriptionInterest; webhookEngine: DeliveryEngine;
  };
  constructor(
    deps: {
      pg: Pool; config: Config; audit: AuditService; pluginHost: PluginHost; secretBox: SecretBox;
      webhookInterest: SubscriptionInterest; webhookEngine: DeliveryEngine;
    },
  ) {
    this.deps = deps;
  }

  async create(handle: string, input: CreateWebhook, actor: string) {
    await this.checkChannel(handle, input.channel);
    await this.checkEndpointAllowed(input.endpointUrl, '/body/endpointUrl');
    const secret = generateSecret();
    const row = await withTransaction(this.deps.pg, async (client) => {
      await this.checkRoomFor(client, handle);
      const { rows } = await client.query<WebhookRow>(
        `insert into webhooks (webhook_id, handle, channel, endpoint_url, event_types, secret_sealed, retry_tail)
         values ($1, $2, $3, $4, $5, $6, $7) returning ${PUBLIC_COLUMNS}`,
        [uuidv7(), handle, input.channel, input.endpointUrl, input.eventTypes, this.deps.secretBox.seal(secret), input.retryTail ?? false],
      );
      await this.deps.audit.record(
        { handle, type: 'webhook.created', actor, subjectId: rows[0].webhook_id, payload: { endpointUrl: input.endpointUrl, eventTypes: input.eventTypes, channel: input.channel, retryTail: input.retryTail ?? false } },
        client,
      );
      return rows[0];
    });
    await this.deps.webhookInterest.changed(handle);
    return { ...present(row), secret };
  }

  async list(handle: string, limit: number, cursor?: string) {
    const after = WEBHOOKS_CURSOR.after(cursor, handle);
    const { rows } = await this.deps.pg.query<WebhookRow & { k: string }>(
      `select ${PUBLIC_COLUMNS}, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as k
         from webhooks
        where handle = $1 and partner_id is null and ($2::timestamptz is null or (created_at, webhook_id) > ($2::timestamptz, $3::uuid))
        order by created_at, webhook_id limit $4`,
      [handle, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    const page = WEBHOOKS_CURSOR.page(rows, limit, (r) => [r.k, r.webhook_id], handle);
    return { data: page.data.map(present), nextCursor: page.nextCursor };
  }

  async get(handle: string, webhookId: string) {
    return present(await this.row(handle, webhookId));
  }

  /** Opts into or out of the retry tail (WEBHOOK_RETRY_TAIL); the only setting that changes in place. */
  async update(handle: string, webhookId: string, input: { retryTail: boolean }, actor: string) {
    const row = await withTransaction(this.deps.pg, async (client) => {
      const { rows } = await client.query<WebhookRow>(
        `update webhooks set retry_tail = $3 where handle = $1 and webhook_id = $2 and partner_id is null returning ${PUBLIC_COLUMNS}`,
        [handle, webhookId, input.retryTail],
      );
      if (!rows[0]) throw notFound('Webhook');
      await this.deps.audit.record({ handle, type: 'webhook.updated', actor, subjectId: webhookId, payload: { retryTail: input.retryTail } }, client);
      return rows[0];
    });
    return present(row);
  }

  async delete(handle: string, webhookId: string, actor: string) {
    const row = await withTransaction(this.deps.pg, async (client) => {
      // Its deliveries go with it (cascade); a job still queued for one finds nothing to send.
      const { rows } = await client.query<WebhookRow>(
        `delete from webhooks where handle = $1 and webhook_id = $2 and partner_id is null returning ${PUBLIC_COLUMNS}`,
        [handle, webhookId],
      );
      if (!rows[0]) throw notFound('Webhook');
      await this.deps.audit.record({ handle, type: 'webhook.deleted', actor, subjectId: webhookId, payload: { endpointUrl: rows[0].endpoint_url } }, client);
      return rows[0];
    });
    await this.deps.webhookInterest.changed(handle);
    return present(row);
  }

  /** A new secret; the previous one keeps signing (a second v1 entry) for WEBHOOK_SECRET_OVERLAP_S. */
  async rotateSecret(handle: string, webhookId: string, actor: string) {
    await this.checkEndpointAllowed((await this.row(handle, webhookId)).endpoint_url);
    const secret = generateSecret();
    const overlapS = this.deps.config.webhookSecretOverlapS;
    const row = await withTransaction(this.deps.pg, async (client) => {
      const { rows } = await client.query<WebhookRow>(
        `update webhooks
            set previous_secret_sealed = case when $4::int > 0 then secret_sealed end,
                previous_secret_expires_at = case when $4::int > 0 then now() + make_interval(secs => $4::int) end,
                secret_sealed = $3, secret_rotated_at = now()
          where handle = $1 and webhook_id = $2 and partner_id is null returning ${PUBLIC_COLUMNS}`,
        [handle, webhookId, this.deps.secretBox.seal(secret), overlapS],
      );
      if (!rows[0]) throw notFound('Webhook');
      await this.deps.audit.record({ handle, type: 'webhook.rotated', actor, subjectId: webhookId, payload: { overlapSeconds: overlapS } }, client);
      return rows[0];
    });
    return { ...present(row), secret };
  }

  /** Sends a `webhook.ping` to this subscription only, whatever event types it chose. */
  async ping(handle: string, webhookId: string) {
    await this.row(handle, webhookId);
    const deliveryId = uuidv7();
    const createdAt = new Date();
    const body = deliveryBody(deliveryId, 'webhook.ping', createdAt, handle, { webhookId, message: 'Ping from tenx: this endpoint receives signed events.' });
    const due = await insertDeliveries(this.deps.pg, [{ deliveryId, webhookId, handle, eventId: uuidv7(), eventType: 'webhook.ping', body, eventCreatedAt: createdAt }]);
    webhookDeliveriesCreated.inc(due.length);
    this.deps.webhookEngine.schedule(due);
    return { deliveryId, webhookId, eventType: 'webhook.ping', status: 'pending', createdAt: createdAt.toISOString() };
  }

  private async row(handle: string, webhookId: string): Promise<WebhookRow> {
    const { rows } = await this.deps.pg.query<WebhookRow>(`select ${PUBLIC_COLUMNS} from webhooks where handle = $1 and webhook_id = $2 and partner_id is null`, [handle, webhookId]);
    if (!rows[0]) throw notFound('Webhook');
    return rows[0];
  }

  /**
   * 422 too_many_webhooks at WEBHOOK_MAX_PER_HANDLE. Creates of one handle queue on an advisory lock
   * for the rest of their transaction, so concurrent ones cannot all see room for one more.
   */
  private async checkRoomFor(client: PoolClient, handle: string): Promise<void> {
    const max = this.deps.config.webhookMaxPerHandle;
    await client.query(`select pg_advisory_xact_lock(hashtextextended('webhooks/' || $1, 0))`, [handle]);
    // A statement of its own: its snapshot, taken after the lock, sees the creates that held it before.
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from webhooks where handle = $1 and partner_id is null', [handle]);
    if (rows[0].n >= max) {
      throw unprocessable('too_many_webhooks', `This handle already has ${max} webhooks (the limit); delete one before adding another.`);
    }
  }

  private async checkChannel(handle: string, channel: string): Promise<void> {
    if ((await this.deps.pluginHost.forHandle(handle)).channel(channel)) return;
    // Unknown and disabled read the same, and only one of them is fixed by enabling it for the handle.
    const loaded = this.deps.pluginHost.get(channel)?.kind === 'notification-channel';
    const message = loaded
      ? `is not enabled for this handle (${channel}): enable it with PUT /v2/handles/${handle}/plugins/${channel} {"enabled": true}`
      : `is no notification channel this server loaded (${channel}): GET /v2/handles/${handle}/plugins lists them; a plugin's own is loaded with PLUGINS`;
    throw invalidRequest('The request body is invalid.', [{ pointer: '/body/channel', message }]);
  }

  /** 400 endpoint_not_allowed with the guard's reason (at create, and again at rotation). */
  private async checkEndpointAllowed(url: string, pointer?: string): Promise<void> {
    const { webhookAllowPrivate, webhookAllowedPorts } = this.deps.config;
    const check = await checkEndpoint(url, { allowPrivate: webhookAllowPrivate, allowedPorts: webhookAllowedPorts });
    if (check.ok) return;
    if (check.transient) throw unavailable(check.reason);
    throw new HttpError(400, 'endpoint_not_allowed', check.reason, pointer ? [{ pointer, message: check.reason }] : undefined);
  }
}
