import type { Command } from 'commander';

/** API client commands (login, campaigns, analytics, export, webhooks, events) register here. */
export function registerApiCommands(_program: Command) {}
