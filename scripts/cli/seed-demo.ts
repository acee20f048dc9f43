// `tenx seed-demo`: builds the seed's partner-alpha / partner-beta world through the public API, traffic included.
import type { Agent } from 'undici';
import type { Command } from 'commander';
import { intArg } from './args.ts';
import { apiErrorOf, TenxClient } from './client.ts';
import { redactUrl, resolveCredentials } from './config.ts';
import { adminToken, createHandle, operatorUrl } from './create-handle.ts';
import { ApiError, ServerError, UsageError } from './errors.ts';
import { action, formatTable, printJson } from './output.ts';
import { bar, progress } from './progress.ts';
import { changedValue, order, rng, visit, type Rng, type Visit } from './seed-traffic.ts';
import { foreignContent } from './seed-guard.ts';

/** Seed workflow 1's campaigns, with workflow 6's source routing on alpha and a coupon-site rule on beta. */
export const DEMO_CAMPAIGNS = [
  {
    campaignId: 'partner-alpha', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'alpha',
    primaryLink: { slug: 'deal-alpha', destinationUrl: 'https://merchant.example.com/product?ref=alpha', title: 'Partner Alpha - Product Deal' },
    routingRules: [
      { priority: 10, destinationUrl: 'https://merchant.example.com/product?ref=alpha&src=email', conditions: { sourceIn: ['email'] } },
      { priority: 20, destinationUrl: 'https://merchant.example.com/product?ref=alpha&src=social', conditions: { sourceIn: ['twitter', 'instagram', 'facebook'] } },
    ],
  },
  {
    campaignId: 'partner-beta', goalType: 'AFFILIATE_CLICKOUT', status: 'ACTIVE', partnerId: 'beta',
    primaryLink: { slug: 'deal-beta', destinationUrl: 'https://merchant.example.com/product?ref=beta', title: 'Partner Beta - Product Deal' },
    routingRules: [
      { priority: 10, destinationUrl: 'https://merchant.example.com/product?ref=beta&src=coupons', conditions: { sourceIn: ['coupons'] } },
    ],
  },
];

/** The partners behind the two campaigns (contract v2.1): each gets its own portal. */
export const DEMO_PARTNERS = [
  { partnerId: 'alpha', name: 'Partner Alpha', email: 'payouts@alpha.example' },
  { partnerId: 'beta', name: 'Partner Beta', email: 'payouts@beta.example' },
];

/**
 * A handle-wide 10% of each conversion's value, so the portal has commissions and balances to show. A
 * rule covers one event type, and the demo's conversions are affiliate_click and sale: one rule each.
 * The sale rule is written first: a handle seeded before gave demo-sale-10pct the affiliate_click event,
 * and a second rule for an event another rule covers is refused.
 */
export const DEMO_REWARDS = [
  { rewardId: 'demo-sale-10pct', body: { scope: {}, event: 'sale', type: 'percent', percent: 10, holdDays: 7 } },
  { rewardId: 'demo-clickout-10pct', body: { scope: {}, event: 'affiliate_click', type: 'percent', percent: 10, holdDays: 7 } },
];

async function ensurePartner(client: TenxClient, body: (typeof DEMO_PARTNERS)[number]) {
  try {
    await client.post(client.handlePath('/partners'), body);
  } catch (err) {
    // A second run keeps the partners it made.
    if (!(err instanceof ApiError && err.status === 409)) throw err;
  }
}

// Alpha is clean traffic; beta buys traffic, so its bot share lands in the seed's 20–40% penalty band.
const BOT_SHARE: Record<string, number> = { 'partner-alpha': 0.06, 'partner-beta': 0.32 };
const CONVERSION_RATE: Record<string, number> = { 'partner-alpha': 0.14, 'partner-beta': 0.07 };

interface Options {
  url?: string;
  handle?: string;
  name: string;
  clicks: number;
  concurrency: number;
  seed?: number;
  webhookUrl?: string;
  forwardedFor?: boolean;
  yes?: boolean;
  json?: boolean;
}

