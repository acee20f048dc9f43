import { auditInsertSql } from '../audit/index.ts';

/**
 * The audit event of each status change, as a CTE body over `moved` rows (handle, commission_id,
 * campaign_id, partner_id, from_status, status, reason): type `commission.status_changed`, actor and why.
 * Stamped with the row's updated_at: the statement that moved it (statement_timestamp(), after the statement that locked
 * its rows and may have waited), not the transaction's start: a bulk approval that waited for a rival PATCH's row lock
 * was logged before the PATCH, so the log read as if the commission had ended rejected. Automatic approval, which skips
 * locked rows, keeps now().
 */
export const statusAuditInsert = (moved: string, actor: string, via: string, reason = 'reason') => `
  ${auditInsertSql({
    handle: 'handle', type: "'commission.status_changed'", actor, createdAt: 'updated_at', campaignId: 'campaign_id', subjectId: 'commission_id::text',
    payload: `jsonb_build_object('commissionId', commission_id, 'partnerId', partner_id, 'from', from_status, 'to', status,
                            'reason', ${reason}, 'via', ${via})`,
    from: moved,
  })}`;
