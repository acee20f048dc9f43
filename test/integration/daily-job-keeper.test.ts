import { expect } from 'chai';
import pino from 'pino';
import { DailyJob } from '../../core/infra/daily-job.ts';
import { workerConnection, type Redis } from '../../core/infra/redis.ts';
import { redisClientPair } from '../support/redis-clients.ts';

// A Redis restarted without persistence (this machine's keeps nothing on disk) or flushed loses BullMQ's job
// schedulers. A black-box pass saw automatic approval stop for good until the tenx process restarted.
describe('a scheduled job whose schedule Redis lost', function () {
  this.timeout(20_000);
  const redis = redisClientPair('daily-job');
  const log = pino({ level: 'silent' });
  const jobs: DailyJob[] = [];
  const workers: Redis[] = [];
  afterEach(async () => {
    await Promise.all(jobs.splice(0).map((j) => j.stop()));
    await Promise.all(workers.splice(0).map((w) => w.quit().catch(() => {})));
  });

  async function started(name: string, keepEveryMs: number) {
    const runs: number[] = [];
    const worker = workerConnection(redis.a);
    workers.push(worker);
    const job = new DailyJob({
      queue: name, schedulerId: `${name}-every`, run: async () => runs.push(Date.now()),
      redis: redis.a, workerRedis: worker, redisPrefix: redis.prefix, log, everyMs: 500, firstRunMs: 100, keepEveryMs,
    });
    jobs.push(job);
    await job.start();
    return { job, runs };
  }

  const waitFor = async (what: string, ok: () => boolean, ms: number) => {
    for (const until = Date.now() + ms; Date.now() < until; ) {
      if (ok()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  /** What a Redis restart without persistence leaves of the job: nothing (its queue's keys deleted). */
  async function forgetQueue(name: string) {
    const keys = await redis.b.keys(`${redis.prefix}:bull:${name}:*`);
    expect(keys.length, 'keys of the queue before').to.be.above(0);
    await redis.b.del(keys);
  }

  it('is scheduled again by the process that checks, and runs again', async () => {
    const { job, runs } = await started('kept', 300);
    await waitFor('a first run', () => runs.length >= 1, 5000);
    await forgetQueue('kept');
    expect(await job.jobQueue!.getJobScheduler('kept-every')).to.equal(undefined);
    const before = runs.length;
    await waitFor('a run after the schedule was lost', () => runs.length > before + 1, 8000);
    expect(await job.jobQueue!.getJobScheduler('kept-every')).to.include({ every: 500 });
  });

  it('runs again when only its next run was lost (the scheduler left)', async () => {
    const { job, runs } = await started('next-lost', 300);
    await waitFor('a first run', () => runs.length >= 1, 5000);
    const scheduler = await job.jobQueue!.getJobScheduler('next-lost-every');
    const next = await job.jobQueue!.getJob(`repeat:next-lost-every:${scheduler!.next}`);
    expect(next, 'the next run, as the scheduler names it').to.not.equal(undefined);
    // As a partial loss leaves it (BullMQ itself refuses to remove a scheduler's job): its hash and its place in the delayed set gone.
    const key = `${redis.prefix}:bull:next-lost`;
    await redis.b.del(`${key}:${next!.id}`);
    await redis.b.zRem(`${key}:delayed`, next!.id!);
    expect(await job.jobQueue!.getJob(next!.id!)).to.equal(undefined);
    expect(await job.jobQueue!.getJobScheduler('next-lost-every')).to.not.equal(undefined);
    const before = runs.length;
    await waitFor('a run after the next one was lost', () => runs.length > before + 1, 8000);
  });

  it('never runs again without the check (what it did before)', async () => {
    const { job, runs } = await started('unkept', 3_600_000);
    await waitFor('a first run', () => runs.length >= 1, 5000);
    await forgetQueue('unkept');
    const after = runs.length;
    await new Promise((r) => setTimeout(r, 2500));
    // A run already fetched by the worker when the keys went may still finish: at most one more.
    expect(runs.length).to.be.at.most(after + 1);
    expect(await job.jobQueue!.getJobScheduler('unkept-every')).to.equal(undefined);
  });
});
