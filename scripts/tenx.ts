#!/usr/bin/env node
import { Command, Help, type CommanderError } from 'commander';
import { API_COMMANDS, registerApiCommands } from './cli/api-commands.ts';
import { EXIT_OK, EXIT_USAGE, reportAndExit } from './cli/errors.ts';

// `tenx commissions list | head`: the reader closing the pipe ends the command quietly, as with any Unix tool.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

const program = new Command('tenx')
  .description('tenx: partner tracking — run the server, or drive its API with a personal access token')
  .version('0.1.0')
  // One line to say what to read next: the whole usage (20-60 lines) after each usage error buried its one sentence (a CLI pass).
  .showHelpAfterError('(add --help for its usage and examples)')
  // A required option (--name, --reason, --out …) said so in help: it read as optional, then exit 2 without it.
  .configureHelp({ optionDescription: (option) => `${new Help().optionDescription(option)}${option.mandatory ? ' (required)' : ''}` })
  // Set before any subcommand exists so every one inherits it: usage errors exit 2 (API errors exit 1).
  .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_USAGE));

// An API command loads its own file only (a one-call command should start in well under 0.5 s);
// operator commands, help, --version and unknown names register everything, operator commands first.
const name = process.argv[2];
if (name !== undefined && Object.hasOwn(API_COMMANDS, name)) (await API_COMMANDS[name]())(program);
else {
  const { registerOperatorCommands } = await import('./cli/operator.ts');
  registerOperatorCommands(program);
  await registerApiCommands(program);
}

program.parseAsync(process.argv).catch(reportAndExit);
