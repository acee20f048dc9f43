import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isIPv4 } from 'node:net';
import { fileURLToPath } from 'node:url';
import { geoCountry, isUnlocated, UNLOCATED } from '../../core/redirect/geoip.ts';
import { runNode } from '../support/run.ts';

const DATA = join(dirname(createRequire(import.meta.url).resolve('geoip-lite/package.json')), 'data');
const GEOIP = fileURLToPath(new URL('../../core/redirect/geoip.ts', import.meta.url));

/** An address as a 16-byte big-endian number (IPv4 in its last 4 bytes, as the v4 table's rows compare). */
function bytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const [head, tail = ''] = ip.split('::');
  const groups = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** First and last address of a subnet, as bytes(). */
function range(subnet: string): [Buffer, Buffer] {
  const [net, prefix] = subnet.split('/');
  const lo = bytes(net);
  const hi = Buffer.from(lo);
  for (let bit = Number(prefix); bit < lo.length * 8; bit++) hi[bit >> 3] |= 0x80 >> (bit & 7);
  return [lo, hi];
}

/** Rows of a geoip-lite country table overlapping [lo, hi]: each row is start, end, then a 2-byte country. */
function rowsWithin(file: string, width: number, [lo, hi]: [Buffer, Buffer]): number {
  const table = readFileSync(join(DATA, file));
  const row = width * 2 + 2;
  let found = 0;
  for (let at = 0; at + row <= table.length; at += row) {
    const start = table.subarray(at, at + width);
    const end = table.subarray(at + width, at + 2 * width);
    if (Buffer.compare(start, hi) <= 0 && Buffer.compare(end, lo) >= 0) found++;
  }
  return found;
}

describe('geoip: the country of a click', () => {
  it('answers public addresses from the tables, and no country for loopback, private and reserved ones', () => {
    expect(geoCountry('8.8.8.8')).to.equal('US');
    expect(geoCountry('::ffff:8.8.8.8')).to.equal('US');
    expect(geoCountry('2001:4860:4860::8888')).to.equal('US');
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.1.1',
      '100.64.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
    ]) {
      expect(isUnlocated(ip), ip).to.equal(true);
      expect(geoCountry(ip), ip).to.equal(undefined);
    }
    for (const ip of ['8.8.8.8', '::ffff:8.8.8.8', '2001:4860:4860::8888', '1.1.1.1', 'not an address'])
      expect(isUnlocated(ip), ip).to.equal(false);
  });

  it('skips only ranges the shipped tables have no row in, so answering them without the tables changes no country', () => {
    for (const subnet of UNLOCATED) {
      const v4 = isIPv4(subnet.split('/')[0]);
      expect(rowsWithin(v4 ? 'geoip-country.dat' : 'geoip-country6.dat', v4 ? 4 : 16, range(subnet)), subnet).to.equal(0);
    }
  });

  it('does not load the tables (~14 MB) for clicks from loopback or private addresses, however often they click', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const { geoCountry } = await import(${JSON.stringify(GEOIP)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/geoip-lite/'));
      // Again and again: the second answer on comes from the memo of unlocated addresses.
      for (let i = 0; i < 3; i++) for (const ip of ['127.0.0.1', '::1', '192.168.1.20', '::ffff:10.0.0.7']) if (geoCountry(ip) !== undefined) throw new Error(ip);
      const before = loaded();
      geoCountry('8.8.8.8');
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const run = await runNode(['--input-type=module', '-e', script], process.env);
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({ before: false, after: true });
  });
});
