import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { LogThrottle } from '../../core/infra/log-throttle.ts';

describe('LogThrottle', () => {
  it('logs the first warning of a key, then at most one per interval with how many it left out', () => {
    const lines: Array<{ msg: string; plugin?: string; suppressed?: number }> = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    let now = 1_000;
    const throttle = new LogThrottle(pino({ level: 'warn' }, sink), 60_000, () => now);
    for (let i = 0; i < 5; i++) throttle.warn('failed:a', { plugin: 'a' }, 'failed');
    throttle.warn('failed:b', { plugin: 'b' }, 'failed');
    now += 59_999;
    throttle.warn('failed:a', { plugin: 'a' }, 'failed');
    now += 1;
    throttle.warn('failed:a', { plugin: 'a' }, 'failed');
    throttle.warn('failed:a', { plugin: 'a' }, 'failed');
    now += 60_000;
    throttle.warn('failed:a', { plugin: 'a' }, 'failed');
    expect(lines.map((l) => [l.plugin, l.suppressed])).to.deep.equal([
      ['a', undefined],
      ['b', undefined],
      ['a', 5],
      ['a', 1],
    ]);
  });
});
