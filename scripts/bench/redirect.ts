import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../config/index.ts';
import { startKernel, type Kernel } from '../../core/kernel.ts';
import { createTestDatabase } from '../../test/support/database.ts';
import { registry } from '../../core/http/metrics.ts';
import { arg, autocannon, isMain, printTable, writeResult, type LoadResult } from './support.ts';

const ADMIN = 'bench-admin-token-0123456789abcdefghijklmnop';

async function startTenx(dbUrl: string, offload: string): Promise<Kernel> {
  return startKernel(loadConfig({
    PORT: '0', HOST: '127.0.0.1', DATABASE_URL: dbUrl, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `tenx-bench-${process.pid}`, ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn', REDIRECT_OFFLOAD: offload,
    CTX_SECRETS: 'bench-ctx-secret-0123456789abcdefghijklmn', SECRET_KEY: 'bench-secret', DATA_DIR: '/tmp/tenx-bench',
  }));
}

function startBare(): Promise<http.Server> {
  const server = http.createServer((_req, res) => {
    res.writeHead(302, { location: 'https://merchant.example.com/product?ref=alpha', 'cache-control': 'no-store' });
    res.end();
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function api(base: string, path: string, token: string, body: unknown) {
  const res = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * bare node:http vs tenx inline vs tenx workers, alternating rounds in one run (absolute figures
 * swing run to run on this box; only same-run ratios mean anything), plus clicks stored vs 302s sent.
 */
export async function benchRedirect(opts: { seconds?: number; connections?: number; rounds?: number; subIds?: boolean } = {}) {
  const seconds = opts.seconds ?? 8;
  const connections = opts.connections ?? 50;
  const rounds = opts.rounds ?? 2;
  const db = await createTestDatabase();
  const results: Record<string, LoadResult[]> = { bare: [], 'tenx inline': [], 'tenx workers': [] };
  let sent = 0;
  let stored = 0;
  const bare = await startBare();
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/acme/deal-alpha`;
  try {
    // One handle and campaign, created once through the API.
    let kernel = await startTenx(db.url, 'inline');
    const tenant = await api(kernel.url, '/v2/handles', ADMIN, { handle: 'bench', name: 'Bench' });
    await api(kernel.url, '/v2/handles/bench/campaigns', tenant.ownerToken, {
      campaignId: 'partner-alpha', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE',
      primaryLink: { slug: 'deal-alpha', destinationUrl: 'https://merchant.example.com/product?ref=alpha' },
      routingRules: [{ priority: 10, destinationUrl: 'https://merchant.example.com/product?ref=alpha&src=email', conditions: { sourceIn: ['email'] } }],
    });
    await kernel.close();
    const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
    const headers = { 'user-agent': ua, 'accept-language': 'en-US,en;q=0.9' };
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`round ${round + 1}/${rounds}: bare\n`);
      results.bare.push(await autocannon(bareUrl, { connections, seconds, headers }));
      for (const mode of ['inline', 'workers'] as const) {
        process.stderr.write(`round ${round + 1}/${rounds}: tenx ${mode}\n`);
        kernel = await startTenx(db.url, mode);
        // --sub-ids 1: every click carries sub-IDs, to price their parsing and storage (API.md "Sub-IDs").
        const query = opts.subIds ? '?sub1=newsletter-2026-12&sub2=banner-a&sub3=placement%20top' : '';
        const url = `http://127.0.0.1:${new URL(kernel.url).port}/bench/deal-alpha${query}`;
        const warm = await autocannon(url, { connections: 5, seconds: 1, headers }); // warm the link cache and JIT
        const r = await autocannon(url, { connections, seconds, headers });
        void warm;
        results[`tenx ${mode}`].push(r);
        await kernel.close(); // flushes the click buffer
      }
    }
    // The server's own count of 302s answered: autocannon's status tally misses requests in flight at the end.
    const counter = await registry.getSingleMetric('tenx_redirects_total')!.get();
    sent = counter.values.reduce((a, v) => a + v.value, 0);
    const check = await import('pg').then(({ default: pg }) => new pg.Client({ connectionString: db.url }));
    await check.connect();
    stored = Number((await check.query('select count(*)::int as n from clicks')).rows[0].n);
    await check.end();
  } finally {
    bare.close();
    await db.drop();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const bareRps = median(results.bare.map((r) => r.rps));
  const table = Object.entries(results).map(([name, rs]) => ({
    server: name,
    'req/s': median(rs.map((r) => r.rps)),
    'vs bare': (median(rs.map((r) => r.rps)) / bareRps).toFixed(2),
    'p50 ms': median(rs.map((r) => r.p50)),
    'p99 ms': median(rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
  }));
  return { table, results, sent, stored, allStored: sent === stored };
}

export async function runRedirectBench() {
  const seconds = arg('seconds', 8);
  const out = await benchRedirect({ seconds, connections: arg('connections', 50), rounds: arg('rounds', 2), subIds: arg('sub-ids', 0) === 1 });
  printTable(out.table);
  console.log(`302 answers (clicks to store): ${out.sent}, clicks stored: ${out.stored} ${out.sent === out.stored ? '(all stored)' : '(MISMATCH)'}`);
  console.log(`wrote ${writeResult('redirect', out)}`);
}

if (isMain(import.meta.url)) await runRedirectBench();
