import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const script = fileURLToPath(new URL('../fixtures/tick-shape-ics.mjs', import.meta.url));

/** V8's view after a GC with no tick queued: how many of process.nextTick's inline caches are in each state, and the protectors invalidated. */
function afterGc(mode: 'keep' | 'plain'): { states: Record<string, number>; protectors: string[] } {
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--trace-protector-invalidation', script, mode], { encoding: 'utf8' });
  expect(run.status, run.stderr).to.equal(0);
  const out = run.stdout + run.stderr;
  const states: Record<string, number> = {};
  for (const [state] of out.matchAll(/\b(?:MONO|POLY|MEGA)MORPHIC\b/g)) states[state] = (states[state] ?? 0) + 1;
  return { states, protectors: [...out.matchAll(/Invalidating protector cell (\w+)/g)].map((m) => m[1]) };
}

// core/infra/tick-shape.ts: a major GC while the tick queue is empty turned nextTick's object literal megamorphic for good.
describe('keepTickShape: process.nextTick stays on V8 fast path through a GC with no tick queued', () => {
  it('without it, the literal goes megamorphic (the V8 behaviour it works around; if this fails, Node fixed it)', () => {
    expect(afterGc('plain').states.MEGAMORPHIC).to.be.greaterThan(0);
  });

  it('with it, every inline cache of nextTick stays monomorphic, and V8 keeps inlining promises (no promise hook was installed)', () => {
    const { states, protectors } = afterGc('keep');
    expect(states.MONOMORPHIC).to.be.greaterThan(4);
    expect(states).to.not.have.property('MEGAMORPHIC');
    expect(states).to.not.have.property('POLYMORPHIC');
    expect(protectors).to.not.include('PromiseHook');
  });
});
