import type { Pool } from 'pg';
import type { AuditService } from '../audit/index.ts';
import { withTransaction } from '../db/transaction.ts';
import { insufficientScope, notFound } from '../http/errors.ts';
import { SCOPES, type Principal } from '../http/route.ts';
import type { Bus } from '../infra/bus.ts';

/** Bus channel: a handle's settings changed; every process drops what it cached about the handle. */
export const HANDLE_SETTINGS_CHANGED = 'handles.settings-changed';

/**
 * What a conversion posted with a ctx only gets: `accept` (v2: counted, verified when
 * its click is), `flag` (recorded, never verified), `refuse` (401 without a merchant token).
 */
export const PUBLIC_CONVERSIONS = ['accept', 'flag', 'refuse'] as const;
export type PublicConversions = (typeof PUBLIC_CONVERSIONS)[number];

/** Whether `to` trusts ctx-only submissions more than `from` (refuse → flag → accept). */
const loosens = (from: PublicConversions, to: PublicConversions) => PUBLIC_CONVERSIONS.indexOf(to) < PUBLIC_CONVERSIONS.indexOf(from);

export interface HandlePatch {
  name?: string;
  publicConversions?: PublicConversions;
}

interface HandleRow {
  handle: string;
  name: string;
  reportingCurrency: string;
  publicConversions: PublicConversions;
  createdAt: Date;
}

const COLUMNS = `handle, name, reporting_currency as "reportingCurrency", public_conversions as "publicConversions", created_at as "createdAt"`;

/** PATCH /v2/handles/{handle}: a handle's own settings, audited, and published to every process. */
export class HandleSettingsService {
  private readonly deps: { pg: Pool; audit: AuditService; bus: Bus; principal: Principal };

  constructor(deps: { pg: Pool; audit: AuditService; bus: Bus; principal: Principal }) {
    this.deps = deps;
  }

  async get(handle: string): Promise<HandleRow> {
    const { rows } = await this.deps.pg.query(`select ${COLUMNS} from tenants where handle = $1`, [handle]);
    if (!rows[0]) throw notFound('Handle');
    return rows[0] as HandleRow;
  }

  async update(handle: string, patch: HandlePatch): Promise<HandleRow> {
    const result = await withTransaction(this.deps.pg, async (client) => {
      const { rows } = await client.query(`select ${COLUMNS} from tenants where handle = $1 for update`, [handle]);
      const before = rows[0] as HandleRow | undefined;
      if (!before) throw notFound('Handle');
      // Against the locked row: a concurrent change cannot turn a tightening into a loosening.
      this.authorize(before, patch);
      const after = { ...before, name: patch.name ?? before.name, publicConversions: patch.publicConversions ?? before.publicConversions };
      if (after.name === before.name && after.publicConversions === before.publicConversions) return { row: before, changed: false };
      const updated = await client.query(`update tenants set name = $2, public_conversions = $3 where handle = $1 returning ${COLUMNS}`,
        [handle, after.name, after.publicConversions]);
      const changes = Object.fromEntries((['name', 'publicConversions'] as const)
        .filter((k) => before[k] !== after[k]).map((k) => [k, { before: before[k], after: after[k] }]));
      await this.deps.audit.record({ handle, type: 'handle.updated', actor: this.deps.principal.actor, subjectId: handle, payload: { changes } }, client);
      return { row: updated.rows[0] as HandleRow, changed: true };
    });
    // Handed to every process before the answer: the next conversion anywhere gets the new setting (Bus.deliver).
    if (result.changed) await this.deps.bus.deliver(HANDLE_SETTINGS_CHANGED, { handle });
    return result.row;
  }

  /**
   * A rename, or publicConversions loosened (more ctx-only submissions counted, their commissions approved), takes a
   * token holding every scope: a merchant's conversions.write token lives on a shop's server and may only tighten it.
   */
  private authorize(before: HandleRow, patch: HandlePatch): void {
    const missing = SCOPES.find((scope) => !this.deps.principal.scopes.includes(scope));
    if (!missing) return;
    if (patch.name !== undefined) {
      throw insufficientScope(missing, "Renaming a handle takes a token holding every scope (the owner's)");
    }
    if (patch.publicConversions !== undefined && loosens(before.publicConversions, patch.publicConversions)) {
      throw insufficientScope(missing, `Loosening publicConversions (${before.publicConversions} → ${patch.publicConversions}) takes a token holding every scope (the owner's); a conversions.write token may only tighten it (accept → flag → refuse)`);
    }
  }
}
