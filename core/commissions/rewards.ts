import type { Pool } from 'pg';
import type { AuditService } from '../audit/index.ts';
import { withTransaction } from '../db/transaction.ts';
import { conflict, invalidRequest, notFound, unprocessable, type ErrorDetail } from '../http/errors.ts';
import { listCursor } from '../http/pagination.ts';
import type { PluginHost } from '../plugins/index.ts';
import { moneyText } from './money.ts';
import { checkRewardEvent } from './reward-events.ts';

const REWARD_RULES_CURSOR = listCursor('reward-rules', ['text']);

export interface RewardInput {
  scope: { campaignId?: string; partnerId?: string };
  event: string;
  type: 'flat' | 'percent';
  amount?: number;
  percent?: number;
  currency?: string;
  holdDays: number;
}

const COLUMNS = `reward_id as "rewardId", campaign_id as "campaignId", partner_id as "partnerId", event, type, amount, percent,
  currency, hold_days as "holdDays", created_at as "createdAt", updated_at as "updatedAt"`;

interface RewardRow {
  rewardId: string; campaignId: string | null; partnerId: string | null; event: string; type: 'flat' | 'percent';
  amount: number | null; percent: number | null; currency: string | null; holdDays: number; createdAt: Date; updatedAt: Date;
}

function present({ campaignId, partnerId, ...r }: RewardRow) {
  return {
    rewardId: r.rewardId,
    scope: { ...(campaignId ? { campaignId } : {}), ...(partnerId ? { partnerId } : {}) },
    event: r.event, type: r.type, amount: r.amount, percent: r.percent, currency: r.currency, holdDays: r.holdDays,
    createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}

/** The cross-field rules JSON Schema says badly: which fields each rule type takes, and two decimals. */
export function rewardProblems(input: RewardInput): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  if (input.type === 'flat') {
    if (input.amount === undefined) out.push({ pointer: '/body/amount', message: 'is required for a flat rule' });
    else if (moneyText(input.amount) === null) out.push({ pointer: '/body/amount', message: 'must have at most 2 fraction digits' });
    if (input.percent !== undefined) out.push({ pointer: '/body/percent', message: 'is only for percent rules' });
  } else {
    if (input.percent === undefined) out.push({ pointer: '/body/percent', message: 'is required for a percent rule' });
    else if (moneyText(input.percent) === null) out.push({ pointer: '/body/percent', message: 'must have at most 2 fraction digits' });
    if (input.amount !== undefined) out.push({ pointer: '/body/amount', message: 'is only for flat rules' });
    if (input.currency !== undefined) out.push({ pointer: '/body/currency', message: "is only for flat rules (a percent is paid in the conversion's currency)" });
    if (input.event === 'click') out.push({ pointer: '/body/type', message: 'click rules pay a flat amount per qualified click' });
  }
  return out;
}

/**
 * Reward rules: what a partner earns per click or conversion event. A rule is read when an event is
 * recorded (commission-sql.ts); replacing or deleting it never touches commissions already written.
 */
/** Another rule holds the scope and event (the unique index): the transaction is rolled back before it is named. */
class ScopeTaken extends Error {}

export class RewardService {
  private readonly deps: { pg: Pool; audit: AuditService; pluginHost: PluginHost };

  constructor(deps: { pg: Pool; audit: AuditService; pluginHost: PluginHost }) {
    this.deps = deps;
  }

  /** Creates or replaces a rule; `created` tells the route 201 from 200. */
  async put(handle: string, rewardId: string, input: RewardInput, actor: string) {
    const found = rewardProblems(input);
    if (found.length) throw invalidRequest('The reward rule is invalid.', found);
    try {
      return await this.write(handle, rewardId, input, actor);
    } catch (err) {
      if (!(err instanceof ScopeTaken)) throw err;
      // Named after the rollback, so the answer never waits for a second connection while holding one.
      const { rows: [other] } = await this.deps.pg.query(
        `select reward_id from reward_rules where handle = $1 and campaign_id is not distinct from $2 and partner_id is not distinct from $3 and event = $4`,
        [handle, input.scope.campaignId ?? null, input.scope.partnerId ?? null, input.event],
      );
      const name = other ? `reward rule "${other.reward_id}"` : 'another reward rule';
      // Said in words every client reads (the dashboard and the CLI showed "PUT .../rewards/x"): set that rule instead.
      throw conflict(`The ${name} already covers this scope and event: change that rule (set it again under its id) or delete it first.`);
    }
  }

