#!/usr/bin/env node
// The package's bin (and `npm start`): checks the runtime, then runs the TypeScript CLI with Node's
// own type stripping — no loader, no build step. Plugins outside the checkout (PLUGINS=...) load the
// same way: Node decides a .ts or .js file's module format by its package.json, or by its syntax.
import module from 'node:module';
import { checkNodeVersion } from './node-version.js';

checkNodeVersion();

// Commands that run the embedded PostgreSQL (no DATABASE_URL) restart this process in place (same
// pid, stdio and environment) with V8's baseline WebAssembly compiler only: its optimizing tier
// spends ~500 MB of RSS compiling PGlite's largest functions (measured: peak 830–1250 MB with it,
// under 320 MB without, queries no slower for tenx's embedded use). `node --no-liftoff-only` opts out.
const EMBEDDED_COMMANDS = new Set(['serve', 'migrate', 'reconcile']);
const tierFlag = process.execArgv.some((a) => /^--(no-)?liftoff-only$/.test(a));
if (!process.env.DATABASE_URL && EMBEDDED_COMMANDS.has(process.argv[2]) && !tierFlag && typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, '--liftoff-only', ...process.execArgv, ...process.argv.slice(1)], process.env);
}

// Node's on-disk cache of compiled (and type-stripped) modules: a CLI start costs a third of the CPU.
module.enableCompileCache();
await import('./tenx.ts');
