import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { guardAgainstSpin } from '../../core/infra/worker-spin-guard.ts';

/**
 * A stand-in for BullMQ's main loop as it was seen spinning: a fetch that fails at once with an
 * error BullMQ does not take for a connection error, retried without a delay while not paused.
 * It stops by itself after `maxFetches`, so that a test without the guard ends instead of hanging.
 */
class SpinningWorker extends EventEmitter {
  paused = false;
  closing: Promise<void> | undefined;
  fetches = 0;
  resumes = 0;
  private readonly maxFetches: number;
  constructor(maxFetches: number) {
    super();
    this.maxFetches = maxFetches;
  }
  isPaused() {
    return this.paused;
  }
  async pause() {
    this.paused = true;
  }
  resume() {
    this.resumes++;
    this.paused = false;
    void this.run();
  }
  async run() {
    while (!this.paused && !this.closing && this.fetches < this.maxFetches) {
      this.fetches++;
      try {
        await Promise.reject(new Error('read ECONNRESET'));
      } catch (err) {
        this.emit('error', err as Error);
      }
    }
  }
}

/** Resolves with how many fetches the worker had made when a 20 ms timer got to run. */
function fetchesWhenTimerRan(worker: SpinningWorker): Promise<number> {
  return new Promise((ok) => setTimeout(() => ok(worker.fetches), 20));
}

describe('worker spin guard: a BullMQ worker failing in a loop yields the event loop', () => {
  it('without the guard, the loop starves timers until it gives up (the failure the guard is for)', async () => {
    const worker = new SpinningWorker(200_000);
    worker.on('error', () => {});
    const timer = fetchesWhenTimerRan(worker);
    void worker.run();
    expect(await timer).to.equal(200_000); // the timer ran only once the spin had ended
  });

  it('pauses the worker after a burst of errors, lets timers run, resumes it later with a growing pause', async () => {
    const worker = new SpinningWorker(200_000);
    worker.on('error', () => {});
    const paused: number[] = [];
    const guard = guardAgainstSpin(worker, { burst: 20, pauseMs: 30, maxPauseMs: 60, onPause: (ms) => paused.push(ms) });
    const timer = fetchesWhenTimerRan(worker);
    void worker.run();
    expect(await timer).to.be.below(100);
    expect(worker.paused).to.equal(true);
    await new Promise((ok) => setTimeout(ok, 60));
    expect(worker.resumes).to.be.at.least(1); // tried again after its pause, and paused again
    await new Promise((ok) => setTimeout(ok, 150));
    expect(paused.slice(0, 3)).to.deep.equal([30, 60, 60]);
    expect(worker.fetches).to.be.below(1000);
    guard.stop();
    const resumes = worker.resumes;
    await new Promise((ok) => setTimeout(ok, 120));
    expect(worker.resumes).to.equal(resumes); // stopped: no resume after close
  });

  it('leaves a worker alone whose errors come now and then', async () => {
    const worker = new SpinningWorker(0);
    const guard = guardAgainstSpin(worker, { burst: 5, windowMs: 50 });
    for (let i = 0; i < 8; i++) {
      worker.emit('error', new Error('flaky'));
      await new Promise((ok) => setTimeout(ok, 15));
    }
    expect(guard.pauses).to.equal(0);
    expect(worker.paused).to.equal(false);
  });
});
