import { setTimeout as sleep } from 'node:timers/promises';
import { uuidv7 } from '../infra/uuid7.ts';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { Config } from '../../config/index.ts';
import { insufficientScope, invalidRequest, unauthorized, unavailable, unprocessable, type ErrorDetail } from '../http/errors.ts';
import { CAMPAIGNS_CHANGED } from '../campaigns/index.ts';
import type { Bus } from '../infra/bus.ts';
import { HANDLE_SETTINGS_CHANGED } from '../tenants/index.ts';
import type { OutboxService } from '../outbox/index.ts';
import type { GoalTypePlugin, PluginHost } from '../plugins/index.ts';
import type { CtxClaims, CtxCodec } from '../redirect/index.ts';
import { bodyHash } from './body-hash.ts';
import { CampaignLookup, type ConversionCampaign } from './campaign-lookup.ts';
import { ClaimBatcher, type Claim, type CreatedConversion } from './claim-batcher.ts';
import type { ConversionsDb } from './db.ts';
import { notThisMerchant, type Merchant } from './merchant-auth.ts';
import { RepeatBatcher } from './repeat-batcher.ts';
import { METADATA_MAX_BYTES } from './schemas.ts';
import { centsProblems, moneyText } from '../commissions/index.ts';

export interface ConversionInput {
  ctx: string;
  eventType: string;
  value?: number;
  currency?: string;
  idempotencyKey: string;
  metadata?: Record<string, unknown>;
}

export interface RecordedConversion {
  conversionId: string;
  deduped: boolean;
  mismatch?: true;
  /** null (with campaignId, value, currency and the sub-IDs) on a repeat that may not read the original: see withheld(). */
  clickId: string | null;
  campaignId: string | null;
  eventType: string;
  value: number | null;
  currency: string | null;
  /** Inherited from the click (null when the click had none, or its row was not found). */
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
  authenticated: boolean;
  createdAt: string;
}

type ConversionRow = CreatedConversion;

// A ctx this young may name a click still in a redirect process's buffer (flushed every
// CLICK_FLUSH_MS): wait a little for its row rather than record the conversion unattributed.
const FRESH_CTX_MS = 10_000;
const WAKE_EVERY_MS = 20;
const MAX_CLAIMS_IN_FLIGHT = 1;

const toResponse = (r: ConversionRow, deduped: boolean): RecordedConversion => ({
  conversionId: r.conversion_id, deduped, clickId: r.click_id, campaignId: r.campaign_id, eventType: r.event_type,
  value: r.value, currency: r.currency, authenticated: r.authenticated,
  sub1: r.sub1, sub2: r.sub2, sub3: r.sub3, sub4: r.sub4, sub5: r.sub5, createdAt: r.created_at.toISOString(),
});

/**
 * The original of a repeated key as a ctx-only submission of another click may see it: whose campaign, click, order
 * value and sub-IDs it has are withheld. The ctx proves its holder's own click, nothing more: with the key alone, any
 * visitor of any of the handle's links read other partners' conversions by their order ids (a review). Still 200,
 * deduped, its conversionId, and mismatch (its ctx differs from the original's).
 */
const withheld = (r: RecordedConversion): RecordedConversion => ({
  ...r, mismatch: true, clickId: null, campaignId: null, value: null, currency: null, sub1: null, sub2: null, sub3: null, sub4: null, sub5: null,
});

/** A campaign's maxConversionValue bounds the value, whatever its currency (tenx converts none). */
function checkValue(campaign: ConversionCampaign, value: number | null) {
  if (value !== null && campaign.maxConversionValue !== null && value > campaign.maxConversionValue) {
    throw unprocessable('value_out_of_range', `The value ${value} is above this campaign's maxConversionValue (${campaign.maxConversionValue}).`);
  }
}

function metadataProblems(metadata: unknown): ErrorDetail[] {
  if (!metadata || typeof metadata !== 'object' || Buffer.byteLength(JSON.stringify(metadata)) <= METADATA_MAX_BYTES) return [];
  return [{ pointer: '/body/metadata', message: `must be at most ${METADATA_MAX_BYTES} bytes as JSON` }];
}

function checkMetadata(metadata: Record<string, unknown>) {
  const problems = metadataProblems(metadata);
  if (problems.length) throw invalidRequest('The request body is invalid.', problems);
}

/** The checks record() makes beyond the schema, for a body that failed it (RouteDef.moreBodyProblems): value's cents, metadata's size. */
export function conversionBodyProblems(body: unknown): ErrorDetail[] {
  return [...centsProblems(body, 'value'), ...metadataProblems((body as { metadata?: unknown } | null)?.metadata)];
}

interface ConversionDeps {
  conversionsDb: ConversionsDb; log: Logger; ctxCodec: CtxCodec; pluginHost: PluginHost; outbox: OutboxService; config: Config;
  bus: Bus; pg: Pool; embedded: boolean;
}

