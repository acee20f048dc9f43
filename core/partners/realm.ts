import type { Pool } from 'pg';
import type { Numeric } from '../db/numeric.ts';
import type { CampaignService, CampaignStatus } from '../campaigns/index.ts';
import { forbidden, notFound } from '../http/errors.ts';
import type { Principal } from '../http/route.ts';
import type { PartnerService } from './service.ts';

/** pgRead (DATABASE_READ_URL when set) for balances; pg for the campaign check, an access decision. */
interface RealmDeps { principal: Principal; partners: PartnerService; campaigns: CampaignService; pg: Pool; pgRead: Pool }

// Balances from the ledger, by currency: adjustments follow their commission's status, clawbacks are
// approved (negative) until paid. Rejected and reversed rows owe nothing.
const BALANCES = `
select currency,
       coalesce(sum(amount) filter (where status = 'pending'), 0) as pending,
       coalesce(sum(amount) filter (where status = 'approved'), 0) as approved,
       coalesce(sum(amount) filter (where status = 'paid'), 0) as paid
  from commissions where handle = $1 and partner_id = $2 and status in ('pending', 'approved', 'paid')
 group by currency order by currency`;

/**
 * What a partner token sees of its handle: its own profile and campaigns. Every read is keyed by
 * the token's partner, never by anything the request names.
 */
export class PartnerRealm {
  private readonly deps: RealmDeps;

  constructor(deps: RealmDeps) {
    this.deps = deps;
  }

  /** The calling partner (the router only lets partner tokens of this handle in). */
  get partnerId(): string {
    const { principal } = this.deps;
    if (principal.kind !== 'partner' || !principal.partnerId) throw forbidden('The partner realm takes only partner tokens (tenx_ptk_...).');
    return principal.partnerId;
  }

  async profile(handle: string) {
    const p = await this.deps.partners.find(handle, this.partnerId);
    const { rows } = await this.deps.pgRead.query<{ currency: string; pending: Numeric; approved: Numeric; paid: Numeric }>(BALANCES, [handle, p.partnerId]);
    return { partnerId: p.partnerId, name: p.name, status: p.status, balances: rows };
  }

  /**
   * What a payout run asks of the partner's balance (beyond API.md, whose `GET …/partner` fixes its fields): its
   * minimum payout, the same figure in every currency. An approved balance below it carries forward.
   */
  async payoutTerms(handle: string) {
    const p = await this.deps.partners.find(handle, this.partnerId);
    return { minimumPayout: Number(p.minimumPayout) };
  }

  /** The calling token (its id, name, scopes and expiry): what a portal may show and offer. */
  currentToken(handle: string) {
    return this.deps.partners.currentToken(handle, this.partnerId);
  }

  /** A `partnerId` the request names: the caller's own (its id either way), any other a 404 that says nothing of it. */
  ownPartnerId(named: string | undefined): string {
    const partnerId = this.partnerId;
    if (named !== undefined && named !== partnerId) throw notFound('Partner');
    return partnerId;
  }

  /**
   * A realm list's filters, scoped to the calling partner: `partnerId` may name only itself, and a
   * `campaignId` only a campaign it holds or held (its past rows stay its own after a handover); any
   * other is a 404 that says nothing of it.
   */
  async ownFilters<T extends { partnerId?: string; campaignId?: string }>(handle: string, q: T): Promise<T & { partnerId: string }> {
    const partnerId = this.ownPartnerId(q.partnerId);
    if (q.campaignId !== undefined) {
      const { rowCount } = await this.deps.pg.query(
        `select 1 from campaigns where handle = $1 and campaign_id = $2 and partner_id = $3
         union all
         select 1 from campaign_partner_history where handle = $1 and campaign_id = $2 and partner_id = $3 limit 1`,
        [handle, q.campaignId, partnerId],
      );
      if (!rowCount) throw notFound('Campaign');
    }
    return { ...q, partnerId };
  }

  async campaigns(handle: string, q: { status?: CampaignStatus; limit: number; cursor?: string }) {
    const page = await this.deps.campaigns.list(handle, { ...q, partnerId: this.partnerId });
    return {
      data: page.data.map((c) => ({ campaignId: c.campaignId, title: c.primaryLink.title, status: c.status, shortUrl: c.primaryLink.shortUrl })),
      nextCursor: page.nextCursor,
    };
  }
}
