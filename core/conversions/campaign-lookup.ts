import type { ConversionsDb } from './db.ts';

/** What a conversion needs to know about the campaign a ctx names. */
export interface ConversionCampaign {
  goalType: string;
  reportingCurrency: string;
}

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Campaign lookups for the conversion path, cached in process. Safe without invalidation: a
 * campaign's goal type cannot change, a campaign is never deleted (DELETE archives), and a handle's
 * reporting currency is fixed at creation. Misses are not cached, so a new campaign is seen at once.
 */
export class CampaignLookup {
  private readonly cache = new Map<string, { at: number; value: ConversionCampaign }>();

  private readonly db: ConversionsDb;
  constructor(db: ConversionsDb) {
    this.db = db;
  }

  async find(handle: string, campaignId: string): Promise<ConversionCampaign | null> {
    const key = `${handle}\n${campaignId}`;
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < TTL_MS) return hit.value;
    const { rows } = await this.db.query<{ goal_type: string; reporting_currency: string }>(
      `select c.goal_type, t.reporting_currency from campaigns c join tenants t on t.handle = c.handle
        where c.handle = $1 and c.campaign_id = $2`,
      [handle, campaignId],
    );
    if (!rows[0]) return null;
    const value = { goalType: rows[0].goal_type, reportingCurrency: rows[0].reporting_currency };
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(key, { at: now, value });
    return value;
  }
}