interface Tally { clicks: number; bots: number; conversions: number; deduped: number; mismatched: number; revenue: Record<string, number> }

/** Who we act as: a new handle's owner token, the operator token on an existing handle, or the stored login. */
async function connect(o: Options): Promise<{ client: TenxClient; ownerToken?: string; created: boolean }> {
  if (process.env.ADMIN_TOKEN) {
    const url = operatorUrl(o.url);
    const handle = o.handle ?? 'demo';
    try {
      const created = await createHandle(url, { handle, name: o.name });
      return { client: new TenxClient(url, handle, created.ownerToken), ownerToken: created.ownerToken, created: true };
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409)) throw err;
      return { client: new TenxClient(url, handle, adminToken()), created: false };
    }
  }
  let creds;
  try {
    creds = resolveCredentials();
  } catch {
    throw new UsageError('seed-demo needs ADMIN_TOKEN (to create the demo handle) or a `tenx login` to an existing handle');
  }
  // A partner's login can seed nothing (its token works on its realm only): say what would.
  if (creds.token.startsWith('tenx_ptk_')) {
    throw new UsageError(`logged in as a partner of ${creds.handle} (a partner token): seed-demo needs ADMIN_TOKEN (it creates handle "demo"), or a login with the handle's owner token or a PAT`);
  }
  if (o.handle && o.handle !== creds.handle) throw new UsageError(`logged in to handle ${creds.handle}, not ${o.handle}; set ADMIN_TOKEN to seed another handle`);
  return { client: new TenxClient(o.url ? operatorUrl(o.url) : creds.url, creds.handle, creds.token), created: false };
}

async function ensureCampaign(client: TenxClient, body: (typeof DEMO_CAMPAIGNS)[number]) {
  try {
    return await client.post(client.handlePath('/campaigns'), body);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) throw err;
    // A second run reuses the campaigns and makes sure they redirect.
    const { campaignId, primaryLink: _l, goalType: _g, ...changes } = body;
    return client.patch(client.handlePath(`/campaigns/${campaignId}`), changes);
  }
}

/** Runs fn over items with at most `limit` in flight, reporting each completion. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>, onDone: () => void) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function click(agent: Agent, base: string, slug: string, handle: string, v: Visit, forwardedFor: boolean): Promise<string | null> {
  const url = new URL(`${base}/${handle}/${slug}`);
  for (const [k, val] of Object.entries({ ...v.channel.query, ...v.subIds })) url.searchParams.set(k, val);
  const headers: Record<string, string> = { ...v.headers, 'cf-ipcountry': v.country };
  if (forwardedFor) headers['x-forwarded-for'] = v.ip;
  const { request } = await import('undici'); // loaded once, on the first click (see client.ts)
  const res = await request(url, { method: 'GET', headers, dispatcher: agent });
  await res.body.dump();
  if (res.statusCode !== 302) throw new ServerError(`short link ${url.pathname} answered ${res.statusCode}, not a 302 redirect`);
  const location = String(res.headers.location ?? '');
  return new URL(location).searchParams.get('ctx');
}

async function convert(client: TenxClient, body: Record<string, unknown>): Promise<{ deduped: boolean; mismatch?: boolean }> {
  for (let attempt = 0; ; attempt++) {
    // As the merchant's server: with the handle's token the conversion is authenticated (and can count as verified).
    const res = await client.raw('POST', '/v2/public/conversions', { body });
    if (res.statusCode === 429 && attempt < 5) {
      await res.body.dump();
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers['retry-after'] ?? 1)));
      continue;
    }
    if (res.statusCode !== 200 && res.statusCode !== 201) throw await apiErrorOf(res, client.url);
    return (await res.body.json()) as { deduped: boolean; mismatch?: boolean };
  }
}

/** A webhook URL the API would refuse as no URL is refused before anything is created. */
function checkWebhookUrl(url: string | undefined): void {
  if (url === undefined) return;
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // said below
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new UsageError(`--webhook-url must be an http(s) URL, e.g. https://example.com/tenx-hook; got "${url}"`);
  }
}

