// `tenx events tail`: follows the analytics Server-Sent Events stream, one printed line per change, until Ctrl-C.
import type { Command } from 'commander';
import { intArg } from './args.ts';
import { streamed, withClient, type TenxClient } from './client.ts';
import { ApiError } from './errors.ts';
import { action, money, percent } from './output.ts';

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Incremental text/event-stream parser (WHATWG rules: data lines joined by \n, comments ignored). */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  lastEventId: string | undefined;
  retryMs: number | undefined;

  push(text: string): SseEvent[] {
    this.buffer += text;
    const out: SseEvent[] = [];
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n'), ...(this.id !== undefined && { id: this.id }) });
        if (this.id !== undefined) this.lastEventId = this.id;
        this.data = [];
        this.event = '';
        this.id = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id') this.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    return out;
  }
}

type Row = Record<string, unknown>;

/**
 * Revenue by currency ("1101.50 USD + 130.50 EUR"), as the funnel's BY CURRENCY column: `revenue` alone named no
 * currency and dropped the others (a CLI pass); a row without the map keeps the bare number.
 */
function revenueText(r: Row): string {
  const by = r.revenueByCurrency as Record<string, number> | undefined;
  const parts = by ? Object.entries(by).map(([currency, v]) => `${money(v)} ${currency}`) : [];
  return parts.length ? parts.join(' + ') : String(money(r.revenue));
}

/** One line per funnel row when the event carries rows; the compact JSON otherwise. */
export function formatEvent(e: SseEvent, campaign?: string): string[] {
  const time = new Date().toISOString();
  let parsed: unknown;
  try {
    parsed = JSON.parse(e.data);
  } catch {
    return campaign ? [] : [`${time}  ${e.event}  ${e.data}`];
  }
  const rows: Row[] | null = Array.isArray(parsed)
    ? (parsed as Row[])
    : Array.isArray((parsed as Row)?.data)
      ? ((parsed as Row).data as Row[])
      : typeof (parsed as Row)?.campaignId === 'string'
        ? [parsed as Row]
        : null;
  if (!rows) return campaign ? [] : [`${time}  ${e.event}  ${JSON.stringify(parsed)}`];
  return rows
    .filter((r) => !campaign || r.campaignId === campaign)
    .map((r) =>
      typeof r.clicks === 'number'
        ? `${time}  ${e.event}  ${r.campaignId}  clicks=${r.clicks} qualified=${r.qualifiedClicks} bots=${percent(r.botRatio)} ` +
          `conversions=${r.conversions} revenue=${revenueText(r)} confidence=${r.confidence ?? '-'}`
        : `${time}  ${e.event}  ${JSON.stringify(r)}`,
    );
}

interface TailOptions {
  campaign?: string;
  count?: number;
  json?: boolean;
  reconnect: boolean;
}

async function tail(o: TailOptions) {
  await withClient(async (c: TenxClient) => {
    const controller = new AbortController();
    let stopped = false;
    const stop = () => {
      stopped = true;
      controller.abort();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const parser = new SseParser();
    const decoder = new TextDecoder();
    let printed = 0;
    let backoff = 1000;
    try {
      while (!stopped) {
        try {
          const res = await c.raw('GET', c.analyticsPath('/stream'), {
            query: { campaignId: o.campaign },
            headers: { accept: 'text/event-stream', ...(parser.lastEventId && { 'last-event-id': parser.lastEventId }) },
            bodyTimeout: 0,
            signal: controller.signal,
          });
          await streamed(res, c.url, 'events');
          process.stderr.write('(following the analytics stream; Ctrl-C to stop)\n');
          backoff = parser.retryMs ?? 1000;
          for await (const chunk of res.body) {
            for (const e of parser.push(decoder.decode(chunk as Buffer, { stream: true }))) {
              const lines = o.json
                ? [JSON.stringify({ event: e.event, id: e.id ?? null, data: safeJson(e.data) })]
                : formatEvent(e, o.campaign);
              for (const line of lines) process.stdout.write(line + '\n');
              if (lines.length && o.count && ++printed >= o.count) return stop();
            }
          }
          if (!o.reconnect) return;
          process.stderr.write(`(stream ended; reconnecting in ${backoff / 1000} s)\n`);
        } catch (err) {
          // Auth and scope errors will not fix themselves; a dropped connection might.
          if (stopped || (err as Error).name === 'AbortError') return;
          if (err instanceof ApiError && err.status < 500 && err.status !== 429) throw err;
          if (!o.reconnect) throw err;
          process.stderr.write(`(${(err as Error).message}; reconnecting in ${backoff / 1000} s)\n`);
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 30_000);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function registerEventCommands(program: Command) {
  const events = program.command('events').description('live analytics events');
  events
    .command('tail')
    .description('print funnel changes from the Server-Sent Events stream as they happen, until Ctrl-C')
    .option('--campaign <campaignId>', 'only lines about this campaign')
    .option('--count <n>', 'exit after printing n events (for scripts)', intArg(1, 1_000_000))
    .option('--json', 'one JSON object per event: {event, id, data}')
    .option('--no-reconnect', 'exit when the stream ends instead of reconnecting')
    .action(action(tail));
}
