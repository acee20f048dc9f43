import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const script = fileURLToPath(new URL('../fixtures/tick-shape-ics.mjs', import.meta.url));

/** How many of process.nextTick's inline caches V8 reports in each state, after a GC with no tick queued. */
function icStates(mode: 'keep' | 'plain'): Record<string, number> {
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', script, mode], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const states: Record<string, number> = {};
  for (const [state] of out.matchAll(/\b(?:MONO|POLY|MEGA)MORPHIC\b/g)) states[state] = (states[state] ?? 0) + 1;
  return states;
}

// core/infra/tick-shape.ts: a major GC while the tick queue is empty turned nextTick's object literal megamorphic for good.
describe('keepTickShape: process.nextTick stays on V8 fast path through a GC with no tick queued', () => {
  it('without it, the literal goes megamorphic (the V8 behaviour it works around; if this fails, Node fixed it)', () => {
    expect(icStates('plain').MEGAMORPHIC).to.be.greaterThan(0);
  });

  it('with it, every inline cache of nextTick stays monomorphic', () => {
    const states = icStates('keep');
    expect(states.MONOMORPHIC).to.be.greaterThan(4);
    expect(states).to.not.have.property('MEGAMORPHIC');
    expect(states).to.not.have.property('POLYMORPHIC');
  });
});
