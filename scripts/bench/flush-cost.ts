// PostgreSQL CPU per stored click of the click flush (insert + rollups + stats + commissions), from
// /proc of its backend: `node scripts/bench/flush-cost.ts <checkout> [clicks] [batch] [spread|one] [message] [partners]`. Pass two
// checkouts (e.g. main and a branch) one after the other to compare their flush statements; CPU time,
// unlike latency, survives a busy box. Clicks are recent (every flush writes the current hours). `spread`
// (the default): 100 campaigns and varied visitors; `one`: the redirect bench's traffic, one campaign, one
// visitor kind, time-ordered UUIDv7 ids (docs/performance.md: the rollups' share differs threefold).
import { readFileSync } from 'node:fs';
const tree = process.argv[2];
const total = Number(process.argv[3] ?? 100000);
const batchSize = Number(process.argv[4] ?? 1000);
const one = process.argv[5] === 'one';
// `message`: the batch as one simple-query message (begin, locks, execute with literals, commit), as a server on PostgreSQL sends it.
const oneMessage = process.argv[6] === 'message';
// `partners`: every campaign held by a partner of its own, and a handle-wide click reward (a CPC): each batch writes click commissions.
const partners = process.argv[7] === 'partners';
const pg = (await import(`${tree}/node_modules/pg/lib/index.js`)).default;
const pino = (await import(`${tree}/node_modules/pino/pino.js`)).default;
const { initOrm } = await import(`${tree}/core/db/orm.ts`);
const { ClickBuffer } = await import(`${tree}/core/redirect/click-buffer.ts`);
const { createTestDatabase } = await import(`${tree}/test/support/database.ts`);
const log = pino({ level: 'silent' });
const db = await createTestDatabase();
const orm = await initOrm(db.url, 2, log);
await orm.getMigrator().up();
await orm.close();
const pool = new pg.Pool({ connectionString: db.url, max: 1 });
await pool.query(`insert into tenants (handle, name, reporting_currency) values ('h', 'H', 'USD')`);
await pool.query(`insert into campaigns (handle, campaign_id, goal_type, status, tracking_preset, conversion_event, slug, destination_url)
  select 'h', 'c' || i, 'AFFILIATE_CLICKOUT', 'ACTIVE', 'custom_webhook', 'affiliate_click', 'c' || i, 'https://m.example/' from generate_series(0, 99) i`);
if (partners) {
  await pool.query(`insert into partners (handle, partner_id, name) select 'h', 'p' || i, 'Partner ' || i from generate_series(0, 99) i`);
  await pool.query(`update campaigns set partner_id = 'p' || substr(campaign_id, 2), partner_since = now() - interval '1 day'`);
  await pool.query(`insert into reward_rules (handle, reward_id, event, type, amount, currency) values ('h', 'cpc', 'click', 'flat', 0.05, 'USD')`);
}
const pid = (await pool.query('select pg_backend_pid() as p')).rows[0].p;
const ticks = () => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
const UAS = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'];
const C = ['US', 'US', 'US', 'DE', 'DE', 'GB', 'FR', 'IN', 'BR', 'NL', 'ES', 'IT'];
const S = ['direct', 'direct', 'email', 'twitter', 'instagram', 'search'];
const G = ['desktop', 'desktop', 'mobile', 'mobile', 'tablet'];
let seed = 42; const r = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
const outbox = { wants: () => false, emit: async () => {}, wake: () => {} };
const buffer = new ClickBuffer({ pg: pool, oneMessage, outbox, log, flushMs: 1e9, batchSize, maxBuffered: 10_000_000 });
const { randomUUID } = await import('node:crypto');
const { newClickId } = await import(`${tree}/core/redirect/click-id.ts`);
const spread = () => ({ clickId: randomUUID(), campaignId: `c${Math.floor(r() ** 2 * 100)}`, occurredAt: new Date(Date.now() - r() * 60_000),
  country: pick(C), segment: pick(G), source: pick(S), userAgent: pick(UAS) });
const single = () => ({ clickId: newClickId(), campaignId: 'c1', occurredAt: new Date(), country: 'US', segment: 'desktop', source: 'direct', userAgent: UAS[0] });
const row = () => ({ ...(one ? single() : spread()), handle: 'h', device: 'desktop', referrerHost: null, language: 'en', destinationUrl: 'https://m.example/',
  ipHash: null, isBot: r() < 0.1, botReason: null, sub1: null, sub2: null, sub3: null, sub4: null, sub5: null });
// warm-up batch
for (let i = 0; i < batchSize; i++) buffer.push(row());
await buffer.flush();
const t0 = ticks(); const c0 = process.cpuUsage(); const w0 = performance.now();
for (let done = 0; done < total; done += batchSize) {
  for (let i = 0; i < batchSize; i++) buffer.push(row());
  await buffer.flush();
}
const pgUs = ((ticks() - t0) * 10_000) / total; const c = process.cpuUsage(c0);
console.log(JSON.stringify({ tree, traffic: one ? 'one' : 'spread', oneMessage, partners, total, batchSize, pgCpuUsPerClick: Math.round(pgUs * 10) / 10, nodeCpuUsPerClick: Math.round(((c.user + c.system) / total) * 10) / 10, wallMs: Math.round(performance.now() - w0) }));
await buffer.close(1000);
// The click commissions written (the `partners` case): a check that the case measured what it says.
if (partners) console.error(`click commissions: ${(await pool.query(`select coalesce(sum(quantity), 0)::int as n from commissions where type = 'click'`)).rows[0].n} clicks`);
await pool.end();
await db.drop();
process.exit(0);
