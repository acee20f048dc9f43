// `tenx partners ...`: the handle's partners (contract v2.1); their portal tokens (tenx_ptk_) are partner-tokens.ts.
import { Option, type Command } from 'commander';
import { decimalArg, slugIdArg } from './args.ts';
import { withClient, type TenxClient } from './client.ts';
import { registerGetCommand } from './get-command.ts';
import { UsageError } from './errors.ts';
import { registerPartnerTokenCommands } from './partner-tokens.ts';
import { action, money, printJson, printTable } from './output.ts';

interface Partner {
  partnerId: string;
  name: string;
  email?: string | null;
  status: string;
  minimumPayout?: number;
  createdAt?: string;
}

const STATUSES = ['ACTIVE', 'SUSPENDED'];

const describePartner = (p: Partner) =>
  [
    `${p.partnerId}  ${p.status}`,
    `  name:            ${p.name}`,
    `  e-mail:          ${p.email ?? '-'}`,
    `  minimum payout:  ${money(p.minimumPayout)}`,
    `  created:         ${p.createdAt ?? '-'}`,
  ].join('\n') + '\n';
const path = (c: TenxClient, id?: string) => c.handlePath(`/partners${id ? `/${encodeURIComponent(id)}` : ''}`);

export function registerPartnerCommands(program: Command) {
  const partners = program.command('partners').description('partners of the handle: list, show one, create, update; issue, list and revoke portal tokens (partners.read / partners.write)');

  partners
    .command('list')
    .description('list partners')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        await withClient(async (c) => {
          const page = await c.list<Partner>(path(c));
          if (o.json) return printJson(page);
          printTable(page.data, [
            { header: 'PARTNER', value: (p) => p.partnerId },
            { header: 'NAME', value: (p) => p.name },
            { header: 'STATUS', value: (p) => p.status },
            { header: 'MIN PAYOUT', value: (p) => money(p.minimumPayout), align: 'right' },
            { header: 'EMAIL', value: (p) => p.email },
          ], 'no partners yet');
        });
      }),
    );

  registerGetCommand(partners, {
    argument: ['<partnerId>', 'its id', slugIdArg('partner')],
    description: 'show one partner: name, status, e-mail, minimum payout, since when (a partner login: tenx whoami)',
    path: (c, partnerId) => {
      if (c.isPartner) throw new UsageError('a partner login reads its own partner, with its balances, by tenx whoami');
      return path(c, partnerId);
    },
    describe: describePartner,
  });

  partners
    .command('create <partnerId>')
    .description('create a partner')
    .requiredOption('--name <name>', 'display name')
    .option('--email <email>', 'contact e-mail')
    .addOption(new Option('--status <status>', 'initial status').choices(STATUSES))
    .option('--minimum-payout <amount>', 'smallest payout (default 0)', decimalArg())
    .option('--json', 'print the raw JSON')
    .action(
      action(async (partnerId: string, o: { name: string; email?: string; status?: string; minimumPayout?: number; json?: boolean }) => {
        await withClient(async (c) => {
          const p: Partner = await c.post(path(c), {
            partnerId, name: o.name, ...(o.email && { email: o.email }), ...(o.status && { status: o.status }),
            ...(o.minimumPayout !== undefined && { minimumPayout: o.minimumPayout }),
          });
          if (o.json) return printJson(p);
          process.stdout.write(`Created partner ${p.partnerId} (${p.name}), ${p.status}.\n`);
        });
      }),
    );

  partners
    .command('update')
    .argument('<partnerId>', 'its id', slugIdArg('partner'))
    .description('change a partner: name, e-mail, status (SUSPENDED: links keep redirecting, new commissions are rejected), minimum payout')
    .option('--name <name>', 'display name')
    .option('--email <email>', "contact e-mail; --email '' removes it")
    .addOption(new Option('--status <status>', 'status').choices(STATUSES))
    .option('--minimum-payout <amount>', 'smallest payout', decimalArg())
    .option('--json', 'print the raw JSON')
    .action(
      action(async (partnerId: string, o: { name?: string; email?: string; status?: string; minimumPayout?: number; json?: boolean }) => {
        const body = {
          // '' clears it (the API's null), as --title '' does a campaign's title.
          ...(o.name !== undefined && { name: o.name }), ...(o.email !== undefined && { email: o.email === '' ? null : o.email }),
          ...(o.status && { status: o.status }), ...(o.minimumPayout !== undefined && { minimumPayout: o.minimumPayout }),
        };
        if (!Object.keys(body).length) throw new UsageError('nothing to update: give --name, --email, --status or --minimum-payout');
        await withClient(async (c) => {
          const p: Partner = await c.patch(path(c, partnerId), body);
          if (o.json) return printJson(p);
          process.stdout.write(`Updated partner ${p.partnerId}: ${p.name}, ${p.status}, minimum payout ${money(p.minimumPayout)}.\n`);
        });
      }),
    );

  registerPartnerTokenCommands(partners);
}
