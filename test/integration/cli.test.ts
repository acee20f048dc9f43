import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const SCRIPT = fileURLToPath(new URL('../cli/workflows.sh', import.meta.url));

describe('tenx CLI drives the seed workflows 1-5 (test/cli/workflows.sh)', function () {
  // About a minute on an idle machine; every CLI start pays for tsx, so a loaded box needs more.
  this.timeout(300_000);
  let child: ChildProcess | undefined;

  // On a timeout the script gets SIGTERM, which its trap turns into stopping the server and dropping the database.
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
  });

  it('passes every workflow against a real server', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      let output = '';
      child = spawn('bash', [SCRIPT], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (c) => (output += c));
      child.stderr!.on('data', (c) => (output += c));
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, output }));
    });
    if (code !== 0) expect.fail(`workflows.sh exited with ${code}:\n${output}`);
    expect(output).to.include('all workflows passed');
  });
});
