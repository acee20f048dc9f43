// BullMQ runs tenx's queues only when Redis is configured (REDIS_URL). Without it (embedded mode,
// or one process on PostgreSQL alone) timers in the process do the same work, and BullMQ with its
// ~200 modules (cron-parser, luxon, msgpackr, its Lua scripts) is never loaded: embedded mode's
// RSS budget (`npm run bench -- embedded`, < 300 MB) has no room for code it never runs.
import type * as BullMQ from 'bullmq';

let loading: Promise<typeof BullMQ> | null = null;

/** The bullmq package, imported on first call (by a queue starting on Redis). */
export const loadBullmq = (): Promise<typeof BullMQ> => (loading ??= import('bullmq'));
