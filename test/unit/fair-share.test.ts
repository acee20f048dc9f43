import { expect } from 'chai';
import { pino } from 'pino';
import { FairShare } from '../../core/notifications/fair-share.ts';
import { LocalScheduler } from '../../core/notifications/scheduler-local.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('webhook send shares per handle and per subscription', () => {
  it('lets a subscription use its share and its handle use the rest, never more', () => {
    const share = new FairShare({ perHandle: 3, perEndpoint: 2 });
    const slow = { handle: 'a', webhookId: 'slow' };
    const places = [share.enter(slow), share.enter(slow)];
    expect(places.every((p) => 'release' in p)).to.equal(true);
    expect(share.enter(slow)).to.deep.equal({ full: 'webhook:slow' });
    expect(share.enter({ handle: 'a', webhookId: 'other' })).to.have.property('release');
    expect(share.enter({ handle: 'a', webhookId: 'third' })).to.deep.equal({ full: 'handle:a' });
    expect(share.enter({ handle: 'b', webhookId: 'x' })).to.have.property('release');
  });

  it('asks a refused send to wait longer the more are waiting on the same key', () => {
    const share = new FairShare({ perHandle: 10, perEndpoint: 2 });
    const waits = Array.from({ length: 8 }, (_, i) => share.deferMs(`job${i}`, 'webhook:slow'));
    // Rounds of two: 1, 1, 2, 2, 3, 3, 4, 4 first guesses (100 ms ± 20 %).
    expect(waits[0]).to.be.within(80, 120);
    expect(waits[7]).to.be.within(320, 480);
    share.resumed('job0');
    share.resumed('job0'); // counted once
    expect(share.deferMs('late', 'webhook:slow')).to.be.within(320, 480);
  });
});

describe('in-process scheduler: fair between handles', () => {
  it('starts another handle\'s delivery at once while one handle\'s hang in every share it has', async () => {
    const started: Record<string, number> = {};
    const t0 = Date.now();
    const scheduler = new LocalScheduler(async (id) => {
      started[id] = Date.now() - t0;
      if (id.startsWith('slow')) await sleep(300);
      return { kind: 'succeeded' };
    }, 4, pino({ level: 'silent' }), new FairShare({ perHandle: 2, perEndpoint: 2 }));
    scheduler.start();
    const now = Date.now();
    await scheduler.enqueue(Array.from({ length: 6 }, (_, i) => ({ deliveryId: `slow${i}`, cycle: 0, dueAt: now, handle: 'a', webhookId: 'w-a' })));
    await scheduler.enqueue([{ deliveryId: 'fast', cycle: 0, dueAt: now + 10, handle: 'b', webhookId: 'w-b' }]);
    await sleep(260);
    expect(started.fast).to.be.below(250); // unfair, it would wait for a slow one to end (300 ms)
    expect(Object.keys(started).filter((id) => id.startsWith('slow'))).to.have.length(2);
    await scheduler.stop();
  });
});
