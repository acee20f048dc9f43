import type { Logger } from 'pino';
import type { CreatedConversion } from './claim-batcher.ts';
import type { ConversionsDb } from './db.ts';
import { statement } from './record-sql.ts';
import { RECORD_REPEATS } from './repeat-sql.ts';
import { GroupCommit } from '../db/group-commit.ts';
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
 * Group commit of repeats (GroupCommit, one statement in flight): a merchant's retries, or a burst of them, cost one
 * commit a batch rather than one each. Null: no original (the key was purged meanwhile, or it is another click's).
 * The one thing a batch can wait on is a squatted key's pending commission rows (the hold for review), which only the
 * ledger's own short transactions lock (a reversal, a manual move, an approval); the repeats batched with it wait that
 * long too, where each waited alone before (a review).
 */
export class RepeatBatcher {
  private readonly batches: GroupCommit<Repeat, RepeatedConversion | null>;
  private readonly db: ConversionsDb;

  constructor(deps: { db: ConversionsDb; log: Logger }) {
    this.db = deps.db;
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
    const { rows } = await this.db.query<RepeatedConversion & { ord: number }>(statement('conversions.repeats', RECORD_REPEATS, values));
    const found: (RepeatedConversion | null)[] = new Array(repeats.length).fill(null);
    for (const r of rows) found[r.ord] = r;
    return found;
  }
}
