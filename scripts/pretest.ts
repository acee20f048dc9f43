// `npm test`'s set-up (npm runs it as `pretest`): everything the suite needs, on a fresh machine of
// the kind the README names, with one line for each thing it checks or does. What it cannot provide
// (not root, no apt-get, a service not installed) stops the run with one sentence naming what to
// install: the suite never starts half-provisioned, and the browser tests are never skipped.
// Run after scripts/node-version.js, so this file already runs on Node 24.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { CHROMIUM, CHROMIUM_PACKAGE } from '../test/support/chromium-path.ts';

class SetupError extends Error {}

const say = (line: string) => process.stdout.write(`pretest: ${line}\n`);

/** True when something accepts a TCP connection at host:port within a second. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => (socket.destroy(), resolve(ok));
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function waitListening(host: string, port: number, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds; i++) {
    if (await listening(host, port)) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

const onPath = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const isLocal = (host: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);

/** Runs a command quietly; on failure, the SetupError carries its last line of output. */
function run(command: string, args: string[], failure: string) {
  const res = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (res.status === 0) return;
  const last = `${res.stderr ?? ''}${res.stdout ?? ''}`.trim().split('\n').pop() || res.error?.message || `exit ${res.status}`;
  throw new SetupError(`${failure} (${command}: ${last})`);
}

interface Service {
  name: string;
  url: string;
  /** What starts it when installed but down (the machine's own commands), or null when not installed. */
  start: (port: string) => [string, string[]] | null;
  install: string;
}

async function ensureService(s: Service) {
  const { hostname, port } = new URL(s.url);
  const host = hostname.replace(/^\[|\]$/g, '');
  const where = `${hostname}:${port}`;
  if (await listening(host, Number(port))) return say(`${s.name} is up at ${where}`);
  if (!isLocal(host))
    throw new SetupError(`${s.name} does not answer at ${where} (from the test URL): start it, or unset the variable to use a local one.`);
  const start = s.start(port);
  if (!start) throw new SetupError(`${s.name} is not running at ${where} and not installed: ${s.install}, then run npm test again.`);
  say(`starting ${s.name} at ${where}: ${start[0]} ${start[1].join(' ')}`);
  run(start[0], start[1], `${s.name} did not start; start it by hand, then run npm test again`);
  if (!(await waitListening(host, Number(port), 30))) throw new SetupError(`${s.name} started but does not answer at ${where} after 30 s.`);
}

const postgres: Service = {
  name: 'PostgreSQL',
  url: process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres',
  start: () => {
    const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
    if (!versions.length || !onPath('pg_ctlcluster')) return null;
    return ['pg_ctlcluster', ['--skip-systemctl-redirect', versions[0], 'main', 'start']];
  },
  install: 'install it (Debian: apt-get install postgresql) or point TEST_DATABASE_URL at one',
};

const redis: Service = {
  name: 'Redis',
  url: process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  start: (port) => {
    if (!onPath('redis-server')) return null;
    const dir = existsSync('/var/lib/redis') ? ['--dir', '/var/lib/redis'] : [];
    const log = existsSync('/var/log/redis') ? ['--logfile', '/var/log/redis/ci.log'] : [];
    return [
      'redis-server',
      ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', port, '--save', '', '--appendonly', 'no', ...dir, ...log],
    ];
  },
  install: 'install it (Debian: apt-get install redis-server) or point TEST_REDIS_URL at one',
};

/** The browser tests drive Debian's Chromium headless shell (test/support/chromium-path.ts names it and CHROMIUM_PATH). */
function ensureChromium() {
  const path = CHROMIUM;
  if (existsSync(path)) return say(`Chromium is at ${path}`);
  const hint = `the browser tests need Chromium at ${path}: install Debian's ${CHROMIUM_PACKAGE} (as root: apt-get install ${CHROMIUM_PACKAGE}) or set CHROMIUM_PATH, then run npm test again.`;
  if (process.env.CHROMIUM_PATH) throw new SetupError(`CHROMIUM_PATH=${path} does not exist; ${hint}`);
  if (process.getuid?.() !== 0) throw new SetupError(`Not root, so cannot install it: ${hint}`);
  if (!onPath('apt-get')) throw new SetupError(`No apt-get here: ${hint}`);
  say(
    `installing Debian's ${CHROMIUM_PACKAGE} for the browser tests (apt-get update, then apt-get install ${CHROMIUM_PACKAGE}; a minute or two)`,
  );
  run('apt-get', ['update', '-qq'], `apt-get update failed; ${hint}`);
  run('apt-get', ['install', '-y', '-qq', CHROMIUM_PACKAGE], `apt-get install ${CHROMIUM_PACKAGE} failed; ${hint}`);
  if (!existsSync(path)) throw new SetupError(`apt-get installed ${CHROMIUM_PACKAGE} but ${path} is still missing; ${hint}`);
  say(`Chromium installed at ${path}`);
}

try {
  await ensureService(postgres);
  await ensureService(redis);
  ensureChromium();
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  process.stderr.write(`pretest: ${err.message}\n`);
  process.exit(1);
}
