#!/usr/bin/env node
import { Command, type CommanderError } from 'commander';
import { registerOperatorCommands } from './cli/operator.ts';
import { registerApiCommands } from './cli/api-commands.ts';
import { EXIT_OK, EXIT_USAGE, reportAndExit } from './cli/errors.ts';

const program = new Command('tenx')
  .description('tenx: partner tracking — run the server, or drive its API with a personal access token')
  .version('0.1.0')
  .showHelpAfterError()
  // Set before any subcommand exists so every one inherits it: usage errors exit 2 (API errors exit 1).
  .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_USAGE));

registerOperatorCommands(program);
registerApiCommands(program);

program.parseAsync(process.argv).catch(reportAndExit);
