// `tenx partners token|tokens ...`: a partner's portal tokens (tenx_ptk_): issue one, list them, revoke one (partners.write).
import type { Command } from 'commander';
import { timeArg, uuidArg } from './args.ts';
import { withClient, type TenxClient } from './client.ts';
import { redactUrl } from './config.ts';
import { action, examples, printJson, printTable } from './output.ts';
import { alreadyRevoked, revokeToken } from './revoke.ts';

interface PartnerToken {
  tokenId: string;
  partnerId: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  createdAt: string;
  revokedAt: string | null;
  token?: string;
}

const path = (c: TenxClient, partnerId: string) => c.handlePath(`/partners/${encodeURIComponent(partnerId)}/tokens`);

export function registerPartnerTokenCommands(partners: Command) {
  partners
    .command('token <partnerId>')
    .description('issue a partner token for the portal and `tenx login`; prints the secret once (stdout: the token alone)')
    .option('--name <name>', 'what the token is for', 'portal')
    .option('--postbacks', 'also allow partner.postbacks.write')
    .option('--expires-at <time>', 'ISO-8601 expiry', timeArg)
    .option('--json', 'print the raw JSON (includes the secret)')
    .addHelpText('after', examples('GAMMA=$(tenx partners token gamma --name laptop)   # then: tenx partners tokens list gamma'))
    .action(
      action(async (partnerId: string, o: { name: string; postbacks?: boolean; expiresAt?: string; json?: boolean }) => {
        await withClient(async (c) => {
          const t: PartnerToken = await c.post(path(c, partnerId), {
            name: o.name, ...(o.postbacks && { scopes: ['partner.read', 'partner.postbacks.write'] }), ...(o.expiresAt && { expiresAt: o.expiresAt }),
          });
          if (o.json) return printJson(t);
          process.stderr.write(`Created partner token ${t.tokenId} for ${partnerId} (${t.scopes.join(', ')}); shown only once. `
            + `The partner signs in at ${redactUrl(c.url)}/dashboard with handle ${c.handle} and this token, or runs tenx login with it.\n`);
          process.stdout.write(`${t.token}\n`);
        });
      }),
    );

  const tokens = partners.command('tokens').description("a partner's tokens: list them, revoke one (issue one with `tenx partners token`)");

  tokens
    .command('list <partnerId>')
    .description("list a partner's tokens, revoked ones included (never their secrets)")
    .option('--json', 'print the raw JSON ({data, nextCursor})')
    .addHelpText('after', examples('tenx partners tokens list gamma'))
    .action(
      action(async (partnerId: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const page = await c.list<PartnerToken>(path(c, partnerId));
          if (o.json) return printJson(page);
          printTable(page.data, [
            { header: 'TOKEN', value: (t) => t.tokenId },
            { header: 'NAME', value: (t) => t.name },
            { header: 'SCOPES', value: (t) => t.scopes },
            { header: 'CREATED', value: (t) => t.createdAt },
            { header: 'EXPIRES', value: (t) => t.expiresAt ?? 'never' },
            { header: 'REVOKED', value: (t) => t.revokedAt },
          ], `${partnerId} has no tokens`);
        });
      }),
    );

  tokens
    .command('revoke')
    .description('revoke a partner token: it answers 401 from then on and its open live streams end (revoking it again changes nothing: "Already revoked (at …)")')
    .argument('<partnerId>', 'the partner the token was issued to')
    .argument('<tokenId>', 'the token\'s id (from `tenx partners tokens list`)', uuidArg)
    .option('--json', 'print the raw JSON')
    .addHelpText('after', examples('tenx partners tokens revoke gamma 0193c2a4-5b1e-7c3d-9f00-2a6b8e4d1c77'))
    .action(
      action(async (partnerId: string, tokenId: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const { token: t, already } = await revokeToken<PartnerToken>(c, path(c, partnerId), tokenId);
          if (o.json) return printJson(t);
          const what = `partner token ${t.tokenId} "${t.name}" of ${t.partnerId}`;
          process.stdout.write(already ? alreadyRevoked(what, t.revokedAt) : `Revoked ${what} (at ${t.revokedAt}); it answers 401 from now on.\n`);
        });
      }),
    );
}
