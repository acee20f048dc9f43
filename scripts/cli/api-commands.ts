import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * API client commands, by top-level name: each talks to the HTTP API with the stored PAT, exactly as a
 * script would. Loaded on demand: `tenx campaigns list` imports campaigns.ts alone, not every command
 * file (scripts/tenx.ts); help and unknown names register them all, in this order.
 */
export const API_COMMANDS: Record<string, () => Promise<Register>> = {
  login: async () => (await import('./login.ts')).registerLoginCommands,
  logout: async () => (await import('./login.ts')).registerLoginCommands,
  whoami: async () => (await import('./whoami.ts')).registerWhoamiCommand,
  handle: async () => (await import('./handle.ts')).registerHandleCommands,
  campaigns: async () => (await import('./campaigns.ts')).registerCampaignCommands,
  analytics: async () => (await import('./analytics.ts')).registerAnalyticsCommands,
  export: async () => (await import('./export.ts')).registerExportCommand,
  events: async () => (await import('./events.ts')).registerEventCommands,
  webhooks: async () => (await import('./webhooks.ts')).registerWebhookCommands,
  notifications: async () => (await import('./webhooks.ts')).registerWebhookCommands,
  conversions: async () => (await import('./conversions.ts')).registerConversionCommands,
  audit: async () => (await import('./audit.ts')).registerAuditCommands,
  tokens: async () => (await import('./tokens.ts')).registerTokenCommands,
  partners: async () => (await import('./partners.ts')).registerPartnerCommands,
  rewards: async () => (await import('./rewards.ts')).registerRewardCommands,
  commissions: async () => (await import('./commissions.ts')).registerCommissionCommands,
  payouts: async () => (await import('./payouts.ts')).registerPayoutCommands,
  postbacks: async () => (await import('./postbacks.ts')).registerPostbackCommands,
  plugins: async () => (await import('./plugins.ts')).registerPluginCommands,
};

/** Registers every API command (each file once: login/logout and webhooks/notifications share one). */
export async function registerApiCommands(program: Command) {
  const registers = await Promise.all(Object.values(API_COMMANDS).map((load) => load()));
  for (const register of new Set(registers)) register(program);
}
