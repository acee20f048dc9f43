// Where a link's rule matching and ctx signing run (REDIRECT_OFFLOAD): inline, or a piscina pool.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Config } from '../../config/index.ts';
import type { ClickFacts } from '../plugins/index.ts';
import type { CtxClaims } from './ctx-token.ts';
import type { Located } from './locate.ts';

/**
 * `auto` sends a link to the pool once its sampled inline rule matching reaches this (median µs).
 * Measured here (scripts/bench/offload-cost.ts, busy 2-core box): a pool round trip costs the main
 * thread 86–140 µs per task (40–60 µs on a quiet box; docs/architecture.md "The hot path") and caps at ~3–6k tasks/s, while
 * matching is ≤ 1 µs for any built-in rule set (Set lookups: 50 rules × 250 countries, ruleCost
 * 20050, match as fast as 2 rules) and signing ~8 µs. ruleCost counts entries, not match time, so
 * only slow plugin conditions can ever pay for the trip; 150 µs leaves a margin over its cost.
 */
export const AUTO_WORKERS_MIN_MATCH_US = 150;

export interface OffloadWorkerData {
  ctxSecrets: string[];
  plugins: string[];
}

export interface OffloadTask {
  /** `{handle}/{slug}@{updatedAt}`: the worker's key for its compiled copy of the rules. */
  version: string;
  goalType: string;
  rulesJson: string;
  fallbackUrl: string;
  ctxParam: string;
  facts: ClickFacts;
  claims: CtxClaims;
}

export interface OffloadPool {
  run(task: OffloadTask): Promise<Located>;
  close(): Promise<void>;
}

// Node loads the .ts worker itself (type stripping), in the thread as in the main process.
const WORKER_FILE = fileURLToPath(new URL('./offload-worker.ts', import.meta.url));

export function createOffloadPool(config: Config): OffloadPool {
  const pool = new Piscina({
    filename: WORKER_FILE,
    minThreads: config.workerThreads,
    maxThreads: config.workerThreads,
    idleTimeout: 60_000,
    // A saturated pool must not queue latency without bound: past this, run() rejects and the
    // redirect is answered inline (counted as mode="inline_fallback").
    maxQueue: 1024,
    workerData: { ctxSecrets: config.ctxSecrets, plugins: config.plugins } satisfies OffloadWorkerData,
  });
  return {
    run: (task) => pool.run(task) as Promise<Located>,
    close: () => pool.destroy(),
  };
}