  private write(handle: string, rewardId: string, input: RewardInput, actor: string) {
    return withTransaction(this.deps.pg, async (client) => {
      let campaign: { campaignId: string; goalType: string } | undefined;
      if (input.scope.campaignId) {
        // Campaigns are never deleted (only archived), so a rule can never point at a campaign that vanishes.
        const { rows } = await client.query('select goal_type from campaigns where handle = $1 and campaign_id = $2', [handle, input.scope.campaignId]);
        if (!rows[0]) throw unprocessable('unknown_campaign', `Campaign "${input.scope.campaignId}" does not exist in this handle.`);
        campaign = { campaignId: input.scope.campaignId, goalType: rows[0].goal_type };
      }
      checkRewardEvent(this.deps.pluginHost, input.event, campaign);
      if (input.scope.partnerId) {
        // As a campaign's partnerId (API.md): a rule for a partner that does not exist would never apply, silently.
        // Partners are never deleted either (only suspended).
        const { rowCount } = await client.query('select 1 from partners where handle = $1 and partner_id = $2', [handle, input.scope.partnerId]);
        if (!rowCount) throw unprocessable('unknown_partner', `Partner "${input.scope.partnerId}" does not exist in this handle.`);
      }

      let row: RewardRow & { created: boolean };
      try {
        const { rows } = await client.query(
          `insert into reward_rules as r (handle, reward_id, campaign_id, partner_id, event, type, amount, percent, currency, hold_days)
           values ($1, $2, $3, $4, $5, $6, $7::numeric, $8::numeric,
                   case when $6 = 'flat' then coalesce($9, (select reporting_currency from tenants where handle = $1)) end, $10)
           on conflict (handle, reward_id) do update
              set campaign_id = excluded.campaign_id, partner_id = excluded.partner_id, event = excluded.event, type = excluded.type,
                  amount = excluded.amount, percent = excluded.percent, currency = excluded.currency, hold_days = excluded.hold_days,
                  -- now() is this transaction's start: a replace that began before the create committed must not read as earlier.
                  updated_at = greatest(now(), r.created_at)
           returning ${COLUMNS}, (xmax = 0) as created`,
          [handle, rewardId, input.scope.campaignId ?? null, input.scope.partnerId ?? null, input.event, input.type,
            input.amount === undefined ? null : moneyText(input.amount), input.percent === undefined ? null : moneyText(input.percent),
            input.currency ?? null, input.holdDays],
        );
        row = rows[0];
      } catch (err) {
        if ((err as { code?: string; constraint?: string }).constraint === 'reward_rules_scope') throw new ScopeTaken();
        throw err;
      }
      const { created, ...rule } = row;
      await this.deps.audit.record({
        handle, type: created ? 'reward.created' : 'reward.replaced', actor, campaignId: rule.campaignId, subjectId: rewardId,
        payload: present(rule),
      }, client);
      return { created, reward: present(rule) };
    });
  }

  async get(handle: string, rewardId: string) {
    const { rows } = await this.deps.pg.query(`select ${COLUMNS} from reward_rules where handle = $1 and reward_id = $2`, [handle, rewardId]);
    if (!rows[0]) throw notFound('Reward rule');
    return present(rows[0]);
  }

  async list(handle: string, q: { limit: number; cursor?: string }) {
    const after = REWARD_RULES_CURSOR.after(q.cursor, handle);
    const { rows } = await this.deps.pg.query(
      `select ${COLUMNS} from reward_rules where handle = $1 and ($2::text is null or reward_id > $2) order by reward_id limit $3`,
      [handle, after?.[0] ?? null, q.limit + 1],
    );
    const page = REWARD_RULES_CURSOR.page(rows as RewardRow[], q.limit, (r) => [r.rewardId], handle);
    return { data: page.data.map(present), nextCursor: page.nextCursor };
  }

  async remove(handle: string, rewardId: string, actor: string) {
    return withTransaction(this.deps.pg, async (client) => {
      const { rows } = await client.query(`delete from reward_rules where handle = $1 and reward_id = $2 returning ${COLUMNS}`, [handle, rewardId]);
      if (!rows[0]) throw notFound('Reward rule');
      const rule = present(rows[0]);
      await this.deps.audit.record({ handle, type: 'reward.deleted', actor, campaignId: rows[0].campaignId, subjectId: rewardId, payload: rule }, client);
      return rule;
    });
  }
}
