import type { CampaignService, CampaignStatus } from '../campaigns/index.ts';
import { forbidden } from '../http/errors.ts';
import type { Principal } from '../http/route.ts';
import type { PartnerService } from './service.ts';

/**
 * What a partner token sees of its handle: its own profile and campaigns. Every read is keyed by
 * the token's partner, never by anything the request names.
 */
export class PartnerRealm {
  private readonly deps: { principal: Principal; partners: PartnerService; campaigns: CampaignService };

  constructor(deps: { principal: Principal; partners: PartnerService; campaigns: CampaignService }) {
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
    // Balances by currency come with commissions; until then a partner has none.
    return { partnerId: p.partnerId, name: p.name, status: p.status, balances: [] as Array<{ currency: string; pending: number; approved: number; paid: number }> };
  }

  async campaigns(handle: string, q: { status?: CampaignStatus; limit: number; cursor?: string }) {
    const page = await this.deps.campaigns.list(handle, { ...q, partnerId: this.partnerId });
    return {
      data: page.data.map((c) => ({ campaignId: c.campaignId, title: c.primaryLink.title, status: c.status, shortUrl: c.primaryLink.shortUrl })),
      nextCursor: page.nextCursor,
    };
  }
}
