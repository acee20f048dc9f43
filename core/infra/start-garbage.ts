// What a server's start leaves in V8's heap: migrations, plugin loading, schema compilation and, embedded, PGlite's
// initdb allocate far more than a serving process keeps, and V8 keeps the young generation as large as that start
// grew it (up to 2 × 64 MB semi-spaces on a 24 GiB machine: docs/performance.md) until traffic is low for long, which
// an idle server never tells it. One last-resort collection once serving gives it all back; traffic regrows the
// young generation to what it needs.
import { getHeapSpaceStatistics } from 'node:v8';
import { v8Gc } from './gc.ts';

const newSpaceMb = () => Math.round((getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / 2 ** 20);
const rssMb = () => Math.round(process.memoryUsage.rss() / 2 ** 20);

/**
 * Collects the start's garbage and shrinks the heap (V8's `last-resort` collection: full collections, then the young
 * generation and free pages handed back). Returns what it took and gave back.
 */
export function releaseStartGarbage() {
  const before = { rssMb: rssMb(), newSpaceMb: newSpaceMb() };
  const started = performance.now();
  v8Gc()({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return { ms: Math.round(performance.now() - started), before, after: { rssMb: rssMb(), newSpaceMb: newSpaceMb() } };
}
