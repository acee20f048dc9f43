import { asClass } from 'awilix';
import type { TenxModule } from '../module.ts';
import { AutoApproval } from './auto-approval.ts';
import { CommissionLedger } from './ledger.ts';
import { RewardService } from './rewards.ts';
import { commissionRoutes } from './routes.ts';

// What other modules use: the SQL their statements embed to write commissions in their own transaction.
export { applicableRule, clickCommissionUpsert, conversionCommissionInsert, holdForReviewUpdate } from './commission-sql.ts';
export { COMMISSION_COLUMNS } from './columns.ts';
export { statusAuditInsert } from './status-audit.ts';
export { commissionCreatedAudit, commissionEventInsert } from './events.ts';
export { cancelPayoutSql, PAYOUT_COLUMNS, payoutAuditInsert, payoutEventInsert, type PayoutEventType } from './payout-rows.ts';
export { ledgerMismatches, type LedgerMismatch } from './reconcile.ts';
export { reverseConversionCommissions, type ConversionReversal } from './reversal.ts';
export { centsOf, centsProblems, centsToText, moneyOf, moneyText, percentOfCents, toCents } from './money.ts';
export type { CommissionStatus } from './lifecycle.ts';
export { ID_PATTERN, commissionList, commissionResponse, listCommissionsQuery } from './schemas.ts';
export type { CommissionFilters, CommissionLedger } from './ledger.ts';

/** Reward rules, the commission ledger and its automatic approval. */
export const commissionsModule: TenxModule = {
  name: 'commissions',
  register(container) {
    container.register({
      rewards: asClass(RewardService).singleton(),
      commissionLedger: asClass(CommissionLedger).singleton(),
      autoApproval: asClass(AutoApproval).singleton(),
    });
  },
  routes: () => commissionRoutes,
  async start({ autoApproval }) {
    await (autoApproval as AutoApproval).start();
  },
  async stop({ autoApproval }) {
    await (autoApproval as AutoApproval).stop();
  },
};
