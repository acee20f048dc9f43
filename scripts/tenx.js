#!/usr/bin/env node
// The package's bin (and `npm start`): checks the runtime, then runs the TypeScript CLI with Node's
// own type stripping — no loader, no build step. Plugins outside the checkout (PLUGINS=...) load the
// same way: Node decides a .ts or .js file's module format by its package.json, or by its syntax.
import module from 'node:module';
import { checkNodeVersion } from './node-version.js';

checkNodeVersion();

// `tenx serve`, and the commands that run the embedded PostgreSQL (no DATABASE_URL), restart this process in
// place (same pid, stdio and environment) with V8 flags of their own. A flag given on the command line or in
// NODE_OPTIONS (either form, e.g. `--no-liftoff-only`, `--allocation-site-pretenuring`) is left as given.
// - Every server: no allocation-site pretenuring. V8 had marked the allocation sites of a request's own objects
//   (Koa's context, on-finished's listeners, the response) as long-lived, from what survived while the server
//   started, and allocated them in the old generation: each then kept everything it pointed at alive through
//   every scavenge until a mark-compact. 7 MB survived each scavenge of the conversions server (12 ms pauses plus
//   26 ms on the helper threads) against 1.7 MB without; the redirect's CPU per click 6 % lower, a conversion's
//   14-18 % (docs/performance.md).
// - Embedded (sized for a laptop; bench: `npm run bench -- embedded`): V8's baseline WebAssembly compiler only,
//   as its optimizing tier spent ~500 MB of RSS compiling PGlite's largest functions (peak 830–1250 MB with it,
//   ~300 MB without), and a 4 MB young generation (~50 MB less RSS).
const SERVE_FLAGS = { 'allocation-site-pretenuring': '--no-allocation-site-pretenuring' };
const EMBEDDED_COMMANDS = new Set(['serve', 'migrate', 'reconcile']);
const EMBEDDED_FLAGS = { 'liftoff-only': '--liftoff-only', 'max-semi-space-size': '--max-semi-space-size=4' };
const command = process.argv[2];
const wanted = {
  ...(command === 'serve' && SERVE_FLAGS),
  ...(!process.env.DATABASE_URL && EMBEDDED_COMMANDS.has(command) && EMBEDDED_FLAGS),
};
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const missing = Object.entries(wanted)
  .filter(([name]) => !given.some((a) => new RegExp(`^--(no-)?${name}(=|$)`).test(a.replaceAll('_', '-'))))
  .map(([, flag]) => flag);
if (missing.length && typeof process.execve === 'function') {
  // The restart resets performance.timeOrigin: `tenx serve`'s "started in" counts from this first start instead.
  process.env.TENX_STARTED_AT = String(performance.timeOrigin);
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

// Node's on-disk cache of compiled (and type-stripped) modules: a CLI start costs a third of the CPU.
module.enableCompileCache();
await import('./tenx.ts');
