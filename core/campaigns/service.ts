import type { Pool, PoolClient } from 'pg';
import type { Config } from '../../config/index.ts';
import type { AuditService } from '../audit/index.ts';
import { withTransaction } from '../db/transaction.ts';
import { conflict, invalidRequest, notFound, unprocessable } from '../http/errors.ts';
import { listCursor } from '../http/pagination.ts';
import type { Bus } from '../infra/bus.ts';
import type { OutboxService } from '../outbox/index.ts';
import type { CampaignDraft, GoalTypePlugin, PluginHost } from '../plugins/index.ts';
import type { Campaign, CampaignStatus, RoutingRule } from './entities.ts';
import { campaignProblems, goalTypeProblem } from './validation.ts';
import { centsProblems } from '../commissions/index.ts';
import { canonicalRules, canonicalUrl } from './destination.ts';
import { handoverLockArgs } from './partner-history.ts';

const CAMPAIGNS_CURSOR = listCursor('campaigns', ['text']);

/** Bus channel: a campaign's link changed; every process drops `{handle}/{slug}` from its link cache. */
export const CAMPAIGNS_CHANGED = 'campaigns.changed';
export interface CampaignChange {
  handle: string;
  slug: string;
}

export interface CreateCampaignInput {
  campaignId: string;
  goalType: string;
  status: CampaignStatus;
  primaryLink: { slug: string; destinationUrl: string; title?: string | null };
  routingRules: RoutingRule[];
  attributionWindowDays: number;
  maxConversionValue?: number | null;
  partnerId?: string | null;
}

export interface CampaignPatch {
  status?: CampaignStatus;
  title?: string | null;
  destinationUrl?: string;
  routingRules?: RoutingRule[];
  attributionWindowDays?: number;
  maxConversionValue?: number | null;
  partnerId?: string | null;
}

const COLUMNS = `handle, campaign_id as "campaignId", goal_type as "goalType", status, tracking_preset as "trackingPreset",
  conversion_event as "conversionEvent", slug, destination_url as "destinationUrl", link_title as "linkTitle",
  routing_rules as "routingRules", attribution_window_days as "attributionWindowDays",
  max_conversion_value as "maxConversionValue", created_at as "createdAt", updated_at as "updatedAt", partner_id as "partnerId"`;

// What PATCH may change, as stored; the audit diff compares exactly these.
const MUTABLE = ['status', 'linkTitle', 'destinationUrl', 'routingRules', 'attributionWindowDays', 'maxConversionValue', 'partnerId'] as const;
type Mutable = Pick<Campaign, (typeof MUTABLE)[number]>;

const toDraft = (c: Omit<Campaign, 'createdAt' | 'updatedAt' | 'handle' | 'trackingPreset' | 'conversionEvent'>): CampaignDraft => ({
  campaignId: c.campaignId, goalType: c.goalType, status: c.status,
  primaryLink: { slug: c.slug, destinationUrl: c.destinationUrl, title: c.linkTitle },
  routingRules: c.routingRules, attributionWindowDays: c.attributionWindowDays,
});

function diff(before: Mutable, after: Mutable) {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of MUTABLE) {
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    const name = key === 'linkTitle' ? 'title' : key;
    b[name] = before[key];
    a[name] = after[key];
  }
  return Object.keys(a).length ? { before: b, after: a } : null;
}

/** The partner foreign key answers for itself, so a partner deleted meanwhile is refused too. */
function unknownPartner(err: unknown) {
  const e = err as { code?: string; constraint?: string };
  if (e.code !== '23503' || e.constraint !== 'campaigns_partner_fkey') return null;
  return unprocessable('unknown_partner', 'The handle has no partner with this partnerId.');
}

function uniqueViolation(err: unknown, input: { campaignId: string; slug: string }) {
  const e = err as { code?: string; constraint?: string };
  if (e.code !== '23505') return null;
  return e.constraint === 'campaigns_pkey'
    ? conflict(`Campaign "${input.campaignId}" already exists in this handle.`)
    : conflict(`Slug "${input.slug}" is already used by another campaign of this handle.`);
}

/** Campaigns and their primary short link: one service for the API and for the redirect's link loader. */
export class CampaignService {
  private readonly deps: { pg: Pool; bus: Bus; audit: AuditService; outbox: OutboxService; pluginHost: PluginHost; config: Config };
  constructor(
    deps: { pg: Pool; bus: Bus; audit: AuditService; outbox: OutboxService; pluginHost: PluginHost; config: Config },
  ) {
    this.deps = deps;
  }

  present(c: Campaign) {
    return {
      campaignId: c.campaignId,
      goalType: c.goalType,
      status: c.status,
      trackingPreset: c.trackingPreset,
      conversionEvent: c.conversionEvent,
      primaryLink: {
        slug: c.slug,
        destinationUrl: c.destinationUrl,
        title: c.linkTitle,
        shortUrl: `${this.deps.config.publicUrl}/${c.handle}/${c.slug}`,
      },
      routingRules: c.routingRules,
      attributionWindowDays: c.attributionWindowDays,
      maxConversionValue: c.maxConversionValue,
      partnerId: c.partnerId ?? null,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    };
  }

