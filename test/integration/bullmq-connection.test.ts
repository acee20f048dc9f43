import { expect } from 'chai';
import pino from 'pino';
import { DailyJob } from '../../core/infra/daily-job.ts';
import { workerConnection, type Redis } from '../../core/infra/redis.ts';
import { redisClientPair } from '../support/redis-clients.ts';
import { waitFor } from '../support/redirect.ts';

// Every BullMQ queue and worker of a server used to wrap the kernel's clients in an adapter of its own, and each
// adapter hashes and SCRIPT LOADs BullMQ's Lua scripts as it is made: six jobs sent ~5 MB to Redis at every start.
describe('BullMQ queues and workers share one adapter per Redis client', function () {
  this.timeout(20_000);
  const redis = redisClientPair('bullmq-connection');
  const log = pino({ level: 'silent' });
  let worker: Redis;
  const jobs: DailyJob[] = [];
  after(async () => {
    await Promise.all(jobs.map((j) => j.stop()));
    await worker?.quit().catch(() => {});
  });

  /** Counts the SCRIPT LOADs sent on a client (BullMQ's adapter calls the client's scriptLoad for each script). */
  function countScriptLoads(client: Redis): { n: number } {
    const count = { n: 0 };
    const original = client.scriptLoad.bind(client);
    // node-redis types its commands read-only; the instance's own property shadows the class's method.
    Object.defineProperty(client, 'scriptLoad', {
      value: (script: string) => {
        count.n++;
        return original(script);
      },
    });
    return count;
  }

  async function started(name: string) {
    const runs: number[] = [];
    const job = new DailyJob({
      queue: name, schedulerId: `${name}-every`, run: async () => runs.push(Date.now()),
      redis: redis.a, workerRedis: worker, redisPrefix: redis.prefix, log, everyMs: 300, firstRunMs: 100,
    });
    jobs.push(job);
    await job.start();
    await waitFor(`${name}'s first run`, async () => runs.length >= 1, 8000);
    return { job, runs };
  }

  it('loads the scripts once per client for every job on it, and a job stopping leaves the others running', async () => {
    worker = workerConnection(redis.a);
    const onQueue = countScriptLoads(redis.a);
    const onWorker = countScriptLoads(worker);
    const first = await started('shared-first');
    const loaded = { queue: onQueue.n, worker: onWorker.n };
    expect(loaded.queue, 'scripts loaded for the first queue').to.be.above(10);
    expect(loaded.worker, 'the same scripts for its worker').to.equal(loaded.queue);

    const second = await started('shared-second');
    expect({ queue: onQueue.n, worker: onWorker.n }, 'nothing loaded again for the second job').to.deep.equal(loaded);

    // The adapters are the kernel's clients as BullMQ sees them: closing one job's queue and worker leaves them open.
    await first.job.stop();
    const before = second.runs.length;
    await waitFor('a run of the second job after the first stopped', async () => second.runs.length >= before + 2, 8000);
    expect(redis.a.isReady && worker.isReady).to.equal(true);
  });
});
