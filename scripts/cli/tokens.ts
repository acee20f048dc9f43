// `tenx tokens ...`: narrow personal access tokens for automation (e.g. a commission engine with webhooks.write only).
import type { Command } from 'commander';
import { choiceListArg, timeArg, uuidArg } from './args.ts';
import { withClient, type TenxClient } from './client.ts';
import { readStoredCredentials, storeCredentials } from './config.ts';
import { ApiError, withHint } from './errors.ts';
import { action, printJson, printTable } from './output.ts';
import { alreadyRevoked, revokeToken } from './revoke.ts';

// The server's list (core/http/route.ts SCOPES, contract v2.1); the CLI talks HTTP only, so it keeps a copy.
export const SCOPES = [
  'campaigns.read', 'campaigns.write', 'analytics.read', 'webhooks.read', 'webhooks.write',
  'notifications.read', 'tokens.write', 'plugins.read', 'plugins.write',
  'partners.read', 'partners.write', 'conversions.read', 'conversions.write',
  'commissions.read', 'commissions.write', 'payouts.read', 'payouts.write', 'audit.read',
];

interface Token {
  tokenId: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  createdAt?: string;
  revokedAt?: string | null;
  token?: string;
}

/** The id of the token this command runs with (GET …/tokens/current needs no scope); null if it cannot tell. */
async function currentTokenId(c: TenxClient): Promise<string | null> {
  try {
    return (await c.get<{ tokenId?: string }>(c.handlePath('/tokens/current'))).tokenId ?? null;
  } catch {
    return null;
  }
}

/**
 * After rotating the token the CLI itself runs with, the old secret is dead: keep the stored login working
 * by writing the new secret into it (only when the token came from that login, not TENX_TOKEN), else say
 * that TENX_TOKEN must change.
 */
function followRotation(oldToken: string, newToken: string) {
  if (process.env.TENX_TOKEN) {
    process.stderr.write('It was the token in TENX_TOKEN, which still holds the old secret: set TENX_TOKEN to the new one.\n');
    return;
  }
  const stored = readStoredCredentials();
  if (stored.token !== oldToken || !stored.url || !stored.handle) return;
  const path = storeCredentials({ url: stored.url, handle: stored.handle, token: newToken });
  process.stderr.write(`It was the token of your login: ${path} now holds the new secret.\n`);
}

export function registerTokenCommands(program: Command) {
  const tokens = program.command('tokens').description('personal access tokens of the handle (scope tokens.write)');

  tokens
    .command('create')
    .description('issue a token; prints the secret once (stdout: the token alone, for $(...))')
    .requiredOption('--name <name>', 'what the token is for')
    .requiredOption('--scopes <scopes>', `comma-separated: ${SCOPES.join(', ')}`, choiceListArg(SCOPES, 'scope'))
    .option('--expires-at <time>', 'ISO-8601 expiry, no later than the calling token\'s (default: the calling token\'s expiry; never for the owner)', timeArg)
    .option('--json', 'print the raw JSON (includes the secret)')
    .action(
      action(async (o: { name: string; scopes: string[]; expiresAt?: string; json?: boolean }) => {
        await withClient(async (c) => {
          const t: Token = await c.post(c.handlePath('/tokens'), { name: o.name, scopes: o.scopes, ...(o.expiresAt && { expiresAt: o.expiresAt }) });
          if (o.json) return printJson(t);
          process.stderr.write(`Created token ${t.tokenId} "${t.name}" (${t.scopes.join(', ')}); the secret below is shown only once.\n`);
          process.stdout.write(`${t.token}\n`);
        });
      }),
    );

  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        await withClient(async (c) => {
          const page = await c.list<Token>(c.handlePath('/tokens'));
          if (o.json) return printJson(page);
          printTable(page.data, [
            { header: 'TOKEN', value: (t) => t.tokenId },
            { header: 'NAME', value: (t) => t.name },
            { header: 'EXPIRES', value: (t) => t.expiresAt ?? 'never' },
            { header: 'REVOKED', value: (t) => t.revokedAt },
            { header: 'SCOPES', value: (t) => t.scopes },
          ]);
        });
      }),
    );

  tokens
    .command('rotate')
    .argument('<tokenId>', 'its id (from `tenx tokens list`)', uuidArg)
    .description('replace a token\'s secret (same id and scopes); prints the new secret once, the old one stops working (the owner token is rotated, never revoked)')
    .option('--json', 'print the raw JSON (includes the secret)')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const own = (await currentTokenId(c)) === id;
          const t: Token = await c.post(c.handlePath(`/tokens/${encodeURIComponent(id)}/rotate`), {});
          if (o.json) printJson(t);
          else {
            process.stderr.write(`Rotated token ${t.tokenId} "${t.name}"; the old secret no longer works and the new one below is shown only once.\n`);
            process.stdout.write(`${t.token}\n`);
          }
          if (own && t.token) followRotation(c.token, t.token);
        });
      }),
    );

  tokens
    .command('revoke')
    .argument('<tokenId>', 'its id (from `tenx tokens list`)', uuidArg)
    .description('revoke a token (it answers 401 from then on; the owner token cannot be revoked, rotate it); a revoked one: "Already revoked (at …)"')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const { token: t, already } = await revokeToken<Token>(c, c.handlePath('/tokens'), id).catch((err: unknown) => {
            // The API names its rotate route; the CLI user wants the command.
            throw err instanceof ApiError && err.status === 409 ? withHint(err, `With the CLI: tenx tokens rotate ${id}`) : err;
          });
          if (o.json) return printJson(t);
          const what = `token ${id}${t?.name ? ` "${t.name}"` : ''}`;
          process.stdout.write(already ? alreadyRevoked(what, t?.revokedAt) : `Revoked ${what}.\n`);
        });
      }),
    );
}
