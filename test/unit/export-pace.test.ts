import { expect } from 'chai';
import { ExportPace, ExportStalled } from '../../core/analytics/export-pace.ts';

const outcome = (pace: ExportPace, ms: number) =>
  new Promise<string>((ok) => {
    pace.once('error', (err) => ok(err instanceof ExportStalled ? 'stalled' : `error ${err.message}`));
    pace.once('end', () => ok('ended'));
    setTimeout(() => ok('open'), ms);
  });

describe('export pace: a reader slower than the minimum is cut', () => {
  it('cuts a reader that stops after the last row was produced (the rows wait in the buffer)', async () => {
    const pace = new ExportPace({ windowMs: 50, minBytesPerS: 1000 });
    pace.end(Buffer.alloc(10_000)); // fits the buffer: every row is through, the reader takes none
    expect(await outcome(pace, 400)).to.equal('stalled');
  });

  it('lets a reader that keeps up finish, and one that reads after a pause within the window', async () => {
    const reading = new ExportPace({ windowMs: 50, minBytesPerS: 1000 });
    reading.resume();
    reading.end(Buffer.alloc(10_000));
    expect(await outcome(reading, 400)).to.equal('ended');
    const late = new ExportPace({ windowMs: 200, minBytesPerS: 1000 });
    late.end(Buffer.alloc(10_000));
    setTimeout(() => late.resume(), 20);
    expect(await outcome(late, 600)).to.equal('ended');
  });
});

describe('export pace: the rows are all produced, the reader still taking the rest', () => {
  it('keeps a reader that drains the last rows at its own pace (measured by what leaves the buffer)', async () => {
    for (const minBytesPerS of [0, 1000]) {
      const pace = new ExportPace({ windowMs: 100, minBytesPerS });
      pace.end(Buffer.alloc(32 * 1024)); // every row through; 32 KB wait for a reader taking 1 KB every 20 ms (50 KB/s)
      const reading = setInterval(() => pace.read(1024), 20);
      try {
        expect(await outcome(pace, 3000)).to.equal('ended');
      } finally {
        clearInterval(reading);
      }
    }
  });
});
