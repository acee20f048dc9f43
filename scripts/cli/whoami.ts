// `tenx whoami`: who the CLI acts as (URL, handle, token), and for a partner its status and balances (what it will be
// paid), which before needed curl on GET …/partner.
import type { Command } from 'commander';
import { withClient } from './client.ts';
import { redactUrl } from './config.ts';
import { action, examples, money, printJson, printTable } from './output.ts';

interface PartnerMe {
  partnerId: string;
  name: string;
  status: string;
  balances?: Array<{ currency: string; pending: number; approved: number; paid: number }>;
}

interface CurrentToken {
  kind: 'pat' | 'admin';
  handle: string;
  tokenId: string | null;
  name: string | null;
  scopes: string[];
  expiresAt: string | null;
  owner?: boolean;
}

export function registerWhoamiCommand(program: Command) {
  program
    .command('whoami')
    .description("who the CLI acts as: server, handle and token; a partner's status and balances by currency (pending, approved, paid)")
    .option('--json', 'print the raw JSON')
    .addHelpText('after', examples('tenx whoami', 'TENX_TOKEN=tenx_ptk_… tenx whoami --json'))
    .action(
      action(async (o: { json?: boolean }) => {
        await withClient(async (c) => {
          if (c.isPartner) {
            const me: PartnerMe = await c.get(c.handlePath('/partner'));
            // An approved balance below it is paid by no run yet (a server without the route says nothing of it).
            const terms = await c.get<{ minimumPayout: number }>(c.handlePath('/partner/payout-terms')).catch(() => null);
            if (o.json) return printJson({ url: redactUrl(c.url), handle: c.handle, partner: me, ...(terms && { payoutTerms: terms }) });
            process.stdout.write(`${redactUrl(c.url)}, handle ${c.handle}: partner ${me.partnerId} (${me.name}), ${me.status}\n`);
            if (me.status === 'SUSPENDED') process.stdout.write('Suspended: your links keep working, but new commissions are rejected until the network reactivates you.\n');
            printTable(me.balances ?? [], [
              { header: 'CURRENCY', value: (b) => b.currency },
              { header: 'PENDING', value: (b) => money(b.pending), align: 'right' },
              { header: 'APPROVED', value: (b) => money(b.approved), align: 'right' },
              { header: 'PAID', value: (b) => money(b.paid), align: 'right' },
            ], 'no balance yet: your first commission opens one');
            if (terms && terms.minimumPayout > 0) {
              process.stdout.write(`minimum payout: ${money(terms.minimumPayout)} in each currency (an approved balance below it waits for a later run)\n`);
            }
            return;
          }
          const t: CurrentToken = await c.get(c.handlePath('/tokens/current'));
          if (o.json) return printJson({ url: redactUrl(c.url), handle: c.handle, token: t });
          const who = t.kind === 'admin' ? "the operator's admin token (every handle, every scope)"
            // "the owner token owner (…)" read as a stutter: the owner's name is said only when it is not "owner".
            : `${t.owner ? `the owner token${t.name && t.name !== 'owner' ? ` ${t.name}` : ''}` : `token ${t.name ?? ''}`} (${t.tokenId})${t.expiresAt ? `, expires ${t.expiresAt}` : ''}`;
          process.stdout.write(`${redactUrl(c.url)}, handle ${c.handle}: ${who}\nscopes: ${t.scopes.join(', ')}\n`);
        });
      }),
    );
}
