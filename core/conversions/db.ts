import type { Pool } from 'pg';

/** How this module reaches PostgreSQL: `query` only. */
export type ConversionsDb = Pick<Pool, 'query'>;

/**
 * The pool itself on PostgreSQL. On embedded PGlite, one statement at a time: its socket server
 * lets protocol messages of concurrent connections interleave while a statement does real I/O
 * (measured: bind errors and another statement's rows under 10 concurrent conversions), so this
 * module never has two statements in flight there.
 */
export function conversionsDb(pg: Pool, embedded: boolean): ConversionsDb {
  if (!embedded) return pg;
  let tail: Promise<unknown> = Promise.resolve();
  const query = (...args: unknown[]) => {
    const run = tail.then(() => (pg.query as (...a: unknown[]) => Promise<unknown>)(...args));
    tail = run.catch(() => undefined);
    return run;
  };
  return { query: query as Pool['query'] };
}
