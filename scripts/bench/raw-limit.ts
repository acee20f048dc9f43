// The limit the conversions bench measures tenx against (issue 17): an idempotent conversion insert and its
// audit row as ONE SQL statement, into tenx's tables (`with ins as (insert … on conflict do nothing returning …) insert into audit
// … select … from ins`), new keys, at the bench's concurrency, on the same database. Driven by pgbench (a C
// client) when it is installed, else by a node `pg` loop with the same number of connections.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// Into tenx's own conversions and audit_events tables (their indexes included), under a handle of its own so
// the tenx runs' counts never see these rows. Idempotency is the primary key's ON CONFLICT.
const STATEMENT = `with ins as (
  insert into conversions (conversion_id, handle, idempotency_key, click_id, campaign_id, event_type, value, currency, metadata, body_hash)
  values (md5('k' || :k)::uuid, 'bench-limit', 'k-' || :k, gen_random_uuid(), 'partner-alpha', 'affiliate_click', (:k % 10000) / 100.0, 'USD', '{}'::jsonb, md5(:k::text))
  on conflict (conversion_id) do nothing
  returning conversion_id, handle, campaign_id, idempotency_key, value
) insert into audit_events (event_id, handle, type, actor, campaign_id, subject_id, payload)
  select gen_random_uuid(), handle, 'conversion.recorded', 'public', campaign_id, conversion_id::text, jsonb_build_object('key', idempotency_key, 'value', value) from ins;`;

export interface LimitResult {
  tool: 'pgbench' | 'node pg';
  perSecond: number;
  /** pgbench reports the mean latency only. */
  meanMs: number;
  p50?: number;
  p99?: number;
  pgUs?: number;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((ok, fail) => execFile(cmd, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => (err ? fail(new Error(`${cmd}: ${err.message} ${stderr}`)) : ok(stdout))));
}

async function viaPgbench(url: string, concurrency: number, seconds: number): Promise<LimitResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tenx-limit-'));
  try {
    const script = join(dir, 'conversion.sql');
    writeFileSync(script, `\\set k random(1, 2000000000)\n${STATEMENT.replace(/\n\s*/g, ' ')}\n`);
    const u = new URL(url);
    const out = await run('pgbench', ['-n', '-M', 'prepared', '-c', String(concurrency), '-j', '2', '-T', String(seconds), '-f', script, u.pathname.slice(1)], {
      ...process.env, PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username) || 'postgres', PGPASSWORD: decodeURIComponent(u.password),
    });
    const tps = /tps = ([\d.]+)/.exec(out);
    const lat = /latency average = ([\d.]+) ms/.exec(out);
    if (!tps) throw new Error(`pgbench printed no tps: ${out}`);
    return { tool: 'pgbench', perSecond: Math.round(Number(tps[1])), meanMs: lat ? Number(lat[1]) : NaN };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function viaNode(url: string, concurrency: number, seconds: number): Promise<LimitResult> {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const text = STATEMENT.replace(/:k::text/g, '$1::text').replace(/:k/g, '$1::bigint');
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  try {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await pool.query({ name: 'limit', text, values: [Math.floor(Math.random() * 2e9)] });
        latencies.push(performance.now() - t);
      }
    }));
  } finally {
    await pool.end();
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(latencies[Math.floor(latencies.length * p)] * 10) / 10;
  return { tool: 'node pg', perSecond: Math.round(latencies.length / seconds), meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length, p50: pct(0.5), p99: pct(0.99) };
}

/** Drives the statement for `seconds` on a migrated tenx database. */
export async function rawConversionLimit(url: string, opts: { concurrency: number; seconds: number }): Promise<LimitResult> {
  const hasPgbench = await run('pgbench', ['--version'], process.env).then(() => true, () => false);
  return hasPgbench ? viaPgbench(url, opts.concurrency, opts.seconds) : viaNode(url, opts.concurrency, opts.seconds);
}
