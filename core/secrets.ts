import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/index.ts';

interface StoredSecrets {
  adminToken: string;
  ctxSecrets: string[];
  secretKey: string;
  /** false until a start has printed the generated admin token (absent in files written before it was kept: shown). */
  adminTokenShown?: boolean;
}

/**
 * Writes the file in one step, through a temporary file of this process's own: a process starting meanwhile reads
 * the old file or the new, never half of one. `create`: only if there is none yet (a link fails where the file
 * exists), so of two first starts on one DATA_DIR one writes and the other reads what it wrote; false for that one.
 */
function writeSecrets(file: string, stored: StoredSecrets, create = false): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(stored, null, 2), { mode: 0o600 });
  if (!create) {
    renameSync(tmp, file);
    return true;
  }
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Fills ADMIN_TOKEN, CTX_SECRETS and SECRET_KEY when the environment leaves them empty, from
 * DATA_DIR/secrets.json (created on first start with mode 0600), so restarts keep working links,
 * tokens and webhook secrets. `unshownAdminToken`: the admin token was generated and no start has printed it yet
 * (a first start that failed, e.g. its port taken, wrote the file but never got to its banner), so print it
 * and then call markAdminTokenShown.
 */
export function ensureSecrets(config: Config): { config: Config; unshownAdminToken: boolean } {
  const file = resolve(config.dataDir, 'secrets.json');
  let stored: StoredSecrets | null = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
  const needs = !config.adminToken || config.ctxSecrets.length === 0 || !config.secretKey;
  if (needs && !stored) {
    stored = {
      adminToken: `tenx_admin_${randomBytes(24).toString('base64url')}`,
      ctxSecrets: [randomBytes(32).toString('base64url')],
      secretKey: randomBytes(32).toString('base64url'),
      // Unused while ADMIN_TOKEN is set; shown by the first start without it (unshownAdminToken below).
      adminTokenShown: false,
    };
    mkdirSync(config.dataDir, { recursive: true });
    if (!writeSecrets(file, stored, true)) stored = JSON.parse(readFileSync(file, 'utf8')) as StoredSecrets;
  }
  return {
    unshownAdminToken: !config.adminToken && stored?.adminTokenShown === false,
    config: {
      ...config,
      adminToken: config.adminToken || stored!.adminToken,
      ctxSecrets: config.ctxSecrets.length ? config.ctxSecrets : stored!.ctxSecrets,
      secretKey: config.secretKey || stored!.secretKey,
    },
  };
}

/** Records that a start printed the generated admin token: later starts do not print it again. */
export function markAdminTokenShown(dataDir: string): void {
  const file = resolve(dataDir, 'secrets.json');
  const stored: StoredSecrets = JSON.parse(readFileSync(file, 'utf8'));
  if (stored.adminTokenShown !== false) return;
  writeSecrets(file, { ...stored, adminTokenShown: true });
}
