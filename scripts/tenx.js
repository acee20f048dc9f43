#!/usr/bin/env node
// The package's bin (and `npm start`): checks the runtime, then runs the TypeScript CLI with Node's
// own type stripping — no loader, no build step. Plugins outside the checkout (PLUGINS=...) load the
// same way: Node decides a .ts or .js file's module format by its package.json, or by its syntax.
import module from 'node:module';
import { checkNodeVersion } from './node-version.js';

checkNodeVersion();
// Node's on-disk cache of compiled (and type-stripped) modules: a CLI start costs a third of the CPU.
module.enableCompileCache();
await import('./tenx.ts');
