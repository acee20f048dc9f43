// Partner postbacks: a partner's own subscriptions, stored as webhooks rows of kind postback
// (partner_id set) so the one delivery engine sends, retries and records them. Every read and
// write is keyed by the calling partner: another partner's postback is a 404, never its data.
import { v7 as uuidv7 } from 'uuid';
import type { Pool } from 'pg';
import type { Config } from '../../config/index.ts';
import type { AuditService } from '../audit/index.ts';
import { withTransaction } from '../db/transaction.ts';
import { HttpError, invalidRequest, notFound, unavailable, unprocessable, type ErrorDetail } from '../http/errors.ts';
import { listCursor } from '../http/pagination.ts';
import type { SubscriptionInterest } from './interest.ts';
import type { NotificationsPanel, PanelFilters } from './panel.ts';
import type { POSTBACK_EVENTS } from './postback-fanout.ts';
import { authorityIsLiteral, hasStrayBrace, macroReachesHost, sampleUrl, unknownMacros } from './postback-macros.ts';
import type { SecretBox } from './secret-box.ts';
import { generateSecret } from './signing.ts';
import { checkEndpoint } from './ssrf-guard.ts';

const POSTBACKS_CURSOR = listCursor('postbacks', ['timestamp', 'uuid']);

export interface CreatePostback {
  urlTemplate: string;
  method: 'GET' | 'POST';
  events: Array<(typeof POSTBACK_EVENTS)[number]>;
}

interface PostbackRow { webhook_id: string; partner_id: string; endpoint_url: string; method: 'GET' | 'POST'; event_types: string[]; created_at: Date }
const COLUMNS = 'webhook_id, partner_id, endpoint_url, method, event_types, created_at';

const present = (r: PostbackRow) => ({
  postbackId: r.webhook_id, partnerId: r.partner_id, urlTemplate: r.endpoint_url, method: r.method, events: r.event_types,
  createdAt: r.created_at.toISOString(),
});

/**
 * What is wrong with a urlTemplate's form, as its 400 says it (the message and the details), or null: unknown macros, a
 * stray brace, no URL, a fragment, a macro in the scheme or host. The endpoint's own check (SSRF rules) comes after.
 */
export function templateFormProblem(template: string): { message: string; details: ErrorDetail[] } | null {
  const pointer = '/body/urlTemplate';
  const unknown = unknownMacros(template);
  if (unknown.length) {
    return {
      message: `Unknown macro${unknown.length > 1 ? 's' : ''} in urlTemplate: ${unknown.map((m) => `{${m}}`).join(', ')}.`,
      details: unknown.map((m) => ({ pointer, message: `unknown macro {${m}}` })),
    };
  }
  if (hasStrayBrace(template)) {
    return { message: 'urlTemplate has a brace that opens or closes no macro (e.g. "{amount" without "}"); write macros as {name}.', details: [{ pointer, message: 'unbalanced { or }' }] };
  }
  try {
    new URL(sampleUrl(template));
  } catch {
    return { message: 'urlTemplate is not a URL.', details: [{ pointer, message: 'must be an absolute http(s) URL' }] };
  }
  // A fragment never leaves the sender: a macro there would silently send nothing.
  if (template.includes('#')) {
    return { message: 'urlTemplate has a fragment (#…), which is never sent: put macros in the path or query.', details: [{ pointer, message: 'fragment (#) not allowed' }] };
  }
  if (!authorityIsLiteral(template)) {
    // No "scheme://" and no macro reaching the host (javascript:…, http:host/{click_id}): the scheme and host were
    // not spelled out; say so, not "macro in the host", whether or not the template has macros elsewhere.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(template) && !macroReachesHost(template)) {
      return { message: 'urlTemplate must spell out its scheme and host: https://host/path?….', details: [{ pointer, message: 'must start with http:// or https:// and a host' }] };
    }
    return { message: 'Macros may appear only in the path and query of urlTemplate.', details: [{ pointer, message: 'macro in the scheme or host' }] };
  }
  return null;
}

export class PostbackService {
  private readonly deps: {
    pg: Pool; config: Config; audit: AuditService; secretBox: SecretBox; webhookInterest: SubscriptionInterest; notificationsPanel: NotificationsPanel;
  };
  constructor(deps: {
    pg: Pool; config: Config; audit: AuditService; secretBox: SecretBox; webhookInterest: SubscriptionInterest; notificationsPanel: NotificationsPanel;
  }) {
    this.deps = deps;
  }

