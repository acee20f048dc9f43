// Preloaded with `node --import` into a child process: writes every module URL it loaded, one a line,
// to the file named by TENX_LOADED_MODULES when it exits (test/integration/cli-startup.test.ts).
import { writeFileSync } from 'node:fs';
import module from 'node:module';

const loaded: string[] = [];
module.registerHooks({
  load(url, context, next) {
    loaded.push(url);
    return next(url, context);
  },
});
process.on('exit', () => writeFileSync(process.env.TENX_LOADED_MODULES!, loaded.join('\n') + '\n'));
