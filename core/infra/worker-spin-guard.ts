// A BullMQ worker retries a failed job fetch at once, without a delay, when the error is not one
// it knows as a connection error (only ECONNREFUSED and "Connection is closed."). node-redis
// answers a dead socket with others ("read ECONNRESET", seen in a test that kills Redis): the
// fetch then fails on the microtask queue forever, starving the event loop (no timer, no request,
// no shutdown). This guard notices a burst of errors and pauses the worker for a while instead.

/** What the guard needs of a BullMQ Worker (the real one, or a test double). */
export interface PausableWorker {
  on(event: 'error', listener: (err: Error) => void): unknown;
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): unknown;
  isPaused(): boolean;
  readonly closing?: unknown;
}

export interface SpinGuardOptions {
  /** Errors within `windowMs` that count as a spin (default 20 in 1 s). */
  burst?: number;
  windowMs?: number;
  /** First pause; doubles on each spin that comes within a minute of the last, up to `maxPauseMs`. */
  pauseMs?: number;
  maxPauseMs?: number;
  /** Told when the guard pauses the worker (for the log). */
  onPause?(pauseMs: number, err: Error): void;
}

export interface SpinGuard {
  /** How many times the guard has paused the worker. */
  readonly pauses: number;
  /** Cancels a pending resume (call before closing the worker). */
  stop(): void;
}

export function guardAgainstSpin(worker: PausableWorker, opts: SpinGuardOptions = {}): SpinGuard {
  const burst = opts.burst ?? 20;
  const windowMs = opts.windowMs ?? 1000;
  const firstPause = opts.pauseMs ?? 250;
  const maxPause = opts.maxPauseMs ?? 5000;
  let windowStart = 0;
  let errors = 0;
  let lastSpin = 0;
  let pauseMs = firstPause;
  let timer: NodeJS.Timeout | null = null;
  /** Between a spin and the resume: the errors of this burst must not start another pause. */
  let held = false;
  let stopped = false;
  const state = {
    pauses: 0,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
  worker.on('error', (err) => {
    const now = Date.now();
    if (now - windowStart > windowMs) {
      windowStart = now;
      errors = 0;
    }
    if (++errors < burst || held || stopped || worker.isPaused() || worker.closing) return;
    pauseMs = now - lastSpin > 60_000 ? firstPause : Math.min(pauseMs * 2, maxPause);
    lastSpin = now;
    state.pauses++;
    opts.onPause?.(pauseMs, err);
    const wait = pauseMs;
    held = true;
    void worker.pause(true).then(() => {
      if (stopped) return;
      timer = setTimeout(() => {
        timer = null;
        held = false;
        errors = 0;
        if (!stopped && !worker.closing) void worker.resume();
      }, wait);
      timer.unref();
    });
  });
  return state;
}
