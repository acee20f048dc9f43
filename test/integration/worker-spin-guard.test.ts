import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Queue, Worker, createNodeRedisClient } from 'bullmq';
import { createClient } from 'redis';
import { guardAgainstSpin } from '../../core/infra/worker-spin-guard.ts';
import { TEST_REDIS_URL } from '../support/database.ts';

describe('worker spin guard on a real BullMQ worker', () => {
  it('pauses the worker on a burst of errors and resumes it: a job added meanwhile is processed after the pause', async function () {
    this.timeout(20_000);
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    const prefix = `tenx-test-${randomUUID()}`;
    const queue = new Queue('spin', { connection: createNodeRedisClient(redis as never), prefix });
    const done: number[] = [];
    const worker = new Worker('spin', async () => void done.push(Date.now()), { connection: createNodeRedisClient(redis as never), prefix });
    worker.on('error', () => {});
    const guard = guardAgainstSpin(worker, { burst: 5, pauseMs: 700 });
    try {
      await worker.waitUntilReady();
      for (let i = 0; i < 5; i++) worker.emit('error', new Error('read ECONNRESET'));
      const pausedAt = Date.now();
      expect(guard.pauses).to.equal(1);
      expect(worker.isPaused()).to.equal(true);
      // A blocking fetch already in flight may still take a job (BullMQ's pause does not abort it), so the
      // guard is judged by what it controls: paused now, resumed after its pause, then processing again.
      await new Promise((ok) => setTimeout(ok, 300));
      expect(worker.isPaused(), 'still paused within its pause').to.equal(true);
      for (let i = 0; i < 50 && worker.isPaused(); i++) await new Promise((ok) => setTimeout(ok, 50));
      expect(worker.isPaused()).to.equal(false);
      expect(Date.now() - pausedAt).to.be.at.least(650); // not before the pause was over
      await queue.add('job', {});
      for (let i = 0; i < 100 && done.length === 0; i++) await new Promise((ok) => setTimeout(ok, 100));
      expect(done).to.have.length(1);
    } finally {
      guard.stop();
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await redis.quit();
    }
  });
});
