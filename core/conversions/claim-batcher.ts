import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { ConversionsDb } from './db.ts';
import { CLAIM_BATCH } from './record-sql.ts';
import { handoverLocksShared } from '../campaigns/index.ts';
import { GroupCommit } from '../db/group-commit.ts';
import { onGenericPlan, type PreparedStatement } from '../db/one-round-trip.ts';
import { boolArray, ordinals, plainArray, textArray } from '../db/pg-array.ts';

/** One first-submission attempt: everything CLAIM_BATCH inserts for it. */
export interface Claim {
  handle: string;
  key: string;
  conversionId: string;
  clickId: string;
  campaignId: string;
  eventType: string;
  value: number | null;
  currency: string | null;
  metadata: string | null;
  bodyHash: string;
  rollupCurrency: string;
  requireClick: boolean;
  auditId: string;
  outboxId: string;
  /** Posted with a merchant token (conversions.write) of the ctx's handle. */
  authenticated: boolean;
  /** May count as verified: authenticated, or the handle accepts ctx-only conversions. */
  countable: boolean;
  /** The audit event's actor: the merchant token's id, or `public`. */
  actor: string;
  /** A subscription of the handle wants `conversion.tested` / `commission.created`: write its outbox event. */
  announce: boolean;
  announceCommission: boolean;
}

export interface CreatedConversion {
  conversion_id: string;
  click_id: string;
  campaign_id: string;
  event_type: string;
  value: number | null;
  currency: string | null;
  authenticated: boolean;
  created_at: Date;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
}

/**
 * created: this claim made the conversion; taken: the key already had one; no_click: asked to wait for the
 * click row; over_cap: the click already backs MAX_CONVERSIONS_PER_CLICK conversions of this event type.
 */
export type ClaimOutcome = { kind: 'created'; row: CreatedConversion } | { kind: 'taken' } | { kind: 'no_click' } | { kind: 'over_cap' };

const MAX_BATCH = 200;

/**
 * PostgreSQL's path: the claim prepared once per connection, sent with its transaction's begin, handover locks and
 * commit as one message. With one claim batch in flight, each round trip added to a batch is time every conversion
 * waits (bench: ~25 % more conversions a second than begin + locks, claim and commit as three round trips).
 */
const CLAIM_PREPARED: PreparedStatement = { name: 'tenx_conversions_claim', text: CLAIM_BATCH };

interface ClaimBatcherDeps {
  db: ConversionsDb;
  /**
   * PostgreSQL's pool (not embedded PGlite, one process, whose statements this module runs one at a time): each batch
   * then runs in a transaction that first takes its campaigns' handover locks, shared (handoverLocksShared, as
   * click batches take them: campaigns/partner-history.ts). A handover holds its campaign's lock exclusively from before
   * it dates itself to its commit, so a batch that got the lock either began before the handover (which then dates
   * itself after the batch committed) or sees it committed; and the batch's conversions are dated by a time CLAIM_BATCH
   * reads after the lock, never by the transaction's start. Without it a conversion recorded while a handover was
   * committing kept the former partner (its snapshot) but a time after the handover: the ledger gave it to one partner
   * and every view by time (groupBy=partner, partner funnels) to the other.
   */
  pool?: Pick<Pool, 'connect'>;
  log: Logger;
  maxInFlight: number;
  retentionDays: number;
  /** MAX_CONVERSIONS_PER_CLICK: conversions one click may back per event type. */
  maxPerClick: number;
}

/**
 * Group commit of first submissions (GroupCommit): under load, the claims that arrive while a statement runs go
 * together in the next one. A claim whose key is already queued or in flight in this process waits for that one
 * and comes back `taken`: its caller then answers as a repeat.
 */
export class ClaimBatcher {
  private readonly inProcess = new Map<string, Promise<ClaimOutcome>>();
  private readonly batches: GroupCommit<Claim, ClaimOutcome>;
  private readonly deps: ClaimBatcherDeps;

  constructor(deps: ClaimBatcherDeps) {
    this.deps = deps;
    this.batches = new GroupCommit({
      execute: (claims) => this.execute(claims), log: deps.log, maxInFlight: deps.maxInFlight, maxBatch: MAX_BATCH,
      failed: 'conversion batch failed; retrying its claims one by one',
    });
  }

  async claim(claim: Claim): Promise<ClaimOutcome> {
    const id = `${claim.handle}\n${claim.key}`;
    // One claim of a key queued or in flight at a time. When the one waited for ends without the key (no_click,
    // over_cap, an error), every waiter resumes: each looks again, so the first queues its claim and the others
    // wait for that one. Resuming all at once put the key twice in one batch, and PostgreSQL refuses such a
    // statement (21000: ON CONFLICT DO UPDATE cannot affect a row twice), failing every claim batched with them.
    for (let earlier = this.inProcess.get(id); earlier; earlier = this.inProcess.get(id)) {
      const outcome = await earlier.catch(() => null);
      if (outcome?.kind === 'created' || outcome?.kind === 'taken') return { kind: 'taken' };
    }
    const promise = this.batches.submit(claim);
    this.inProcess.set(id, promise);
    const forget = () => {
      if (this.inProcess.get(id) === promise) this.inProcess.delete(id);
    };
    promise.then(forget, forget);
    return promise;
  }

  private async execute(claims: Claim[]): Promise<ClaimOutcome[]> {
    // Array literals built as the click flush builds them (core/db/pg-array.ts): pg's own escaping of JS arrays
    // is two regex replaces per element. Ids and numbers go unquoted; text (keys, metadata JSON) quoted, escaped.
    const text = (column: (c: Claim) => string | null) => textArray(claims, column);
    const plain = (column: (c: Claim) => string | null) => plainArray(claims, column);
    const bool = (column: (c: Claim) => boolean) => boolArray(claims, column);
    const values = [
      ordinals(claims), text((c) => c.handle), text((c) => c.key), plain((c) => c.conversionId),
      plain((c) => c.clickId), text((c) => c.campaignId), text((c) => c.eventType), plain((c) => (c.value === null ? null : String(c.value))),
      text((c) => c.currency), text((c) => c.metadata), text((c) => c.bodyHash), text((c) => c.rollupCurrency), bool((c) => c.requireClick),
      plain((c) => c.auditId), plain((c) => c.outboxId), bool((c) => c.authenticated), bool((c) => c.countable), text((c) => c.actor),
      this.deps.retentionDays, this.deps.maxPerClick, bool((c) => c.announce), bool((c) => c.announceCommission),
    ];
    type Row = CreatedConversion & { ord: number; click_found: boolean; allowed: boolean | null };
    const { rows } = await onGenericPlan<Row>(this.deps, CLAIM_PREPARED, values, [handoverLocksShared(values[1] as string, values[5] as string)]);
    const outcomes: ClaimOutcome[] = new Array(claims.length);
    for (const r of rows) {
      if (r.conversion_id) outcomes[r.ord] = { kind: 'created', row: r };
      else if (!r.click_found && claims[r.ord].requireClick) outcomes[r.ord] = { kind: 'no_click' };
      else if (r.allowed === false) outcomes[r.ord] = { kind: 'over_cap' };
      else outcomes[r.ord] = { kind: 'taken' };
    }
    return outcomes;
  }
}