/** Public conversions (POST /v2/public/conversions): exactly once per (handle, idempotencyKey), enforced by PostgreSQL. */
export class ConversionService {
  private readonly campaigns: CampaignLookup;
  private readonly batcher: ClaimBatcher;
  private readonly repeats: RepeatBatcher;
  private lastWake = 0;
  private wakeTimer: NodeJS.Timeout | null = null;

  private readonly deps: ConversionDeps;

  constructor(deps: ConversionDeps) {
    this.deps = deps;
    this.campaigns = new CampaignLookup(deps.conversionsDb);
    // A campaign's maxConversionValue or its handle's publicConversions changed, on this process or another.
    for (const channel of [CAMPAIGNS_CHANGED, HANDLE_SETTINGS_CHANGED]) {
      deps.bus.subscribe(channel, (m: { handle: string }) => this.campaigns.forget(m.handle));
    }
    deps.bus.onResume(() => this.campaigns.forgetAll()); // such changes made while the bus was down
    // Measured here (bench, one campaign): batches beat single-row statements by ~4x; since each
    // batch also upserts its campaign-hour rollup row, concurrent batches queue on that row lock,
    // and one statement in flight (growing batches) did best: 2,666-2,794/s vs 2,480-2,531 with
    // two, 2,333-2,451 with three, 2,111-2,130 with five.
    const maxInFlight = Math.min(MAX_CLAIMS_IN_FLIGHT, deps.config.databasePoolMax);
    this.batcher = new ClaimBatcher({
      db: deps.conversionsDb, pool: deps.embedded ? undefined : deps.pg, log: deps.log, maxInFlight, retentionDays: deps.config.idempotencyRetentionDays,
      maxPerClick: deps.config.maxConversionsPerClick,
    });
    this.repeats = new RepeatBatcher({ db: deps.conversionsDb, pool: deps.embedded ? undefined : deps.pg, log: deps.log });
  }

