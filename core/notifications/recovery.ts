// The recovery sweep: deliveries are rows first and queue entries second, so whatever a crash, a
// lost Redis job or a failed enqueue dropped is found here and scheduled again.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { openDeliveries, type Due } from './delivery-store.ts';

const PAGE = 1000;

/** Schedules every open delivery (at start: the previous process may have died at any point). */
export async function recoverAll(pg: Pool, schedule: (due: Due[]) => Promise<void>): Promise<number> {
  let after: string | null = null;
  let total = 0;
  for (;;) {
    const page = await openDeliveries(pg, 'infinity', after, PAGE);
    if (page.length) await schedule(page);
    total += page.length;
    if (page.length < PAGE) return total;
    after = page[page.length - 1].deliveryId;
  }
}

/**
 * Every `everyMs`, schedules open deliveries overdue by more than `graceMs`: with a healthy queue
 * there are none; after a lost job or a dead process's expired lease there are.
 */
export function startSweeper(pg: Pool, log: Logger, schedule: (due: Due[]) => Promise<void>, everyMs: number, graceMs: number): () => Promise<void> {
  let running: Promise<void> | null = null;
  const sweep = async () => {
    try {
      const overdue = await openDeliveries(pg, new Date(Date.now() - graceMs), null, PAGE);
      if (overdue.length) {
        log.debug({ count: overdue.length }, 'rescheduling overdue webhook deliveries');
        await schedule(overdue);
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'webhook recovery sweep failed');
    }
  };
  const timer = setInterval(() => {
    running ??= sweep().finally(() => (running = null));
  }, everyMs);
  timer.unref();
  // Stopping waits for a sweep in progress, so nothing touches the pool after the module stopped.
  return async () => {
    clearInterval(timer);
    await running;
  };
}
