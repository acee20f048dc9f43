import type { ConversionsDb } from './db.ts';

/** What a handle does with a conversion posted with a ctx only (HANDLE publicConversions: core/tenants/settings.ts). */
export type PublicConversions = 'accept' | 'flag' | 'refuse';

/** What a conversion needs to know about the campaign a ctx names and its handle. */
export interface ConversionCampaign {
  goalType: string;
  reportingCurrency: string;
  maxConversionValue: number | null;
  publicConversions: PublicConversions;
}

// Changes arrive through `forget` (the bus); the TTL only bounds a change whose bus message was lost.
const TTL_MS = 10_000;
const MAX_ENTRIES = 10_000;

/**
 * Campaign lookups for the conversion path, cached in process. A campaign's goal type and a
 * handle's reporting currency never change, but its maxConversionValue and the handle's
 * publicConversions do: the service calls `forget(handle)` on every campaign or handle change
 * published on the bus. Misses are not cached, so a new campaign is seen at once.
 */
export class CampaignLookup {
  private readonly cache = new Map<string, { at: number; value: ConversionCampaign }>();
  private readonly db: ConversionsDb;
  /** Counts forgets: a look-up that a change overtook answers its own conversion but is not remembered. */
  private forgets = 0;

  constructor(db: ConversionsDb) {
    this.db = db;
  }

  async find(handle: string, campaignId: string): Promise<ConversionCampaign | null> {
    const key = `${handle}\n${campaignId}`;
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < TTL_MS) return hit.value;
    const forgets = this.forgets;
    const { rows } = await this.db.query<{ goal_type: string; reporting_currency: string; max_conversion_value: number | null; public_conversions: PublicConversions }>(
      `select c.goal_type, c.max_conversion_value, t.reporting_currency, t.public_conversions
         from campaigns c join tenants t on t.handle = c.handle
        where c.handle = $1 and c.campaign_id = $2`,
      [handle, campaignId],
    );
    if (!rows[0]) return null;
    const r = rows[0];
    const value = { goalType: r.goal_type, reportingCurrency: r.reporting_currency, maxConversionValue: r.max_conversion_value, publicConversions: r.public_conversions };
    // Its row may predate a change announced (forget) while it was read: kept, it would outlast the change by the TTL.
    if (forgets !== this.forgets) return value;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(key, { at: now, value });
    return value;
  }

  /** Drops every cached campaign (changes may have gone unannounced: the bus was down). */
  forgetAll(): void {
    this.forgets++;
    this.cache.clear();
  }

  /** Drops every cached campaign of a handle (a campaign or the handle's settings changed). */
  forget(handle: string): void {
    this.forgets++;
    const prefix = `${handle}\n`;
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
  }
}
