import { expect } from 'chai';
import type { Pool } from 'pg';
import pino from 'pino';
import type { Bus } from '../../core/infra/bus.ts';
import { SubscriptionInterest } from '../../core/notifications/interest.ts';

describe('webhook interest (which event types each handle wants written to the outbox)', () => {
  it('never lets a full reload that began before a change put back the interest from before it', async () => {
    // The webhooks table: acme subscribes to commission.created while a full reload (the minute's, or the bus resuming)
    // is in flight; the full reload read the table before that commit and answers after the change's own reload.
    let types: string[] = ['link.clicked'];
    const late: Array<() => void> = [];
    let holdFullReloads = false;
    const pool = {
      async query(text: string) {
        if (!text.includes('group by handle')) return { rows: types.map((t) => ({ t })) };
        const rows = [{ handle: 'acme', types: [...types] }];
        if (holdFullReloads) await new Promise<void>((ok) => late.push(ok));
        return { rows };
      },
    } as unknown as Pool;
    let resume = () => {};
    const bus = {
      subscribe: () => () => {},
      onResume: (handler: () => void) => {
        resume = handler;
        return () => {};
      },
      deliver: async () => {},
    } as unknown as Bus;
    const interest = new SubscriptionInterest({ pg: pool, bus, log: pino({ level: 'silent' }) });
    await interest.start();
    try {
      expect(interest.wants('acme', 'commission.created')).to.equal(false);
      holdFullReloads = true;
      resume(); // a full reload reads the table as it is now
      await new Promise((r) => setImmediate(r));
      types = ['link.clicked', 'commission.created'];
      await interest.changed('acme'); // committed, reloaded here and delivered to the others: answered
      expect(interest.wants('acme', 'commission.created')).to.equal(true);
      late.shift()!(); // the full reload answers with what it read before the change
      await new Promise((r) => setImmediate(r));
      expect(interest.wants('acme', 'commission.created'), 'a just-subscribed event type is still wanted').to.equal(true);
      // A full reload that began after the change still applies, removals included.
      holdFullReloads = false;
      types = [];
      resume();
      await new Promise((r) => setImmediate(r));
      expect(interest.wants('acme', 'link.clicked')).to.equal(false);
    } finally {
      interest.stop();
    }
  });
});
