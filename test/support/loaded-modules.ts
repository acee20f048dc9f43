// Preloaded with `node --import` into a child process: writes every module URL it loaded, one a line,
// to the file named by TENX_LOADED_MODULES when it exits (test/integration/cli-startup.test.ts), and Node's own
// modules (internal ones too, which the hooks never see) to the same name plus `.builtin`.
import { writeFileSync } from 'node:fs';
import module from 'node:module';

const loaded: string[] = [];
module.registerHooks({
  load(url, context, next) {
    loaded.push(url);
    return next(url, context);
  },
});
process.on('exit', () => {
  writeFileSync(process.env.TENX_LOADED_MODULES!, loaded.join('\n') + '\n');
  // Undocumented but long-standing (Node's own tests read it); not in @types/node.
  const { moduleLoadList } = process as unknown as { moduleLoadList: string[] };
  const builtin = moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  writeFileSync(`${process.env.TENX_LOADED_MODULES!}.builtin`, builtin.join('\n') + '\n');
});
