import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for a child server or a private Redis). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().once('error', fail).listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  /** stdout and stderr so far. */
  output(): string;
}

/** Spawns a tenx server process (`node <args>`) and resolves once GET /healthz answers on `port`. */
export async function spawnServer(args: string[], opts: { env: NodeJS.ProcessEnv; port: number; cwd?: string; timeoutMs?: number }): Promise<SpawnedServer> {
  const child = spawn(process.execPath, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early: ${out}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return { child, url, output: () => out };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start: ${out}`);
}