  async create(handle: string, given: CreateCampaignInput, actor: string) {
    // Validated, stored and redirected as the browser will read them.
    const input: CreateCampaignInput = {
      ...given,
      primaryLink: { ...given.primaryLink, destinationUrl: canonicalUrl(given.primaryLink.destinationUrl) },
      routingRules: canonicalRules(given.routingRules),
    };
    const plugins = await this.deps.pluginHost.forHandle(handle);
    const refused = goalTypeProblem(plugins, input.goalType);
    if (refused) throw invalidRequest('The goal type is not available.', [refused]);
    const goal = plugins.goalType(input.goalType)!;
    const preset = goal.manifest.trackingPreset;
    const draft: CampaignDraft = { ...input, primaryLink: { ...input.primaryLink, title: input.primaryLink.title ?? null } };
    const problems = campaignProblems(draft, goal.manifest, goal.settings, {
      destinationUrl: '/body/primaryLink/destinationUrl',
      routingRules: '/body/routingRules',
    });
    problems.push(...centsProblems(input, 'maxConversionValue'));
    if (problems.length) throw invalidRequest('The campaign is invalid.', problems);

    let created: Campaign;
    try {
      created = await withTransaction(this.deps.pg, async (client) => {
        const { rows } = await client.query(
          `insert into campaigns (handle, campaign_id, goal_type, status, tracking_preset, conversion_event, slug,
                                  destination_url, link_title, routing_rules, attribution_window_days, max_conversion_value, partner_id)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning ${COLUMNS}`,
          [handle, input.campaignId, input.goalType, input.status, preset, goal.manifest.conversionEvent, input.primaryLink.slug,
            input.primaryLink.destinationUrl, draft.primaryLink.title, JSON.stringify(input.routingRules), input.attributionWindowDays,
            input.maxConversionValue ?? null, input.partnerId ?? null],
        );
        const row = rows[0] as Campaign;
        await this.deps.audit.record(
          { handle, type: 'campaign.created', actor, campaignId: row.campaignId, subjectId: row.campaignId, payload: { campaign: this.present(row) } },
          client,
        );
        return row;
      });
    } catch (err) {
      throw unknownPartner(err) ?? uniqueViolation(err, { campaignId: input.campaignId, slug: input.primaryLink.slug }) ?? err;
    }
    // Drops a cached "no such link" for this slug on every process.
    await this.deps.bus.deliver(CAMPAIGNS_CHANGED, { handle, slug: created.slug } satisfies CampaignChange);
    return this.present(created);
  }

  async list(handle: string, q: { status?: CampaignStatus; partnerId?: string; limit: number; cursor?: string }) {
    const after = CAMPAIGNS_CURSOR.after(q.cursor, handle);
    const args: unknown[] = [handle, q.status ?? null, after ? String(after[0]) : null, q.limit + 1, q.partnerId ?? null];
    const { rows } = await this.deps.pg.query(
      `select ${COLUMNS} from campaigns
        where handle = $1 and ($2::text is null or status = $2) and ($3::text is null or campaign_id > $3)
          and ($5::text is null or partner_id = $5)
        order by campaign_id limit $4`,
      args,
    );
    const page = CAMPAIGNS_CURSOR.page(rows as Campaign[], q.limit, (c) => [c.campaignId], handle);
    return { data: page.data.map((c) => this.present(c)), nextCursor: page.nextCursor };
  }

  async get(handle: string, campaignId: string) {
    const { rows } = await this.deps.pg.query(`select ${COLUMNS} from campaigns where handle = $1 and campaign_id = $2`, [handle, campaignId]);
    if (!rows[0]) throw notFound('Campaign');
    return this.present(rows[0] as Campaign);
  }

  /** The campaign behind a short link, whatever its status (the redirect decides what is live). */
  async findByLink(handle: string, slug: string): Promise<Campaign | null> {
    const { rows } = await this.deps.pg.query(`select ${COLUMNS} from campaigns where handle = $1 and slug = $2`, [handle, slug]);
    return (rows[0] as Campaign | undefined) ?? null;
  }

