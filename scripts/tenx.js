#!/usr/bin/env node
// The package's bin: runs the TypeScript CLI through tsx (a dependency), so no build step is needed.
// Both hooks, as `node --import tsx` registers them: a plugin outside this package (PLUGINS=...)
// is a .ts or .js file whose module format Node decides by its own package.json, so without the
// CommonJS hook a file with `export default` outside a "type": "module" package cannot load.
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

registerCjs();
register();
await import('./tenx.ts');
