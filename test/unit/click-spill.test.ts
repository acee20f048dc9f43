import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pino from 'pino';
import type { ClickRow } from '../../core/redirect/click-buffer.ts';
import { ClickSpill } from '../../core/redirect/click-spill.ts';

const log = pino({ level: 'silent' });
/** Segment files under the spill folder, whichever process folder they are in. */
const segments = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((n) => n.endsWith('.ndjson'));

const row = (i: number): ClickRow => ({
  clickId: `0190aaaa-0000-7000-8000-${String(i).padStart(12, '0')}`, handle: 'h', campaignId: 'c', occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
  country: 'DE', segment: 'desktop', device: 'desktop', source: 'direct', referrerHost: null, language: 'en', destinationUrl: 'https://m.example.com/',
  userAgent: 'UA ü', ipHash: null, isBot: false, botReason: null, sub1: null, sub2: null, sub3: null, sub4: null, sub5: null,
});
const LINE = Buffer.byteLength(`${JSON.stringify(row(0))}\n`);

/** Reads everything the spill holds, batch by batch, acknowledging each batch as a commit would. */
async function replay(spill: ClickSpill, max: number): Promise<ClickRow[]> {
  const out: ClickRow[] = [];
  for (let batch = await spill.read(max); batch; batch = await spill.read(max)) {
    expect(batch.rows.length).to.be.within(1, max);
    out.push(...batch.rows);
    await batch.done();
  }
  return out;
}

describe('ClickSpill: the click buffer\'s overflow file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tenx-spill-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives clicks back in the order they came, across segments, and deletes each segment once read', async () => {
    const spill = new ClickSpill({ dir, maxBytes: 1 << 20, log, segmentBytes: LINE * 7 });
    for (let i = 0; i < 50; i++) {
      expect(spill.append(row(i))).to.equal(true);
      if (i % 10 === 9) await spill.settled(); // one group write each (a segment ends between writes)
    }
    expect(spill.active).to.equal(true);
    await spill.close();
    expect(segments(dir).length).to.be.at.least(2);
    const reopened = new ClickSpill({ dir, maxBytes: 1 << 20, log, segmentBytes: LINE * 7 });
    const rows = await replay(reopened, 8);
    expect(rows.map((r) => r.clickId)).to.deep.equal(Array.from({ length: 50 }, (_, i) => row(i).clickId));
    expect(rows[3]).to.deep.equal(row(3)); // dates come back as dates, text as it was
    expect(reopened.active).to.equal(false);
    expect(reopened.bytes).to.equal(0);
    expect(segments(dir)).to.deep.equal([]);
  });

  it('does not move past a batch that was read but not committed', async () => {
    const spill = new ClickSpill({ dir, maxBytes: 1 << 20, log });
    for (let i = 0; i < 5; i++) spill.append(row(i));
    await spill.settled();
    const first = await spill.read(3);
    const again = await spill.read(3); // the write of `first` failed: the same clicks are offered again
    expect(again!.rows.map((r) => r.clickId)).to.deep.equal(first!.rows.map((r) => r.clickId));
    await again!.done();
    expect((await spill.read(3))!.rows.map((r) => r.clickId)).to.deep.equal([row(3).clickId, row(4).clickId]);
    await spill.close();
  });

  it('refuses clicks beyond its disk budget (the caller counts them as dropped) and takes them again once drained', async () => {
    const spill = new ClickSpill({ dir, maxBytes: LINE * 3, log });
    expect([0, 1, 2, 3].map((i) => spill.append(row(i)))).to.deep.equal([true, true, true, false]);
    await spill.settled();
    expect(await replay(spill, 10)).to.have.length(3);
    expect(spill.append(row(4))).to.equal(true);
    await spill.close();
  });

  it('takes over the segments of a process that is gone, and skips the unfinished last line its crash left', async () => {
    const gone = join(dir, 'p2147483646'); // no such process
    mkdirSync(gone);
    writeFileSync(join(gone, '000000000000001-000000.ndjson'), `${JSON.stringify(row(1))}\n${JSON.stringify(row(2))}\n{"clickId":"0190`);
    const spill = new ClickSpill({ dir, maxBytes: 1 << 20, log });
    expect(spill.active).to.equal(true);
    expect((await replay(spill, 10)).map((r) => r.clickId)).to.deep.equal([row(1).clickId, row(2).clickId]);
    expect(segments(dir)).to.deep.equal([]);
    await spill.close();
    expect(readdirSync(dir)).to.deep.equal([]); // the gone process's folder and, once empty, its own
  });
});
