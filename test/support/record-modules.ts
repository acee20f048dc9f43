// Preloaded with `--import` (NODE_OPTIONS) into a child tenx: records every module the process
// loads, ES or CommonJS, and writes the list to RECORD_MODULES_TO when the process exits.
import module from 'node:module';
import { writeFileSync } from 'node:fs';

const file = process.env.RECORD_MODULES_TO;
if (file) {
  const loaded = new Set<string>();
  module.registerHooks({
    load(url, context, next) {
      loaded.add(url);
      return next(url, context);
    },
  });
  process.on('exit', () => writeFileSync(file, [...loaded].join('\n')));
}
