import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { CreatedConversion } from './claim-batcher.ts';
import type { ConversionsDb } from './db.ts';
import { RECORD_REPEATS } from './repeat-sql.ts';
import { GroupCommit } from '../db/group-commit.ts';
import { onGenericPlan, type BatchTarget, type PreparedStatement } from '../db/one-round-trip.ts';
import { boolArray, ordinals, plainArray, textArray } from '../db/pg-array.ts';

/** A submission of a key that already has a conversion: what RECORD_REPEATS compares and records for it. */
export interface Repeat {
  handle: string;
  key: string;
  /** The hashes this submission's body may have (core/conversions/body-hash.ts): its own, and with no metadata that of `{}`. */
  hashes: [string] | [string, string];
  /** Its facts as JSON: clickId, eventType, value, currency, metadata, authenticated. */
  submitted: string;
  auditId: string;
  outboxId: string;
  actor: string;
  authenticated: boolean;
  /** A subscription of the handle wants `conversion.deduped`: write its outbox event. */
  announce: boolean;
  /** Only an original of the submission's own click counts. */
  ownClickOnly: boolean;
}

export type RepeatedConversion = CreatedConversion & { mismatch: boolean };

const MAX_BATCH = 200;

/**
 * PostgreSQL's path: RECORD_REPEATS prepared once per connection and run on its generic plan (FORCE_GENERIC_PLAN). Left to
 * choose, the plan cache kept planning every batch of a few repeats: pg_stat_statements over a conversions bench counted
 * 3,098 plans in 3,903 executions, 0.51 ms of planning a batch (~65 µs a repeat) against 0.31 ms of execution.
 */
const REPEATS_PREPARED: PreparedStatement = { name: 'tenx_conversions_repeats', text: RECORD_REPEATS };

/**
 * Group commit of repeats (GroupCommit, one statement in flight): a merchant's retries, or a burst of them, cost one
 * commit a batch rather than one each. Null: no original (the key was purged meanwhile, or it is another click's).
 * The one thing a batch can wait on is a squatted key's pending commission rows (the hold for review), which only the
 * ledger's own short transactions lock (a reversal, a manual move, an approval); the repeats batched with it wait that
 * long too, where each waited alone before (a review).
 */
export class RepeatBatcher {
  private readonly batches: GroupCommit<Repeat, RepeatedConversion | null>;
  private readonly target: BatchTarget;

  /** `pool`: PostgreSQL's (not embedded PGlite, whose statements this module runs one at a time through `db`). */
  constructor(deps: { db: ConversionsDb; pool?: Pick<Pool, 'connect'>; log: Logger }) {
    this.target = { db: deps.db, pool: deps.pool };
    this.batches = new GroupCommit({
      execute: (repeats) => this.execute(repeats), log: deps.log, maxInFlight: 1, maxBatch: MAX_BATCH,
      failed: 'conversion repeat batch failed; retrying its repeats one by one',
    });
  }

  find(repeat: Repeat): Promise<RepeatedConversion | null> {
    return this.batches.submit(repeat);
  }

  private async execute(repeats: Repeat[]): Promise<(RepeatedConversion | null)[]> {
    const values = [
      ordinals(repeats), textArray(repeats, (r) => r.handle), textArray(repeats, (r) => r.key),
      plainArray(repeats, (r) => r.hashes[0]), plainArray(repeats, (r) => r.hashes[1] ?? null), textArray(repeats, (r) => r.submitted),
      plainArray(repeats, (r) => r.auditId), plainArray(repeats, (r) => r.outboxId), textArray(repeats, (r) => r.actor),
      boolArray(repeats, (r) => r.authenticated), boolArray(repeats, (r) => r.announce), boolArray(repeats, (r) => r.ownClickOnly),
    ];
    type Row = RepeatedConversion & { ord: number };
    const { rows } = await onGenericPlan<Row>(this.target, REPEATS_PREPARED, values);
    const found: (RepeatedConversion | null)[] = new Array(repeats.length).fill(null);
    for (const r of rows) found[r.ord] = r;
    return found;
  }
}