  /**
   * Records a conversion, or returns the original for a repeated key (201 vs 200 is `deduped`).
   * `merchant`: the merchant's server posted it with a token (null: the ctx alone).
   */
  async record(input: ConversionInput, merchant: Merchant | null = null): Promise<RecordedConversion> {
    // What JSON schema cannot say is still a 400, checked before any 422.
    const value = input.value ?? null;
    // At most 2 fraction digits, read from the number's own text: a tolerance in cents let 9e-9 through (stored as 0.00).
    if (value !== null && moneyText(value) === null) {
      throw invalidRequest('The request body is invalid.', [{ pointer: '/body/value', message: 'must have at most 2 fraction digits' }]);
    }
    // An empty object says what no metadata says: `{}` and none are the same body (a repeat with `{}` read as a mismatch).
    const metadata = input.metadata && Object.keys(input.metadata).length ? input.metadata : null;
    if (metadata !== null) checkMetadata(metadata);
    const { claims, expired } = this.verifyCtx(input.ctx);
    // Another handle's token is refused like an invalid one: nothing says whose the ctx is.
    if (merchant && merchant.handle !== null && merchant.handle !== claims.handle) throw notThisMerchant();
    if (merchant && !merchant.scopes.includes('conversions.write')) throw insufficientScope('conversions.write');
    const campaign = await this.campaigns.find(claims.handle, claims.campaignId);
    if (!campaign) throw unprocessable('invalid_ctx', 'The ctx token does not name a campaign of this handle.');
    if (!merchant && campaign.publicConversions === 'refuse') {
      throw unauthorized("This handle records conversions only from the merchant's server: send Authorization: Bearer <token with conversions.write>.");
    }
    const currency = input.currency ?? (value !== null ? campaign.reportingCurrency : null);
    const facts = { claims, eventType: input.eventType, value, currency, metadata };
    const hash = bodyHash(facts);
    const authenticated = merchant !== null;
    const actor = merchant?.actor ?? 'public';
    /** The original conversion of a key already recorded (200 deduped; mismatch and an audit event if the body differs), else null. */
    const repeat = async (ownClickOnly = false): Promise<RecordedConversion | null> => {
      const submitted = { clickId: claims.clickId, eventType: input.eventType, value, currency, metadata, authenticated };
      const announceRepeat = this.deps.outbox.wants(claims.handle, 'conversion.deduped');
      // Before `{}` was read as none, an original posted with `{}` kept a hash of its own: either one is this body.
      const row = await this.repeats.find({
        handle: claims.handle, key: input.idempotencyKey, hashes: metadata === null ? [hash, bodyHash({ ...facts, metadata: {} })] : [hash],
        submitted: JSON.stringify(submitted), auditId: uuidv7(), outboxId: uuidv7(), actor, authenticated, announce: announceRepeat, ownClickOnly,
      });
      if (!row) return null;
      if (announceRepeat) this.wakeOutbox();
      const original = { ...toResponse(row, true), ...(row.mismatch && { mismatch: true as const }) };
      return authenticated || row.click_id === claims.clickId ? original : withheld(original);
    };
    // A retry of a recorded conversion gets the original even when it would no longer be accepted
    // (its ctx has expired since, the campaign's cap or event types changed): its key was recorded. Without the
    // merchant's token, only a retry with the original's own click: another click's ctx gets the refusal it earns
    // (an expired one was a free, silent oracle of which order ids exist, and when: a review).
    try {
      if (expired) throw unprocessable('ctx_expired', "The ctx token is older than its campaign's attribution window.");
      await this.checkEventType(claims.handle, campaign.goalType, input.eventType);
      checkValue(campaign, value);
    } catch (refusal) {
      const original = await repeat(!authenticated);
      if (original) return original;
      throw refusal;
    }

    const claim: Claim = {
      handle: claims.handle, key: input.idempotencyKey, conversionId: uuidv7(), clickId: claims.clickId, campaignId: claims.campaignId,
      eventType: input.eventType, value, currency, metadata: metadata === null ? null : JSON.stringify(metadata), bodyHash: hash,
      rollupCurrency: currency ?? campaign.reportingCurrency, requireClick: false, auditId: uuidv7(), outboxId: uuidv7(),
      authenticated, countable: authenticated || campaign.publicConversions === 'accept', actor,
      announce: this.deps.outbox.wants(claims.handle, 'conversion.tested'), announceCommission: this.deps.outbox.wants(claims.handle, 'commission.created'),
    };
    const waitUntil = Date.now() - claims.issuedAt.getTime() < FRESH_CTX_MS ? Date.now() + this.clickWaitMs() : 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      let outcome;
      for (;;) {
        claim.requireClick = Date.now() < waitUntil;
        outcome = await this.batcher.claim(claim);
        if (outcome.kind !== 'no_click') break;
        await sleep(Math.max(10, this.deps.config.clickFlushMs));
      }
      if (outcome.kind === 'created') {
        // The dispatcher is nudged (a Redis PUBLISH with Redis) only when an event was written for it.
        if (claim.announce || claim.announceCommission) this.wakeOutbox();
        return toResponse(outcome.row, false);
      }
      const original = await repeat();
      if (original) return original;
      // Over the cap, and the key is not a repeat after all (a concurrent claim could have taken it).
      if (outcome.kind === 'over_cap') {
        throw unprocessable('too_many_conversions_for_click',
          `This click already backs ${this.deps.config.maxConversionsPerClick} "${input.eventType}" conversions (MAX_CONVERSIONS_PER_CLICK).`);
      }
      // The key was purged between the two statements (it had just expired): claim it again.
    }
    throw unavailable('The conversion could not be recorded; retry with the same idempotencyKey.');
  }

  /** The ctx's claims (422 when it is not ours), and whether its attribution window has passed. */
  private verifyCtx(token: string): { claims: CtxClaims; expired: boolean } {
    const v = this.deps.ctxCodec.verify(token);
    if (!v.ok) throw unprocessable('invalid_ctx', 'The ctx token is malformed or its signature does not match.');
    return v;
  }

  /**
   * The campaign's goal type decides the event types. A handle that disables a goal type stops new
   * campaigns of it, but its existing campaigns keep converting (refusing would lose commissions
   * already earned): the registered manifest answers then. Only an unregistered goal type has none.
   */
  private async checkEventType(handle: string, goalType: string, eventType: string) {
    const enabled = (await this.deps.pluginHost.forHandle(handle)).goalType(goalType)?.manifest;
    const registered = this.deps.pluginHost.get(goalType);
    const manifest = enabled ?? (registered?.kind === 'goal-type' ? (registered as GoalTypePlugin) : undefined);
    if (!manifest || !manifest.eventTypes.includes(eventType)) {
      const allowed = manifest ? manifest.eventTypes.join(', ') : 'none (the goal type is not loaded on this server)';
      // A refund posted as an event would count as a sale: say where it goes.
      const hint = /refund|chargeback|cancel|revers/i.test(eventType)
        ? ' A refund or chargeback is a reversal of the conversion: POST /v2/handles/{handle}/conversions/reversals.' : '';
      throw unprocessable('event_type_not_allowed', `Event type "${eventType}" is not allowed for ${goalType} campaigns; allowed: ${allowed}.${hint}`);
    }
  }

  /** How long a fresh ctx may wait for its click row: a few redirect flush intervals. */
  private clickWaitMs(): number {
    return Math.min(1000, Math.max(250, 5 * this.deps.config.clickFlushMs));
  }

  /** Nudges the outbox dispatcher after a commit, at most every 20 ms (a burst becomes one wake). */
  private wakeOutbox() {
    const now = Date.now();
    if (now - this.lastWake >= WAKE_EVERY_MS) {
      this.lastWake = now;
      this.deps.outbox.wake();
    } else if (!this.wakeTimer) {
      this.wakeTimer = setTimeout(() => {
        this.wakeTimer = null;
        this.lastWake = Date.now();
        this.deps.outbox.wake();
      }, WAKE_EVERY_MS - (now - this.lastWake));
      this.wakeTimer.unref();
    }
  }
}