  async update(handle: string, campaignId: string, patch: CampaignPatch, actor: string) {
    const plugins = await this.deps.pluginHost.forHandle(handle);
    return this.change(handle, campaignId, actor, 'campaign.updated', (before) => {
      const after: Campaign = {
        ...before,
        status: patch.status ?? before.status,
        linkTitle: patch.title !== undefined ? patch.title : before.linkTitle,
        // Only what the patch sends is canonicalised: an untouched legacy value is not a change.
        destinationUrl: patch.destinationUrl !== undefined ? canonicalUrl(patch.destinationUrl) : before.destinationUrl,
        routingRules: patch.routingRules ? canonicalRules(patch.routingRules) : before.routingRules,
        attributionWindowDays: patch.attributionWindowDays ?? before.attributionWindowDays,
        maxConversionValue: patch.maxConversionValue !== undefined ? patch.maxConversionValue : before.maxConversionValue,
        partnerId: patch.partnerId !== undefined ? patch.partnerId : before.partnerId,
      };
      // A goal type disabled since creation still governs its existing campaigns' rules.
      const goal = this.deps.pluginHost.get(before.goalType) as GoalTypePlugin | undefined;
      const settings = plugins.all.find((p) => p.manifest.name === before.goalType)?.settings ?? {};
      const problems = campaignProblems(toDraft(after), goal, settings, { destinationUrl: '/body/destinationUrl', routingRules: '/body/routingRules' },
        patch.routingRules !== undefined);
      problems.push(...centsProblems(patch, 'maxConversionValue'));
      if (problems.length) throw invalidRequest('The campaign is invalid.', problems);
      return after;
    });
  }

  async archive(handle: string, campaignId: string, actor: string) {
    return this.change(handle, campaignId, actor, 'campaign.archived', (before) => ({ ...before, status: 'ARCHIVED' }));
  }

  /** Locks the row, applies `next`, and commits the row, its audit event and its outbox event together. */
  private async change(handle: string, campaignId: string, actor: string, auditType: string, next: (before: Campaign) => Campaign) {
    const result = await withTransaction(this.deps.pg, async (client: PoolClient) => {
      const { rows } = await client.query(`select ${COLUMNS} from campaigns where handle = $1 and campaign_id = $2 for update`, [handle, campaignId]);
      const before = rows[0] as Campaign | undefined;
      if (!before) throw notFound('Campaign');
      const after = next(before);
      const changes = diff(before, after);
      if (!changes) return { campaign: before, changed: false };
      const handedOver = (after.partnerId ?? null) !== (before.partnerId ?? null);
      // Wait for the click batches that began before this handover (partner-history.ts, handoverLockArgs).
      if (handedOver) await client.query(`select pg_advisory_xact_lock(${handoverLockArgs('$1::text', '$2::text')})`, [handle, campaignId]);
      const updated = await client.query(
        // Handed to another partner, taken away, or given its first partner: the holder it had (nobody
        // included) keeps its time in the history, the next one starts from now. Now is read under the
        // row lock (a transaction that began earlier but waited for the lock never dates its handover
        // before the one it waited for), in whole milliseconds (the bound goes through JS dates), rounded
        // up: a click of the millisecond the handover began in is the former holder's, as the batches that
        // began before it credited it.
        `with handover as materialized (
           select handle, campaign_id, partner_id, partner_since,
                  greatest(date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond', partner_since) as at
             from campaigns where handle = $1 and campaign_id = $2 and partner_id is distinct from $9
         ), handed as (
           insert into campaign_partner_history (handle, campaign_id, partner_id, since, until)
           select handle, campaign_id, partner_id, partner_since, at from handover
         )
         update campaigns set status = $3, link_title = $4, destination_url = $5, routing_rules = $6,
                attribution_window_days = $7, max_conversion_value = $8, partner_id = $9, updated_at = now(),
                partner_since = coalesce((select at from handover), partner_since)
          where handle = $1 and campaign_id = $2 returning ${COLUMNS}`,
        [handle, campaignId, after.status, after.linkTitle, after.destinationUrl, JSON.stringify(after.routingRules), after.attributionWindowDays,
          after.maxConversionValue, after.partnerId ?? null],
      );
      const campaign = updated.rows[0] as Campaign;
      // Not answered before its time (a millisecond at most; bounded should the clock step back): a click this
      // server stamps after the answer is the new holder's.
      if (handedOver) {
        await client.query(`select pg_sleep(least(0.005, extract(epoch from partner_since - clock_timestamp()))) from campaigns
                             where handle = $1 and campaign_id = $2 and partner_since > clock_timestamp()`, [handle, campaignId]);
      }
      await this.deps.audit.record({ handle, type: auditType, actor, campaignId, subjectId: campaignId, payload: changes }, client);
      await this.deps.outbox.emit(client, [
        { handle, type: 'campaign.updated', data: { campaignId, change: auditType.slice('campaign.'.length), ...changes, campaign: this.present(campaign) } },
      ]);
      return { campaign, changed: true };
    }).catch((err: unknown) => {
      throw unknownPartner(err) ?? err;
    });
    if (result.changed) {
      // Handed to every process before the answer: the next request anywhere sees the change (Bus.deliver).
      await this.deps.bus.deliver(CAMPAIGNS_CHANGED, { handle, slug: result.campaign.slug } satisfies CampaignChange);
      this.deps.outbox.wake();
    }
    return this.present(result.campaign);
  }
}
