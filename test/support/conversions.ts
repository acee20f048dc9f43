import { v7 as uuidv7 } from 'uuid';
import type { CtxCodec } from '../../core/redirect/ctx-token.ts';
import { createHandle, startTestServer, type TestServer } from './server.ts';

export const CONVERSIONS = '/v2/public/conversions';

/**
 * A handle with one ACTIVE campaign created through the API (seed workflow 1). Its publicConversions
 * is `accept` (v2: a ctx-only conversion counts as verified when its click does), which most tests
 * exercise; the merchant-authentication tests pass `flag`, `refuse` or null (the server's default).
 */
export async function partnerCampaign(
  server: TestServer,
  opts: { goalType?: string; campaignId?: string; slug?: string; reportingCurrency?: string; publicConversions?: string | null; maxConversionValue?: number } = {},
) {
  const mode = opts.publicConversions === undefined ? 'accept' : opts.publicConversions;
  const tenant = await createHandle(server, undefined, {
    ...(opts.reportingCurrency && { reportingCurrency: opts.reportingCurrency }), ...(mode !== null && { publicConversions: mode }),
  });
  const campaignId = opts.campaignId ?? 'partner-alpha';
  const slug = opts.slug ?? 'deal-alpha';
  await server.http
    .post(`/v2/handles/${tenant.handle}/campaigns`)
    .set(tenant.auth)
    .send({
      campaignId, goalType: opts.goalType ?? 'AFFILIATE_CLICKOUT', status: 'ACTIVE',
      primaryLink: { slug, destinationUrl: `https://merchant.example.com/product?ref=${campaignId}`, title: 'Partner deal' },
      ...(opts.maxConversionValue !== undefined && { maxConversionValue: opts.maxConversionValue }),
    })
    .expect(201);
  return { ...tenant, campaignId, slug };
}

/** A visitor follows the short link; returns the ctx the merchant receives on the destination URL. */
export async function clickThrough(server: TestServer, handle: string, slug: string, headers: Record<string, string> = {}) {
  const res = await server.http.get(`/${handle}/${slug}`).set({ 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'accept-language': 'en-US,en;q=0.9', accept: 'text/html', ...headers }).redirects(0).expect(302);
  const ctx = new URL(res.headers.location).searchParams.get('ctx');
  if (!ctx) throw new Error(`no ctx in ${res.headers.location}`);
  return ctx;
}

/** A click row written directly (known country/segment/source/bot flag) and its signed ctx. */
export async function storedClick(
  server: TestServer,
  handle: string,
  campaignId: string,
  o: { country?: string; segment?: string; source?: string; isBot?: boolean; issuedAt?: Date; windowDays?: number; store?: boolean } = {},
) {
  const clickId = uuidv7();
  if (o.store !== false) {
    await server.sql.query(
      `insert into clicks (click_id, handle, campaign_id, occurred_at, country, segment, device, source, destination_url, is_bot, bot_reason)
       values ($1, $2, $3, now(), $4, $5, $5, $6, 'https://merchant.example.com/', $7, $8)`,
      [clickId, handle, campaignId, o.country ?? 'DE', o.segment ?? 'mobile', o.source ?? 'twitter', o.isBot ?? false, o.isBot ? 'user-agent' : null],
    );
  }
  const ctx = codec(server).sign({ clickId, handle, campaignId, issuedAt: o.issuedAt ?? new Date(Date.now() - 60_000), windowDays: o.windowDays ?? 30 });
  return { clickId, ctx };
}

export const codec = (server: TestServer) => server.kernel.container.resolve<CtxCodec>('ctxCodec');


export async function count(server: TestServer, sql: string, args: unknown[] = []): Promise<number> {
  const { rows } = await server.sql.query(`select count(*)::int as n from ${sql}`, args);
  return rows[0].n;
}

/**
 * A describe()'s own test server and a partner campaign on it (the set-up many files wrote out: a server started in
 * before(), partnerCampaign() on it, the server closed in after()); read `.server` and `.t` inside the tests.
 */
export function serverWithPartnerCampaign(opts: Parameters<typeof partnerCampaign>[1] = {}) {
  const suite = {} as { server: TestServer; t: Awaited<ReturnType<typeof partnerCampaign>> };
  before(async () => {
    suite.server = await startTestServer();
    suite.t = await partnerCampaign(suite.server, opts);
  });
  after(async () => suite.server?.close());
  return suite;
}
