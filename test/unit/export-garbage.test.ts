import { expect } from 'chai';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GCProfiler } from 'node:v8';
import { ScavengeEvery } from '../../core/analytics/export-garbage.ts';

/**
 * Collections of the young generation while `run` runs, as V8's GC profiler lists them: scavenges, and full collections,
 * which V8 runs instead of a scavenge asked for when the old generation is in the middle of one (a whole-suite run).
 */
async function scavengesDuring(run: () => Promise<void>): Promise<number> {
  const profiler = new GCProfiler();
  profiler.start();
  await run();
  return (profiler.stop()?.statistics ?? []).length;
}

describe("an export's garbage stage", () => {
  it('passes every byte through unchanged, and scavenges once per `every` bytes', async () => {
    const chunks = Array.from({ length: 48 }, (_, i) => Buffer.alloc(64 * 1024, i)); // 3 MiB
    const out: Buffer[] = [];
    const scavenges = await scavengesDuring(() =>
      pipeline(Readable.from(chunks), new ScavengeEvery(512 * 1024), async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) out.push(chunk);
      }),
    );
    expect(Buffer.concat(out).equals(Buffer.concat(chunks))).to.equal(true);
    // 3 MiB at one scavenge a 512 KiB: 6 of its own. 3 MiB of buffers alone would not fill a young generation of
    // megabytes of small objects, so the stage's own collections are what is counted here.
    expect(scavenges).to.be.at.least(6);
  });

  it('does not scavenge for less than `every` bytes', async () => {
    const scavenges = await scavengesDuring(() =>
      pipeline(Readable.from([Buffer.alloc(1000)]), new ScavengeEvery(2 ** 20), async (source: AsyncIterable<Buffer>) => {
        for await (const _ of source) void _;
      }),
    );
    expect(scavenges).to.be.at.most(1);
  });
});
