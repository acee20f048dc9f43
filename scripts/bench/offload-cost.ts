// Measures what REDIRECT_OFFLOAD trades: inline rule matching + ctx signing per click, against a
// piscina round trip (main-thread CPU and latency). `auto`'s threshold in core/redirect/offload.ts
// comes from these figures. Run: node scripts/bench/offload-cost.ts
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../config/index.ts';
import type { ClickFacts } from '../../core/plugins/sdk.ts';
import { createCtxCodec } from '../../core/redirect/ctx-token.ts';
import { locate } from '../../core/redirect/locate.ts';
import { createOffloadPool } from '../../core/redirect/offload.ts';
import { chooseDestination, compileRules, ruleCost, type RoutingRule } from '../../core/redirect/routing.ts';

const config = loadConfig({ CTX_SECRETS: 'offload-cost-secret-0123456789abcdefghijklm' });
const codec = createCtxCodec(config.ctxSecrets);
// No rule matches this click: every rule is evaluated (the worst case for matching).
const facts: ClickFacts = {
  handle: 'acme', campaignId: 'partner-alpha', slug: 'deal-alpha', ip: '203.0.113.9', userAgent: 'Mozilla/5.0', headers: {},
  source: 'nowhere', referrerHost: null, country: 'ZZ', device: 'desktop', languages: ['xx', 'yy', 'zz'], query: {}, occurredAt: new Date(),
};
const claims = () => ({ clickId: '01a212e3-c251-70d0-9990-d0a605937310', handle: 'acme', campaignId: 'partner-alpha', issuedAt: new Date(), windowDays: 30 });
const letters = (i: number) => String.fromCharCode(65 + (i % 26)) + String.fromCharCode(65 + Math.floor(i / 26));

function ruleSet(rules: number, width: number): RoutingRule[] {
  return Array.from({ length: rules }, (_, i) => ({
    priority: i,
    destinationUrl: `https://merchant.example.com/p?r=${i}`,
    conditions: {
      sourceIn: Array.from({ length: Math.min(width, 50) }, (_, j) => `s${j}`),
      countryIn: Array.from({ length: Math.min(width, 250) }, (_, j) => letters(j)),
      languageIn: Array.from({ length: Math.min(width, 100) }, (_, j) => letters(j).toLowerCase()),
    },
  }));
}

const sets: Record<string, RoutingRule[]> = {
  'no rules': [], 'seed (2)': ruleSet(2, 3), '10 x 10': ruleSet(10, 10), '50 x 50': ruleSet(50, 50), '50 x max': ruleSet(50, 250),
};

console.log('inline, per click (no rule matches)');
for (const [name, rules] of Object.entries(sets)) {
  const compiled = compileRules(rules);
  const n = 100_000;
  for (let i = 0; i < 20_000; i++) locate(compiled, 'https://f.example.com/', facts, 'ctx', codec, claims());
  let t = performance.now();
  for (let i = 0; i < n; i++) chooseDestination(compiled, 'https://f.example.com/', facts);
  const match = ((performance.now() - t) * 1000) / n;
  t = performance.now();
  for (let i = 0; i < n; i++) locate(compiled, 'https://f.example.com/', facts, 'ctx', codec, claims());
  const total = ((performance.now() - t) * 1000) / n;
  console.log(`  ${name.padEnd(9)} ruleCost ${String(ruleCost(compiled)).padStart(5)}: match ${match.toFixed(2)} µs, match + sign ${total.toFixed(2)} µs`);
}

const pool = createOffloadPool(config);
console.log(`piscina (${config.workerThreads} threads), per task`);
for (const name of ['no rules', '50 x max']) {
  const rulesJson = JSON.stringify(sets[name]);
  const task = () => ({ version: name, goalType: 'AFFILIATE_CLICKOUT', rulesJson, fallbackUrl: 'https://f.example.com/', ctxParam: 'ctx', facts, claims: claims() });
  await Promise.all(Array.from({ length: 2000 }, () => pool.run(task())));
  for (const inFlight of [1, 50]) {
    const n = 20_000;
    const latencies: number[] = [];
    let started = 0;
    const elu = performance.eventLoopUtilization();
    const t = performance.now();
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (started++ < n) {
        const s = performance.now();
        await pool.run(task());
        latencies.push(performance.now() - s);
      }
    }));
    const wall = performance.now() - t;
    const busy = performance.eventLoopUtilization(elu).active;
    latencies.sort((a, b) => a - b);
    const p = (q: number) => (latencies[Math.floor(latencies.length * q)] * 1000).toFixed(0);
    console.log(`  ${name.padEnd(9)} ${String(inFlight).padStart(2)} in flight: ${Math.round((n / wall) * 1000)} tasks/s, main thread ${((busy * 1000) / n).toFixed(1)} µs/task, p50 ${p(0.5)} µs, p99 ${p(0.99)} µs`);
  }
}
await pool.close();
