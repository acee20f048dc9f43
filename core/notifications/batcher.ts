// Coalesces single-key calls made in the same tick into one call with every key: the delivery
// engine's claim and record statements then cost one round trip (and one commit) per batch.

/**
 * `run` gets the distinct keys of a batch and returns a result per key (missing keys get undefined).
 * `exclusive`: a key asked twice in one batch gets its result once, the other callers undefined
 * (a claimed delivery must have exactly one sender).
 */
export function createBatcher<K, R>(run: (keys: K[]) => Promise<Map<K, R>>, opts: { exclusive?: boolean; maxBatch?: number } = {}): (key: K) => Promise<R | undefined> {
  const maxBatch = opts.maxBatch ?? 200;
  let pending: Array<{ key: K; ok: (r: R | undefined) => void; fail: (e: unknown) => void }> = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    run([...new Set(batch.map((b) => b.key))]).then(
      (results) => {
        for (const b of batch) {
          b.ok(results.get(b.key));
          if (opts.exclusive) results.delete(b.key);
        }
      },
      (err) => { for (const b of batch) b.fail(err); },
    );
  };

  return (key) => new Promise<R | undefined>((ok, fail) => {
    pending.push({ key, ok, fail });
    if (pending.length >= maxBatch) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}