  async create(handle: string, partnerId: string, input: CreatePostback, actor: string) {
    await this.checkTemplate(input.urlTemplate);
    const secret = generateSecret();
    const row = await withTransaction(this.deps.pg, async (client) => {
      // Creates of one partner queue here, so concurrent ones cannot all see room for one more.
      await client.query(`select pg_advisory_xact_lock(hashtextextended('postbacks/' || $1 || '/' || $2, 0))`, [handle, partnerId]);
      const { rows: count } = await client.query<{ n: number }>('select count(*)::int as n from webhooks where handle = $1 and partner_id = $2', [handle, partnerId]);
      const max = this.deps.config.webhookMaxPerHandle;
      if (count[0].n >= max) throw unprocessable('too_many_postbacks', `This partner already has ${max} postbacks (the limit); delete one before adding another.`);
      const { rows } = await client.query<PostbackRow>(
        `insert into webhooks (webhook_id, handle, channel, endpoint_url, event_types, secret_sealed, partner_id, method)
         values ($1, $2, 'postback', $3, $4, $5, $6, $7) returning ${COLUMNS}`,
        [uuidv7(), handle, input.urlTemplate, input.events, this.deps.secretBox.seal(secret), partnerId, input.method],
      );
      await this.deps.audit.record(
        { handle, type: 'postback.created', actor, subjectId: rows[0].webhook_id, payload: { partnerId, urlTemplate: input.urlTemplate, method: input.method, events: input.events } },
        client,
      );
      return rows[0];
    });
    await this.deps.webhookInterest.changed(handle);
    return { ...present(row), secret };
  }

  async list(handle: string, partnerId: string, limit: number, cursor?: string) {
    const after = POSTBACKS_CURSOR.after(cursor, handle);
    const { rows } = await this.deps.pg.query<PostbackRow & { k: string }>(
      `select ${COLUMNS}, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as k
         from webhooks
        where handle = $1 and partner_id = $2 and ($3::timestamptz is null or (created_at, webhook_id) > ($3::timestamptz, $4::uuid))
        order by created_at, webhook_id limit $5`,
      [handle, partnerId, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    const page = POSTBACKS_CURSOR.page(rows, limit, (r) => [r.k, r.webhook_id], handle);
    return { data: page.data.map(present), nextCursor: page.nextCursor };
  }

  async delete(handle: string, partnerId: string, postbackId: string, actor: string) {
    const row = await withTransaction(this.deps.pg, async (client) => {
      const { rows } = await client.query<PostbackRow>(
        `delete from webhooks where handle = $1 and partner_id = $2 and webhook_id = $3 returning ${COLUMNS}`,
        [handle, partnerId, postbackId],
      );
      if (!rows[0]) throw notFound('Postback');
      await this.deps.audit.record({ handle, type: 'postback.deleted', actor, subjectId: postbackId, payload: { partnerId, urlTemplate: rows[0].endpoint_url } }, client);
      return rows[0];
    });
    await this.deps.webhookInterest.changed(handle);
    return present(row);
  }

  /** The postback's deliveries as the notifications panel shows them (same attempts, same summary). */
  async deliveries(handle: string, partnerId: string, postbackId: string, f: Omit<PanelFilters, 'webhookId'>) {
    const { rows } = await this.deps.pg.query('select 1 from webhooks where handle = $1 and partner_id = $2 and webhook_id = $3', [handle, partnerId, postbackId]);
    if (!rows[0]) throw notFound('Postback');
    return this.deps.notificationsPanel.list(handle, { ...f, webhookId: postbackId });
  }

  /** 400 naming unknown macros, a macro in the host, or a fragment; 400 endpoint_not_allowed by the webhooks' SSRF rules. */
  private async checkTemplate(template: string): Promise<void> {
    const form = templateFormProblem(template);
    if (form) throw invalidRequest(form.message, form.details);
    const { webhookAllowPrivate, webhookAllowedPorts } = this.deps.config;
    const check = await checkEndpoint(sampleUrl(template), { allowPrivate: webhookAllowPrivate, allowedPorts: webhookAllowedPorts, audience: 'partner' });
    if (check.ok) return;
    if (check.transient) throw unavailable(check.reason);
    // The detail names the field; the message says why (the portal showed the same sentence twice).
    throw new HttpError(400, 'endpoint_not_allowed', check.reason, [{ pointer: '/body/urlTemplate', message: 'is not an endpoint postbacks may reach' }]);
  }
}
