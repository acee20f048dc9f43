// `tenx handle show|update`: the handle's own settings. `publicConversions` decides what a conversion posted with the
// ctx alone (no merchant token) gets: accept, flag (recorded, never verified) or refuse (401) (API.md v2.1).
import { Option, type Command } from 'commander';
import { withClient } from './client.ts';
import { UsageError } from './errors.ts';
import { action, printJson } from './output.ts';

interface Handle {
  handle: string;
  name: string;
  reportingCurrency: string;
  publicConversions: string;
  createdAt: string;
}

const SAID: Record<string, string> = {
  accept: 'recorded, as with a merchant token',
  flag: 'recorded unauthenticated: never verified, its commissions never approve by themselves',
  refuse: 'refused (401)',
};

function describe(h: Handle): string {
  return [
    `${h.handle}  ${h.name}`,
    `  reporting currency:  ${h.reportingCurrency}`,
    `  public conversions:  ${h.publicConversions} (a conversion with the ctx alone is ${SAID[h.publicConversions] ?? h.publicConversions})`,
    `  created:             ${h.createdAt}`,
  ].join('\n') + '\n';
}

export function registerHandleCommands(program: Command) {
  const handle = program.command('handle').description("the handle's own settings: its name and what a conversion posted without a merchant token gets");

  handle
    .command('show')
    .description('show the handle: name, reporting currency, publicConversions (campaigns.read)')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        await withClient(async (c) => {
          const h: Handle = await c.get(c.handlePath());
          if (o.json) return printJson(h);
          process.stdout.write(describe(h));
        });
      }),
    );

  handle
    .command('update')
    .description("change the handle's name or publicConversions: conversions.write may tighten it (accept → flag → refuse); a rename or a loosening takes a token holding every scope")
    .option('--name <name>', 'the name people read')
    .addOption(new Option('--public-conversions <mode>', 'what a conversion posted with the ctx alone gets').choices(Object.keys(SAID)))
    .option('--json', 'print the updated handle as JSON')
    .action(
      action(async (o: { name?: string; publicConversions?: string; json?: boolean }) => {
        const body = { ...(o.name !== undefined && { name: o.name }), ...(o.publicConversions && { publicConversions: o.publicConversions }) };
        if (!Object.keys(body).length) throw new UsageError('nothing to update: give --name or --public-conversions');
        await withClient(async (c) => {
          const h: Handle = await c.patch(c.handlePath(), body);
          if (o.json) return printJson(h);
          process.stdout.write(`Updated handle ${describe(h)}`);
        });
      }),
    );
}
