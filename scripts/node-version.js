// The one check every entry point runs before it loads a .ts file: tenx runs its TypeScript sources
// through Node's own type stripping, which Node 20 lacks (it would fail with ERR_UNKNOWN_FILE_EXTENSION).
// Plain JavaScript on purpose: it must run, and explain itself, on any Node.
export const REQUIRED_MAJOR = 24;

export function checkNodeVersion() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= REQUIRED_MAJOR) return;
  process.stderr.write(
    `tenx needs Node.js ${REQUIRED_MAJOR} or later but this is ${process.version} (${process.execPath}): ` +
      'run it through npm (npm start, npm test, npx tenx), which puts the Node 24 that `npm ci` installed in node_modules/.bin first on PATH, or install Node 24.\n',
  );
  process.exit(1);
}

// Run directly (`node scripts/node-version.js`, as npm's pretest does): check and exit.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) checkNodeVersion();
