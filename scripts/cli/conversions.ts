// `tenx conversions record`: what the merchant's server sends (seed workflow 2), for testing an integration by hand;
// `list` and `reverse` (conversion-list.ts, conversion-reverse.ts) are what the network does with them afterwards.
import type { Command } from 'commander';
import { currencyArg, decimalArg, jsonArg } from './args.ts';
import { registerConversionList } from './conversion-list.ts';
import { registerConversionReverse } from './conversion-reverse.ts';
import { TenxClient } from './client.ts';
import { resolveUrl } from './config.ts';
import { ApiError, EXIT_API, NoAnswerError, ServerError, UsageError, withHint } from './errors.ts';
import { action, money, printJson } from './output.ts';

/** Accepts the bare token or the whole destination URL the redirect sent the visitor to. */
export function ctxOf(value: string): string {
  if (!/^https?:\/\//.test(value)) return value;
  const ctx = new URL(value).searchParams.get('ctx');
  if (!ctx) throw new UsageError('that URL has no ctx= parameter');
  return ctx;
}

interface RecordOptions {
  ctx: string;
  eventType: string;
  idempotencyKey: string;
  value?: number;
  currency?: string;
  metadata?: unknown;
  url?: string;
  token?: string;
  json?: boolean;
}

/** What of the answer (the original) differs from what this command sent, as `value 59.99 (sent 49.99)`. */
function differences(res: { value?: number | null; currency?: string | null; eventType?: string; campaignId?: string | null }, o: RecordOptions): string {
  const out: string[] = [];
  if (res.campaignId === null) return "another click's conversion";
  if (res.eventType !== o.eventType) out.push(`event type ${res.eventType} (sent ${o.eventType})`);
  const sent = o.value ?? null;
  if ((res.value ?? null) !== sent) out.push(`value ${res.value == null ? 'none' : money(res.value)} (sent ${sent === null ? 'none' : money(sent)})`);
  if (sent !== null && res.value != null && res.currency !== o.currency) out.push(`currency ${res.currency} (sent ${o.currency})`);
  return out.join(', ');
}

async function record(o: RecordOptions) {
  if ((o.value === undefined) !== (o.currency === undefined)) throw new UsageError('--value and --currency go together');
  // The merchant's token (conversions.write) authenticates the conversion; without one it is a ctx-only
  // submission, which the handle's publicConversions accepts, flags (the default for new handles) or refuses.
  const client = new TenxClient(resolveUrl(o.url), '', o.token ?? '');
  try {
    const res = await client.json('POST', '/v2/public/conversions', {
      anonymous: !o.token,
      body: {
        ctx: ctxOf(o.ctx),
        eventType: o.eventType,
        idempotencyKey: o.idempotencyKey,
        ...(o.value !== undefined && { value: o.value, currency: o.currency }),
        ...(o.metadata !== undefined && { metadata: o.metadata }),
      },
    });
    // A squatted key (README "The merchant side"): the merchant's sale was not recorded. A script must notice, --json or not: exit 1.
    const squatted = res.deduped && o.token !== undefined && res.authenticated === false;
    if (squatted) {
      process.exitCode = EXIT_API;
      process.stderr.write(
        `error: key "${o.idempotencyKey}" was first posted without the merchant's token (the ctx alone: a visitor, or this server before it passed --token), ` +
          'so this sale was NOT recorded; that conversion keeps the key (its commission never approves by itself on a flag handle). ' +
          'Use keys visitors cannot guess (the order id with a secret suffix, or an HMAC of it), or set publicConversions to refuse.\n',
      );
    }
    if (o.json) return printJson(res);
    const amount = res.value != null ? ` ${money(res.value)} ${res.currency}` : '';
    if (!res.deduped) process.stdout.write(`Recorded conversion ${res.conversionId} (${res.eventType}${amount}) for ${res.campaignId}, click ${res.clickId}.\n`);
    else process.stdout.write(`Deduped: key "${o.idempotencyKey}" already recorded as conversion ${res.conversionId}; nothing new was counted.\n`);
    if (res.mismatch && !squatted) {
      const differs = differences(res, o);
      process.stderr.write(`warning: this body differs from the original submission${differs ? ` (${differs})` : ''}; the original stands (recorded in the audit log).\n`);
    }
    // A ctx-only submission: on a handle that flags them (the default for new handles) it is counted apart, never
    // verified, and its commission never approves by itself. Say so, since a merchant who forgot --token would otherwise not notice.
    if (res.authenticated === false && !res.deduped) {
      process.stderr.write(
        'note: recorded unauthenticated (no --token): where the handle flags ctx-only conversions (the default for new handles), ' +
          "it is never verified and its commission never approves automatically; a merchant's server passes --token (a token with conversions.write).\n",
      );
    }
  } catch (err) {
    // Sent, but no answer in time, or a proxy's 502/504 (tenx may have stored it behind the proxy): it may be stored. The
    // key makes a repeat safe (the API dedupes it); say so, naming it.
    const mayBeStored = err instanceof NoAnswerError || (err instanceof ApiError && err.code === 'server_unavailable' && (err.status === 502 || err.status === 504));
    if (mayBeStored) {
      throw new ServerError(
        `${(err as Error).message}; the conversion may or may not be stored: run the same command again (same --idempotency-key ${o.idempotencyKey}): ` +
          'tenx answers a repeat of the same key without storing it twice',
      );
    }
    // Without --token on a handle that refuses ctx-only conversions (401): the API's words name a header; the CLI's option is --token.
    if (!o.token && err instanceof ApiError && err.status === 401) {
      throw withHint(err, 'From the CLI: pass --token <a token of the handle with conversions.write> (its owner issues one: tenx tokens create --name shop --scopes conversions.write).');
    }
    if (!(o.token && err instanceof ApiError && (err.status === 401 || err.status === 403))) throw err;
    throw withHint(err, "--token must be a live token of the ctx's handle with conversions.write (its owner issues one: tenx tokens create --name shop --scopes conversions.write).");
  } finally {
    await client.close();
  }
}

export function registerConversionCommands(program: Command) {
  const conversions = program
    .command('conversions')
    .summary("record conversions as the merchant's server does; list them, show one, reverse them (refunds, chargebacks)")
    .description(
      "record conversions as the merchant's server does: --token with conversions.write authenticates them; without it " +
        "the handle's publicConversions decides (new handles: flagged unauthenticated, commissions never auto-approved). " +
        'List them and show one (conversions.read), and reverse them (conversions.write) with the stored login',
    );
  conversions
    .command('record')
    .description('record one conversion; the same idempotency key again is deduped, never counted twice')
    .requiredOption('--ctx <token|url>', 'the ctx token, or the destination URL carrying ctx=')
    .requiredOption('--event-type <type>', 'e.g. affiliate_click (must be allowed by the campaign\'s goal type)')
    .requiredOption('--idempotency-key <key>', 'a transaction or order id, never a session id')
    .option('--value <amount>', 'decimal amount, at most 2 fraction digits', decimalArg())
    .option('--currency <code>', 'ISO-4217, e.g. USD (usd is sent as USD)', currencyArg)
    .option('--metadata <json>', 'free-form JSON object, @file.json or -', jsonArg('--metadata'))
    .option('--url <url>', 'server base URL (default: TENX_URL, else the logged-in server; no login needed)')
    .option('--token <pat>', "the merchant's token with conversions.write: the conversion is recorded as authenticated (without it: ctx-only)")
    .option('--json', 'print the raw JSON')
    .action(action(record));
  registerConversionList(conversions);
  registerConversionReverse(conversions);
}
