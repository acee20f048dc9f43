import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/index.ts';

interface StoredSecrets {
  adminToken: string;
  ctxSecrets: string[];
  secretKey: string;
}

/**
 * Fills ADMIN_TOKEN, CTX_SECRETS and SECRET_KEY when the environment leaves them empty, from
 * DATA_DIR/secrets.json (created on first start with mode 0600), so restarts keep working links,
 * tokens and webhook secrets. Returns whether the admin token was generated now (to print it once).
 */
export function ensureSecrets(config: Config): { config: Config; generatedAdminToken: boolean } {
  const file = resolve(config.dataDir, 'secrets.json');
  let stored: StoredSecrets | null = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
  let generatedAdminToken = false;
  const needs = !config.adminToken || config.ctxSecrets.length === 0 || !config.secretKey;
  if (needs && !stored) {
    stored = {
      adminToken: `tenx_admin_${randomBytes(24).toString('base64url')}`,
      ctxSecrets: [randomBytes(32).toString('base64url')],
      secretKey: randomBytes(32).toString('base64url'),
    };
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    generatedAdminToken = !config.adminToken;
  }
  return {
    generatedAdminToken,
    config: {
      ...config,
      adminToken: config.adminToken || stored!.adminToken,
      ctxSecrets: config.ctxSecrets.length ? config.ctxSecrets : stored!.ctxSecrets,
      secretKey: config.secretKey || stored!.secretKey,
    },
  };
}
