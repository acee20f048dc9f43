import type { Command } from 'commander';
import { registerAnalyticsCommands } from './analytics.ts';
import { registerAuditCommands } from './audit.ts';
import { registerCampaignCommands } from './campaigns.ts';
import { registerConversionCommands } from './conversions.ts';
import { registerEventCommands } from './events.ts';
import { registerExportCommand } from './export.ts';
import { registerLoginCommands } from './login.ts';
import { registerPartnerCommands } from './partners.ts';
import { registerRewardCommands } from './rewards.ts';
import { registerCommissionCommands } from './commissions.ts';
import { registerPayoutCommands } from './payouts.ts';
import { registerTokenCommands } from './tokens.ts';
import { registerWebhookCommands } from './webhooks.ts';

/** API client commands: each talks to the HTTP API with the stored PAT, exactly as a script would. */
export function registerApiCommands(program: Command) {
  registerLoginCommands(program);
  registerCampaignCommands(program);
  registerAnalyticsCommands(program);
  registerExportCommand(program);
  registerEventCommands(program);
  registerWebhookCommands(program);
  registerConversionCommands(program);
  registerAuditCommands(program);
  registerTokenCommands(program);
  registerPartnerCommands(program);
  registerRewardCommands(program);
  registerCommissionCommands(program);
  registerPayoutCommands(program);
}
