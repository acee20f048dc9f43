#!/usr/bin/env -S node --import tsx
import { Command } from 'commander';
import { registerOperatorCommands } from './cli/operator.ts';
import { registerApiCommands } from './cli/api-commands.ts';

const program = new Command('tenx')
  .description('tenx: partner tracking — run the server, or drive its API with a personal access token')
  .version('0.1.0')
  .showHelpAfterError();

registerOperatorCommands(program);
registerApiCommands(program);

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`tenx: ${err.message}\n`);
  process.exit(1);
});