async function seedDemo(o: Options) {
  const r: Rng = rng(o.seed ?? Date.now());
  checkWebhookUrl(o.webhookUrl);
  const { client, ownerToken, created } = await connect(o);
  if (!created && !o.yes) {
    const others = await foreignContent(client, { partners: DEMO_PARTNERS, campaigns: DEMO_CAMPAIGNS, rewards: DEMO_REWARDS });
    if (others.length) {
      await client.close();
      throw new UsageError(
        `handle ${client.handle} already has ${others.slice(0, 5).join(', ')}${others.length > 5 ? ` and ${others.length - 5} more` : ''}: seed-demo would add handle-wide ` +
          '10% reward rules (every partner earns them), raise its burst detector limit (bot protection off) and send fake clicks and conversions. ' +
          'Seed a handle of its own (ADMIN_TOKEN and --handle <new>), or pass --yes to seed this one anyway.',
      );
    }
  }
  const log = (line: string) => process.stderr.write(line + '\n');
  // A new handle's owner token goes to stdout only (stderr, which CI logs keep, carries no secret): with the summary, or
  // at once when the seed stops before it (a refused webhook, Ctrl-C), since a rerun finds the handle and cannot show it.
  let tokenShown = !(created && ownerToken);
  const showToken = () => {
    if (tokenShown) return;
    tokenShown = true;
    process.stdout.write(o.json ? `${JSON.stringify({ handle: client.handle, ownerToken })}\n` : `Owner token of ${client.handle} (shown once): ${ownerToken}\n`);
  };
  const interrupted = () => {
    showToken();
    process.exit(130);
  };
  if (!tokenShown) {
    log(`Created handle ${client.handle}; its owner token is printed on stdout at the end (or at once if the seed stops)`);
    process.once('SIGINT', interrupted);
  }
  const { Agent: UndiciAgent } = await import('undici');
  const agent = new UndiciAgent({ connections: o.concurrency });
  const shownUrl = redactUrl(client.url);
  try {
    log(`${created ? 'Seeding new' : 'Using'} handle ${client.handle} on ${shownUrl}`);
    // First: an endpoint the API refuses (not public, not https) stops the seed before it writes anything else.
    let webhook: { webhookId: string; secret: string } | undefined;
    if (o.webhookUrl) {
      webhook = await client.post(client.handlePath('/webhooks'), { endpointUrl: o.webhookUrl, eventTypes: ['link.clicked', 'conversion.tested', 'conversion.deduped'] });
      log(`  webhook ${webhook!.webhookId} -> ${o.webhookUrl}`);
    }
    for (const body of DEMO_PARTNERS) {
      await ensurePartner(client, body);
      log(`  partner ${body.partnerId} (${body.name})`);
    }
    try {
      for (const rule of DEMO_REWARDS) await client.put(client.handlePath(`/rewards/${rule.rewardId}`), rule.body);
      log(`  rewards ${DEMO_REWARDS.map((x) => `${x.rewardId} (${x.body.event})`).join(' and ')}: 10% of each conversion's value, 7 hold days`);
    } catch (err) {
      // Commissions are a nicety of the demo: a login without commissions.write still seeds the traffic.
      log(`  no reward rule (${(err as Error).message})`);
    }
    for (const body of DEMO_CAMPAIGNS) {
      const c = await ensureCampaign(client, body);
      log(`  campaign ${c.campaignId} ${c.status}  ${c.primaryLink?.shortUrl ?? ''}`);
    }
    if (!o.forwardedFor) {
      // Every simulated visitor comes from this machine's address: without this the burst detector would flag them all.
      try {
        await client.put(client.handlePath('/plugins/burst'), { enabled: true, settings: { maxClicksPerMinute: 100000 } });
        log('  raised the burst detector limit for this handle (all simulated visitors share one IP; see --forwarded-for)');
      } catch (err) {
        // A login without plugins.write still seeds (it stopped here, half-built): most clicks then count as bots.
        if (!(err instanceof ApiError && err.status === 403)) throw err;
        log(`  kept the burst detector's limit (${err.message}): most simulated clicks will count as bots; --forwarded-for gives each visitor its own address`);
      }
    }

    const tally: Record<string, Tally> = {};
    // Every draw happens here, in order, before any request: the requests finish in any order, so a draw made as each
    // one finished gave another traffic for the same --seed whenever --concurrency was above 1.
    const visits: { v: Visit; converts: boolean; ctx?: string | null }[] = [];
    for (let i = 0; i < o.clicks; i++) {
      const campaignId = r.chance(0.55) ? 'partner-alpha' : 'partner-beta';
      const v = visit(r, campaignId, BOT_SHARE[campaignId]);
      visits.push({ v, converts: !v.bot && r.chance(CONVERSION_RATE[campaignId]) });
      tally[campaignId] ??= { clicks: 0, bots: 0, conversions: 0, deduped: 0, mismatched: 0, revenue: {} };
    }
    const slugOf = Object.fromEntries(DEMO_CAMPAIGNS.map((c) => [c.campaignId, c.primaryLink.slug]));
    const clicksBar = progress();
    let done = 0;
    await pool(visits, o.concurrency, async (planned) => {
      const { v } = planned;
      planned.ctx = await click(agent, client.url, slugOf[v.campaignId], client.handle, v, Boolean(o.forwardedFor));
      tally[v.campaignId].clicks++;
      if (v.bot) tally[v.campaignId].bots++;
    }, () => clicksBar.update(`clicks       ${bar(++done, visits.length)}`));
    clicksBar.done(`clicks       ${bar(done, visits.length)}`);
    const converting = visits.filter((p) => p.converts && p.ctx).map(({ v, ctx }) => ({ v, ctx: ctx! }));

    // Some merchants retry: ~15% resubmit the same order (deduped), a couple with a changed amount (mismatch).
    const run = Date.now().toString(36);
    const submissions = converting.flatMap(({ v, ctx }, i) => {
      const body = { ctx, eventType: r.chance(0.8) ? 'affiliate_click' : 'sale', idempotencyKey: `order-${run}-${i + 1}`, ...order(r, v.country) };
      const again = r.chance(0.15) ? [{ v, body, kind: 'dup' as const }] : [];
      const changed = i < 2 ? [{ v, body: { ...body, value: changedValue(body.value, 5) }, kind: 'mismatch' as const }] : [];
      return [{ v, body, kind: 'new' as const }, ...again, ...changed];
    });
    const convBar = progress();
    done = 0;
    // Originals first, so every duplicate really is a later submission of a recorded order.
    for (const phase of ['new', 'dup'] as const) {
      const batch = submissions.filter((s) => (phase === 'new' ? s.kind === 'new' : s.kind !== 'new'));
      await pool(batch, Math.min(o.concurrency, 4), async (s) => {
        const res = await convert(client, s.body);
        const t = tally[s.v.campaignId];
        if (!res.deduped) {
          t.conversions++;
          t.revenue[s.body.currency] = Math.round(((t.revenue[s.body.currency] ?? 0) + s.body.value) * 100) / 100;
        } else if (res.mismatch) t.mismatched++;
        else t.deduped++;
      }, () => convBar.update(`conversions  ${bar(++done, submissions.length)}`));
    }
    // The bar counts submissions, resubmissions included: say what they came to, as the API answered each.
    const total = (k: 'conversions' | 'deduped' | 'mismatched') => Object.values(tally).reduce((n, t) => n + t[k], 0);
    convBar.done(
      `conversions  ${bar(done, submissions.length)} submitted: ${total('conversions')} recorded, ${total('deduped')} deduped, ${total('mismatched')} mismatched`,
    );

    // A partner token for alpha: the demo's way into the partner portal (shown once, like every secret).
    const partnerToken: { token: string } = await client.post(client.handlePath('/partners/alpha/tokens'), { name: 'seed-demo portal' })
      .catch((err: Error) => (log(`  no partner token (${err.message})`), { token: '' }));
    const portal = `${shownUrl}/dashboard`;
    tokenShown = true; // in the summary
    const summary = {
      handle: client.handle, url: shownUrl, ownerToken: ownerToken ?? null, webhook: webhook ?? null, campaigns: tally,
      partners: DEMO_PARTNERS.map((p) => p.partnerId), partnerToken: { partnerId: 'alpha', token: partnerToken.token }, portal,
    };
    if (o.json) return printJson(summary);
    const rows = Object.entries(tally).map(([campaignId, t]) => ({ campaignId, ...t })).sort((a, b) => a.campaignId.localeCompare(b.campaignId));
    process.stdout.write(
      '\n' +
        formatTable(rows, [
          { header: 'CAMPAIGN', value: (x) => x.campaignId },
          { header: 'CLICKS SENT', value: (x) => x.clicks, align: 'right' },
          { header: 'BOTS SENT', value: (x) => x.bots, align: 'right' },
          { header: 'CONVERSIONS', value: (x) => x.conversions, align: 'right' },
          { header: 'DEDUPED', value: (x) => x.deduped, align: 'right' },
          { header: 'MISMATCHED', value: (x) => x.mismatched, align: 'right' },
          { header: 'REVENUE', value: (x) => Object.entries(x.revenue).map(([c, v]) => `${v.toFixed(2)} ${c}`).join(', ') },
        ]),
    );
    if (partnerToken.token) process.stdout.write(`\nPartner portal: open ${portal}, handle ${client.handle}, and partner alpha's token (shown once):\n  ${partnerToken.token}\n`
      + `  or from a shell: tenx login --url ${shownUrl} --handle ${client.handle} --token <partner token>; tenx analytics funnel\n`);
    if (webhook) process.stdout.write(`\nWebhook ${webhook.webhookId} secret (shown once): ${webhook.secret}\n`);
    if (ownerToken) {
      process.stdout.write(`\nOwner token of ${client.handle} (shown once): ${ownerToken}\n`);
      process.stdout.write(`Next: tenx login --url ${shownUrl} --handle ${client.handle} --token <owner token>; tenx analytics funnel\n`);
    } else if (process.env.ADMIN_TOKEN) {
      // An existing handle seeded again with the operator token: the user's login may be another handle, or none.
      process.stdout.write(
        `\nNext: tenx login --url ${shownUrl} --handle ${client.handle} --token <a token of ${client.handle}: its owner token, printed when it was created>; ` +
          'tenx analytics funnel   (clicks and conversions show within 2 seconds)\n',
      );
    } else {
      process.stdout.write('\nNext: tenx analytics funnel   (clicks and conversions show within 2 seconds)\n');
    }
  } catch (err) {
    showToken();
    throw err;
  } finally {
    process.off('SIGINT', interrupted);
    await agent.close();
    await client.close();
  }
}

export function registerSeedDemoCommand(program: Command) {
  program
    .command('seed-demo')
    .description('create the seed\'s partner-alpha / partner-beta world through the API: partners, reward rules, campaigns, clicks (with bots and sub-IDs), conversions')
    .option('--url <url>', 'server base URL (default: TENX_URL, the login, else http://localhost:$PORT)')
    .option('--handle <handle>', 'handle to seed (created with ADMIN_TOKEN when missing; default demo)')
    .option('--name <name>', 'display name of a created handle', 'Demo Affiliate Network')
    .option('--clicks <n>', 'short-link requests to send', intArg(1, 1_000_000), 400)
    .option('--concurrency <n>', 'requests in flight', intArg(1, 256), 8)
    .option('--seed <n>', 'random seed, to replay the same traffic', intArg(0, 2 ** 31 - 1))
    .option('--webhook-url <url>', 'also subscribe this endpoint to link and conversion events')
    .option('--forwarded-for', 'the server trusts this host as a proxy (TRUSTED_PROXIES): give each visitor its own X-Forwarded-For IP')
    .option('--yes', 'seed an existing handle that has partners, campaigns or reward rules of its own')
    .option('--json', 'print a JSON summary')
    .action(action(seedDemo));
}
