import { expect } from 'chai';
import pino from 'pino';
import { GroupCommit } from '../../core/db/group-commit.ts';

const log = pino({ level: 'silent' });

/** An execute whose batches the test ends by hand, and a log of what happened in which order. */
function harness(maxInFlight = 1) {
  const events: string[] = [];
  const open: { items: number[]; finish(): void; fail(err: Error): void }[] = [];
  const batches = new GroupCommit<number, number>({
    log, failed: 'batch failed', maxInFlight, maxBatch: 3,
    execute: (items) => {
      events.push(`execute ${items.join(',')}`);
      return new Promise<number[]>((resolve, reject) => {
        open.push({ items, finish: () => resolve(items.map((i) => i * 10)), fail: reject });
      });
    },
  });
  const submit = (item: number) => batches.submit(item).then(
    (r) => { events.push(`answered ${item}=${r}`); },
    (err: Error) => { events.push(`refused ${item}: ${err.message}`); },
  );
  return { events, open, submit };
}

const settle = () => new Promise((r) => setImmediate(r)).then(() => new Promise((r) => setImmediate(r)));

describe('GroupCommit', () => {
  it('batches what arrives while a statement runs, at most maxBatch at a time, one statement in flight', async () => {
    const { events, open, submit } = harness();
    const answered = [1, 2, 3, 4, 5, 6].map(submit);
    expect(events).to.deep.equal(['execute 1']);
    open[0].finish();
    await settle();
    expect(events.slice(1)).to.deep.equal(['execute 2,3,4', 'answered 1=10']);
    open[1].finish();
    await settle();
    open[2].finish();
    await Promise.all(answered);
    expect(events.slice(3)).to.deep.equal(['execute 5,6', 'answered 2=20', 'answered 3=30', 'answered 4=40', 'answered 5=50', 'answered 6=60']);
  });

  it("sends the next batch before it answers the finished batch's callers (the database does not wait for their responses)", async () => {
    const { events, open, submit } = harness();
    const answered = [submit(1), submit(2), submit(3)];
    open[0].finish();
    // The callers' continuations are where a request writes its response: here, the next batch must already be out.
    await settle();
    expect(events).to.deep.equal(['execute 1', 'execute 2,3', 'answered 1=10']);
    open[1].finish();
    await Promise.all(answered);
    expect(events.slice(3)).to.deep.equal(['answered 2=20', 'answered 3=30']);
  });

  it('retries a failed batch one item at a time, so one bad item fails alone, before the next batch runs', async () => {
    const { events, open, submit } = harness();
    const answered = [1, 2, 3, 4].map(submit);
    open[0].finish();
    await settle();
    open[1].fail(new Error('unique violation'));
    await settle();
    answered.push(submit(5)); // waits for the retries: they hold the batch's slot
    expect(events.slice(-1)).to.deep.equal(['execute 2']);
    open[2].finish();
    await settle();
    open[3].fail(new Error('item 3 is bad'));
    await settle();
    expect(events.slice(-1)).to.deep.equal(['execute 4']);
    open[4].finish();
    await settle();
    open[5].finish();
    await Promise.all(answered);
    expect(events.slice(2)).to.deep.equal([
      'answered 1=10', 'execute 2', 'answered 2=20', 'execute 3', 'refused 3: item 3 is bad', 'execute 4', 'answered 4=40', 'execute 5', 'answered 5=50',
    ]);
  });

  it('keeps maxInFlight statements running', async () => {
    const { events, open, submit } = harness(2);
    const answered = [1, 2, 3].map(submit);
    expect(events).to.deep.equal(['execute 1', 'execute 2']);
    open[1].finish();
    await settle();
    expect(events.slice(2)).to.deep.equal(['execute 3', 'answered 2=20']);
    open[0].finish();
    open[2].finish();
    await Promise.all(answered);
  });
});
