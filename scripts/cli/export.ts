// `tenx export`: streams the per-click export to a file in constant memory, counting bytes and rows as they pass.
import { renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { timeArg, toArg } from './args.ts';
import { streamed, withClient } from './client.ts';
import { ServerError, UsageError } from './errors.ts';
import { action, bytes } from './output.ts';
import { progress } from './progress.ts';

/** Counts records, not lines: a CSV newline inside a quoted field does not end a record. */
export class RecordCounter extends Transform {
  bytes = 0;
  records = 0;
  private inQuotes = false;

  private readonly csv: boolean;
  private readonly onChunk: () => void;
  constructor(csv: boolean, onChunk: () => void) {
    super();
    this.csv = csv;
    this.onChunk = onChunk;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void) {
    this.bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.csv && b === 0x22) this.inQuotes = !this.inQuotes;
      else if (b === 0x0a && !this.inQuotes) this.records++;
    }
    this.onChunk();
    cb(null, chunk);
  }

  /** Data rows written so far (the CSV header is not one). */
  rows(): number {
    return this.csv ? Math.max(0, this.records - 1) : this.records;
  }
}

interface ExportOptions {
  format: 'csv' | 'ndjson';
  out: string;
  campaign?: string;
  partner?: string;
  from?: string;
  to?: string;
  quiet?: boolean;
}

/** The file the rows go to, opened before the first row: a path that cannot be written is the command line's fault. */
async function openPartial(partial: string, out: string, abandon: () => void): Promise<Writable> {
  try {
    return (await open(partial, 'w', 0o600)).createWriteStream();
  } catch (err) {
    abandon();
    throw new UsageError(`cannot write --out ${out} (${(err as Error).message}); nothing was exported`);
  }
}

async function runExport(o: ExportOptions) {
  const toStdout = o.out === '-';
  // Written beside the target and renamed at the end, so a failed export never leaves a truncated file behind.
  const partial = `${o.out}.partial`;
  await withClient(async (c) => {
    const asked = await c.raw('GET', c.analyticsPath('/export'), {
      query: { format: o.format, campaignId: o.campaign, partnerId: c.partnerFilter(o.partner), from: o.from, to: o.to },
      headers: { accept: o.format === 'csv' ? 'text/csv' : 'application/x-ndjson' },
    });
    const res = await streamed(asked, c.url, o.format);
    const bar = progress({ quiet: o.quiet });
    const started = Date.now();
    const counter: RecordCounter = new RecordCounter(o.format === 'csv', () =>
      bar.update(`exporting: ${bytes(counter.bytes)}, ${counter.rows().toLocaleString('en-US')} rows`),
    );
    const sink: Writable = toStdout ? process.stdout : await openPartial(partial, o.out, () => res.body.destroy());
    let interrupted = false;
    const abort = () => {
      interrupted = true;
      res.body.destroy(new Error('Ctrl-C'));
    };
    process.once('SIGINT', abort);
    try {
      await pipeline(res.body, counter, sink, { end: !toStdout });
      if (!toStdout) renameSync(partial, o.out);
    } catch (err) {
      if (!toStdout) rmSync(partial, { force: true });
      throw new ServerError(`export ${interrupted ? 'interrupted' : 'failed'} after ${counter.rows()} rows (${(err as Error).message}); nothing was kept`);
    } finally {
      process.off('SIGINT', abort);
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    bar.done(`exported ${counter.rows().toLocaleString('en-US')} rows (${bytes(counter.bytes)}) ${toStdout ? 'to stdout' : `to ${o.out}`} in ${secs} s`);
  });
}

export function registerExportCommand(program: Command) {
  program
    .command('export')
    .description('stream one row per click (with bot verdict and conversions) to a file, for review or reconciliation')
    .addOption(new Option('--format <format>', 'file format').choices(['csv', 'ndjson']).default('csv'))
    .requiredOption('--out <file>', 'where to write it ("-" for stdout)')
    .option('--campaign <campaignId>', 'only this campaign (partner)')
    .option('--partner <partnerId>', "only this partner's clicks (handle tokens; a partner login exports its own)")
    .option('--from <time>', 'clicks from this ISO-8601 time', timeArg)
    .option('--to <time>', 'clicks before this ISO-8601 time; a bare date: to the end of that UTC day', toArg)
    .option('--quiet', 'no progress, only the final line')
    .action(action(runExport));
}
