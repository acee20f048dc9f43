// V8's collector on demand, for the few places that know garbage is waiting and V8 does not: a server's start
// (start-garbage.ts) and an export's stream of socket buffers (analytics/export-garbage.ts). `gc` is reached through
// a new context with the flag set only around it, so the server's own global scope, plugins included, never gets a
// `gc()`.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type Gc = (options: { type: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => void;

let gc: Gc | undefined;

/** V8's `gc`, taken once (the process's own where it was started with --expose-gc, which stays as it was). */
export function v8Gc(): Gc {
  if (!gc) {
    const global = (globalThis as { gc?: Gc }).gc;
    if (typeof global === 'function') return (gc = global);
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
    setFlagsFromString('--no-expose-gc');
  }
  return gc;
}
