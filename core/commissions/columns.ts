/** The commission object of the contract, selected from `commissions c`. */
export const COMMISSION_COLUMNS = `c.commission_id as "commissionId", c.partner_id as "partnerId", c.campaign_id as "campaignId",
  c.conversion_id as "conversionId", c.type, c.event_type as "eventType", c.quantity, c.amount, c.currency, c.status,
  c.hold_until as "holdUntil", c.reason, c.payout_id as "payoutId", c.sub1, c.sub2, c.sub3, c.sub4, c.sub5,
  c.created_at as "createdAt", c.updated_at as "updatedAt"`;

/** A click row whose UTC day is still running (accruing, not final). */
export const OPEN_DAY = `(c.type = 'click' and c.day >= (now() at time zone 'UTC')::date)`;
