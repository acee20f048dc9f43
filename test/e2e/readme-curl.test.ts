import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');

// The README is the front door: its curl walk-through, from "Five minutes with curl" to the partner's postbacks, is run
// here as a reader would paste it, block after block, against a real server. What a reader copies by hand (a token, a
// ctx, an id from the answer above) is taken from the answer above; every answer documented in a `# → …` or sample
// comment is checked: its status and each of its "field": value pairs. A README that drifts from the server fails here.
const FIRST = '## Five minutes with curl';
const LAST = '## Dashboard and CLI';
const CLOSED_PORT = 'http://127.0.0.1:9'; // discard: the examples' outside receivers, so no request leaves the machine

/** Every `sh` block of the walk-through, in order, as one script. */
function walkThrough(readme: string): string {
  const from = readme.indexOf(FIRST);
  const to = readme.indexOf(LAST);
  expect(from, FIRST).to.be.greaterThan(-1);
  expect(to, LAST).to.be.greaterThan(from);
  return [...readme.slice(from, to).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]).join('\n');
}

/** The lines a reader would change before running them, changed the way the reader would. */
function asRun(script: string, url: string): string {
  return script
    .split('\n')
    .map((line) => {
      if (/^export TENX=/.test(line)) return `export TENX=${url} ADMIN=${ADMIN_TOKEN}`;
      const token = /^export (\w+)=(tenx_[a-z]+_)\.\.\./.exec(line);
      if (token) return `export ${token[1]}=$(lastmatch '${token[2]}[A-Za-z0-9_-]+')`;
      const ctx = /^export (\w+)=AQ\w*\.\.\./.exec(line);
      if (ctx) return `export ${ctx[1]}=$(lastmatch 'ctx=[A-Za-z0-9_-]+' | cut -c5-)`;
      if (/^\s*#/.test(line)) return line;
      return line
        .replace(/(tenx_[a-z]+_)\.\.\./g, `$(lastmatch '$1[A-Za-z0-9_-]+')`)
        // The bulk example's second id names no commission of the walk-through (it has one): an unknown one, answered 404 in its place.
        .replace('"commissionIds":["<commissionId>","<anotherCommissionId>"]', `"commissionIds":["'"$(lastid commissionId)"'","00000000-0000-7000-8000-000000000000"]`)
        .replace(/<(\w+Id)>/g, '$(lastid $1)')
        .replace(/\bnpx tenx\b/g, `node ${ROOT}/scripts/tenx.js`)
        .replace('https://your-partner-system.example', CLOSED_PORT)
        .replace('https://tracker.example.com', CLOSED_PORT);
    })
    .join('\n');
}

/**
 * curl as a function: each call's arguments, body (also passed on, for `$(curl … | sed …)`) and status kept under OUT,
 * numbered in the order the script runs them; streams (-sN) cut after 2 s; the call after a short link's redirect
 * waits for the click buffer (flushed every 20 ms by the test server). lastmatch: the newest answer matching a pattern.
 */
const PREAMBLE = `set -euo pipefail
echo 0 > "$OUT/n"
curl() {
  local n; n=$(( $(cat "$OUT/n") + 1 )); echo "$n" > "$OUT/n"
  local f; f=$(printf '%s/%03d' "$OUT" "$n")
  printf '%s\n' "$*" > "$f.args"
  if [ -f "$OUT/after-redirect" ]; then sleep 0.5; rm "$OUT/after-redirect"; fi
  case "$*" in *"$TENX/acme/"*) touch "$OUT/after-redirect";; esac
  local w=(-w '%{stderr}%{http_code}'); for a in "$@"; do if [ "$a" = -w ]; then w=(); fi; done
  case " $* " in *" -sN "*) timeout 2 curl "$@" 2>"$f.status" | tee "$f.body" || true; return 0;; esac
  command curl "$@" "\${w[@]}" 2>"$f.status" | tee "$f.body"
}
lastmatch() {
  local f m
  for f in $(ls -r "$OUT"/*.body); do
    m=$(grep -ohE -- "$1" "$f" | head -1 || true)
    if [ -n "$m" ]; then echo "$m"; return 0; fi
  done
  echo "no answer matches $1" >&2; return 1
}
lastid() { lastmatch "\\"$1\\":\\"[^\\"]+\\"" | cut -d'"' -f4; }
`;

interface Expectation {
  call: number;
  status: number | null;
  pairs: string[];
  text: string;
}

/** What the README says each call answers: `# → 201 {…}` after (or on the line of) a call, and sample lines `# {…}`. */
function expectations(script: string): { calls: number; expected: Expectation[] } {
  let calls = 0;
  const expected: Expectation[] = [];
  for (const line of script.split('\n')) {
    const code = line.replace(/#.*$/, '');
    if (!/^\s*#/.test(line) && /(^|[\s(])curl\s/.test(code)) calls++;
    const text = /#\s*→\s*(.*)$/.exec(line)?.[1] ?? /^\s*#\s+(\{.*)$/.exec(line)?.[1];
    if (!text) continue;
    const status = /^(\d{3})\b/.exec(text);
    const pairs = [...text.matchAll(/"(\w+)":\s*(-?\d+(?:\.\d+)?|true|false|null|"[^"…]*")/g)]
      .filter((m) => !m[2].includes('...'))
      .map((m) => `"${m[1]}":${m[2]}`);
    expected.push({ call: calls, status: status ? Number(status[1]) : null, pairs, text });
  }
  return { calls, expected };
}

function runBash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stderr }));
  });
}

describe('the README walk-through: every curl from "Five minutes with curl" to the postbacks, as a reader runs it', function () {
  this.timeout(120_000);
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'tenx-readme-'));
  const out = join(work, 'out');

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers each call as the README says (status and every "field": value shown), and never a 4xx or 5xx', async () => {
    const script = walkThrough(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const { calls, expected } = expectations(script);
    expect(calls, 'curl calls in the walk-through').to.be.greaterThan(40);
    writeFileSync(join(work, 'walk.sh'), asRun(script, server.url));
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    const env = { ...process.env, OUT: out, XDG_CONFIG_HOME: work, PATH: `${ROOT}/node_modules/.bin:${process.env.PATH}` };
    const run = await runBash(`${PREAMBLE}\n. ${join(work, 'walk.sh')}`, work, env);
    expect(run.code, `the walk-through stopped: ${run.stderr}`).to.equal(0);

    const ran = readdirSync(out).filter((f) => f.endsWith('.body')).length;
    expect(ran, 'calls run').to.equal(calls);
    const answer = (call: number) => {
      const f = join(out, String(call).padStart(3, '0'));
      return { args: readFileSync(`${f}.args`, 'utf8').trim(), body: readFileSync(`${f}.body`, 'utf8'), status: readFileSync(`${f}.status`, 'utf8').trim() };
    };
    for (let call = 1; call <= calls; call++) {
      const { args, status } = answer(call);
      if (status) expect(Number(status), `call ${call} (${args})`).to.be.within(200, 399);
    }
    expect(expected.length, 'documented answers').to.be.greaterThan(10);
    for (const e of expected) {
      const { args, body, status } = answer(e.call);
      const where = `call ${e.call} (${args}), documented as ${e.text}`;
      if (e.status !== null) expect(Number(status), where).to.equal(e.status);
      for (const pair of e.pairs) expect(new RegExp(`${escape(pair)}(?=[,}\\]])`).test(body), `${where}: ${pair} in ${body.slice(0, 600)}`).to.equal(true);
    }
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
