/**
 * The promise's outcome, or a rejection (a TimeoutError with `message`) once `ms` have passed, whichever comes first;
 * the timer is cleared either way, and a late settlement is ignored.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, message = `no answer within ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(message), { name: 'TimeoutError' })), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The promise's outcome, or a rejection with the signal's reason once it has aborted (and `graceMs` more have passed
 * without the promise settling), whichever comes first: for work that takes no signal of its own (a DNS lookup, a
 * plugin's send). The grace lets work the same stop cuts by itself settle with its own outcome (a send that already
 * had its answer, or timed out first). A late settlement, or failure, of the promise is ignored.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, graceMs = 0): Promise<T> {
  promise.catch(() => {}); // never an unhandled rejection, whichever side wins
  let timer: NodeJS.Timeout | undefined;
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      if (graceMs <= 0) return reject(signal.reason);
      timer = setTimeout(() => reject(signal.reason), graceMs);
      timer.unref();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  });
}
