import { asClass } from 'awilix';
import type { TenxModule } from '../module.ts';
import { PartnerMinimums } from './minimum-payout.ts';
import { payoutRoutes } from './routes.ts';
import { PayoutService } from './service.ts';

export { listPayoutsQuery, payoutParams, payoutResponse, statementQuery } from './schemas.ts';
export { answerStatement, statementResponse } from './statement-answer.ts';
export type { PayoutService } from './service.ts';

/** Payouts of the commission ledger: runs, statements, mark-paid and cancel. */
export const payoutsModule: TenxModule = {
  name: 'payouts',
  register(container) {
    container.register({
      partnerMinimums: asClass(PartnerMinimums).singleton(),
      payouts: asClass(PayoutService).singleton(),
    });
  },
  routes: () => payoutRoutes,
};
