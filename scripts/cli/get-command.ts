// `tenx <things> get <id>`: one object read from the API, as lines for people or as the API's JSON (--json). The
// campaign, partner, conversion and payout `get`s differ only in their id, path and lines.
import type { Command } from 'commander';
import { withClient, type TenxClient } from './client.ts';
import { action, examples, printJson } from './output.ts';

export interface GetCommand<T> {
  /** The id argument: its name (`<payoutId>`), what it is, and the parser that checks it before any request. */
  argument: [name: string, description: string, parse: (value: string) => string];
  description: string;
  examples?: string[];
  /** The object's path for this login; may throw a UsageError (a route the partner realm does not have). */
  path: (c: TenxClient, id: string) => string | Promise<string>;
  describe: (row: T) => string;
}

export function registerGetCommand<T>(parent: Command, spec: GetCommand<T>): void {
  const get = parent
    .command('get')
    .argument(...spec.argument)
    .description(spec.description)
    .option('--json', 'print the raw JSON');
  if (spec.examples) get.addHelpText('after', examples(...spec.examples));
  get.action(
    action(async (id: string, o: { json?: boolean }) => {
      await withClient(async (c) => {
        const row: T = await c.get(await spec.path(c, id));
        if (o.json) return printJson(row);
        process.stdout.write(spec.describe(row));
      });
    }),
  );
}
